#!/usr/bin/env bash
# Builds and runs what deploy/Dockerfile describes, by hand, on a machine
# without a Docker engine (docs/SERVER.md §11 says what this does and does not
# prove). Stage 1 as the Dockerfile: a clean checkout of HEAD, `npm ci`,
# `npm run build:server`. Stage 2: only out/server copied to
# ROOTFS/opt/tern-server, run as uid 10001 with the image's ENV and WORKDIR,
# then its HEALTHCHECK command, then `docker stop` (SIGTERM).
# Differences: this machine's Debian 12 and Node 20 instead of the
# node:20-bookworm-slim image (also Debian 12, Node 20); no image layers, no
# filesystem or network isolation; ports 7800, 7801 and 9100 are used only if free
# (else any free port: what `docker run -p` would map). Needs root. Slow: npm
# ci compiles the SQLite addons (several minutes). Leaves nothing behind.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "run as root (it runs the server as uid 10001)" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
ctx=$(mktemp -d /var/tmp/tern-image-trial.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$ctx"; }
trap cleanup EXIT

echo "== stage 1 (build) in $ctx/src"
git clone --quiet --no-hardlinks "$repo" "$ctx/src"
(cd "$ctx/src" && npm ci --no-audit --no-fund > "$ctx/npm-ci.log" 2>&1) || { tail -30 "$ctx/npm-ci.log"; exit 1; }
(cd "$ctx/src" && npm run -s build:server)

echo "== stage 2 (run)"
mkdir -p "$ctx/rootfs/opt"
cp -a "$ctx/src/out/server" "$ctx/rootfs/opt/tern-server"
chmod -R a+rX "$ctx/rootfs" && chmod 755 "$ctx"
install -d -m 0700 -o 10001 -g 10001 "$ctx/rootfs/var/lib/tern"
free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=7800; free $port && free 7801 || port=0
ops=9100; free $ops || ops=0
echo "ports: ${port/#0/any free} (protocol, attachments on the next one), ${ops/#0/any free} (metrics)"
(cd "$ctx/rootfs/var/lib/tern" && exec setpriv --reuid=10001 --regid=10001 --clear-groups \
  env -i PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production TERN_SERVER_HOST=0.0.0.0 TERN_SERVER_BLOB_HOST=0.0.0.0 TERN_SERVER_DATA="$ctx/rootfs/var/lib/tern" \
  TERN_SERVER_METRICS_PORT=$ops TERN_SERVER_METRICS_HOST=0.0.0.0 TERN_SERVER_PORT=$port \
  node "$ctx/rootfs/opt/tern-server/main.js") > "$ctx/stdout" 2> "$ctx/stderr" &
pid=$!
for _ in $(seq 100); do grep -q '^server key ' "$ctx/stdout" 2>/dev/null && break; sleep 0.2; done
cat "$ctx/stdout"
ops=$(grep -o '"port":[0-9]*,"paths"' "$ctx/stderr" | grep -o '[0-9]*')
echo "== HEALTHCHECK (as uid 10001): node -e \"fetch('http://127.0.0.1:$ops/readyz')...\""
if setpriv --reuid=10001 --regid=10001 --clear-groups node -e "fetch('http://127.0.0.1:$ops/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then echo healthy; else echo UNHEALTHY; exit 1; fi
echo "== the process: $(ps -o uid=,args= -p "$pid")"
echo "== data: $(ls -ln "$ctx/rootfs/var/lib/tern" | tail -n +2 | awk '{print $1, $3, $NF}' | tr '\n' ';')"
echo "== image size: $(du -sh "$ctx/rootfs/opt/tern-server" | cut -f1) in /opt/tern-server"
kill -TERM "$pid"; status=0; wait "$pid" || status=$?; pid=
echo "== exit status after SIGTERM (docker stop): $status"
node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) JSON.parse(l)' "$ctx/stderr" && echo "stderr: $(grep -c . "$ctx/stderr") JSON lines, nothing else"
[ "$status" -eq 0 ]
