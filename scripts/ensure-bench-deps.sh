#!/usr/bin/env bash
# Debian packages only the benchmarks need (not the test suite): Mosquitto, the
# MQTT broker `npm run bench -- peer` measures ours against (the bench starts
# private instances; it never uses a system service).
set -euo pipefail
need=()
[ -x /usr/sbin/mosquitto ] || [ -x /usr/bin/mosquitto ] || need+=(mosquitto)
exec bash "$(dirname "$0")/apt-install.sh" ${need[@]+"${need[@]}"}
