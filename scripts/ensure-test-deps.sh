#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the end-to-end tests
# (driven by playwright-core; a downloaded browser is not an option here) and
# the fortunes packages as realistic Chinese and English text, a CJK font,
# PostgreSQL, nats-server for the cluster tests, microsocks and tinyproxy for
# the proxy tests (each test starts private instances).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/games/fortunes ] || need+=(fortunes fortunes-zh)
# A CJK font, so Chinese text renders in Chromium screenshots instead of boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# PostgreSQL (15+) for the server suite's second store; tests start private instances (tests/support/postgres.ts).
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || need+=(postgresql)
[ -x /usr/sbin/nats-server ] || [ -x /usr/bin/nats-server ] || need+=(nats-server)
# Real proxies for the proxy setting's tests (SOCKS5, HTTP CONNECT); tests start private instances (tests/support/proxies.ts).
command -v microsocks >/dev/null || need+=(microsocks)
command -v tinyproxy >/dev/null || need+=(tinyproxy)
exec bash "$(dirname "$0")/apt-install.sh" ${need[@]+"${need[@]}"}
