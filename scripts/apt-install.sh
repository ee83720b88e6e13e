#!/usr/bin/env bash
# Installs the Debian packages named as arguments (none: nothing to do), as
# root with apt-get; otherwise says which are missing and fails. Used by
# ensure-test-deps.sh and ensure-bench-deps.sh.
set -euo pipefail
if [ $# -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages: $* (install them with apt-get, as root)" >&2
  exit 1
fi
echo "== installing $*"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >/dev/null
