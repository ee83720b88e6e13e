#!/usr/bin/env bash
# Runs the compiled server the way deploy/tern-server.service runs it, as
# closely as a machine without systemd as PID 1 allows (docs/SERVER.md §11
# says what was run and what could not be):
#   ExecStart      the same command line: node main.js --config server.json
#   User=          an unprivileged user (nobody stands in for tern)
#   UMask=0077, NoNewPrivileges=yes, CapabilityBoundingSet= (empty)
#   ProtectSystem=strict   / read-only, only the state directory writable
#   PrivateTmp=yes, ProtectHome=yes   empty tmpfs on /tmp, /home, /root
#   KillSignal=SIGTERM     exit status 0 expected
# Not emulated: SystemCallFilter, RestrictAddressFamilies, the other Protect*
# settings (seccomp and kernel-level switches only systemd sets up).
# Needs root (to switch user and to make a mount namespace). Leaves nothing behind.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "run as root: it switches to an unprivileged user and uses a mount namespace" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
trial=$(mktemp -d /var/tmp/tern-unit-trial.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$trial"; }
trap cleanup EXIT
chmod 755 "$trial"
(cd "$repo" && npx tsx scripts/build-server.ts --out "$trial/opt/tern-server")
install -d -m 0755 "$trial/etc/tern" "$trial/var/lib"
install -d -m 0700 -o nobody -g nogroup "$trial/var/lib/tern"
cat > "$trial/etc/tern/server.json" <<JSON
{ "host": "127.0.0.1", "port": 0, "dataDir": "$trial/var/lib/tern", "metricsPort": 0 }
JSON

unshare --mount --propagation private sh -c '
  set -e
  mount --bind "$1/var/lib/tern" "$1/var/lib/tern"   # the state directory stays writable
  mount -o remount,bind,ro /                          # ProtectSystem=strict
  mount -t tmpfs -o mode=1777 tmpfs /tmp              # PrivateTmp=yes
  mount -t tmpfs -o mode=0755 tmpfs /home             # ProtectHome=yes
  mount -t tmpfs -o mode=0700 tmpfs /root
  exec setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all \
    sh -c "umask 077; exec /usr/bin/node \"\$0/opt/tern-server/main.js\" --config \"\$0/etc/tern/server.json\"" "$1"
' sh "$trial" > "$trial/stdout" 2> "$trial/stderr" &
pid=$!

for _ in $(seq 100); do grep -q '^server key ' "$trial/stdout" 2>/dev/null && break; sleep 0.2; done
echo "== stdout"; cat "$trial/stdout"
ops_port=$(grep -o '"port":[0-9]*,"paths"' "$trial/stderr" | grep -o '[0-9]*')
echo "== /readyz: $(curl -s "http://127.0.0.1:$ops_port/readyz")"
echo "== /healthz: $(curl -s "http://127.0.0.1:$ops_port/healthz")"
echo "== the process: $(ps -o user=,pid=,args= -p "$(pgrep -P "$pid" -f main.js || echo "$pid")")"
echo "== privileges: $(grep -E '^(CapEff|CapBnd|NoNewPrivs):' "/proc/$pid/status" | tr -s '\t\n' '  ')"
echo "== what it may not do (expected: read-only file system):"
nsenter --target "$(pgrep -f "$trial/opt/tern-server/main.js" | head -1)" --mount setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c "touch /var/tmp/tern-probe 2>&1; touch $trial/opt/tern-server/probe 2>&1" || true
echo "== data directory"; ls -ln "$trial/var/lib/tern"
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
pid=
echo "== exit status after SIGTERM: $status"
echo "== stderr (every line JSON?)"
if node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) JSON.parse(l)' "$trial/stderr"; then echo "yes, $(grep -c . "$trial/stderr") lines"; else echo "NO"; cat "$trial/stderr"; exit 1; fi
[ "$status" -eq 0 ]
