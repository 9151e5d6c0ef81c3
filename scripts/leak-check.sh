#!/usr/bin/env bash
# Leak check: runs an AddressSanitizer/LeakSanitizer build of portcullis over >= 10,000 full
# TLS handshakes (each with a GET forwarded to a backend), some resumed handshakes and malformed
# input, then stops it with SIGTERM; LeakSanitizer reports at exit. Loopback only, bounded in
# count and time. Usage: scripts/leak-check.sh [HANDSHAKES]
set -euo pipefail
cd "$(dirname "$0")/.."
WANT=${1:-10000}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== building with -sanitize=address (scratch .build-asan)"
swift build -c release --sanitize=address --scratch-path .build-asan --product portcullis >/dev/null
BIN=.build-asan/release/portcullis

python3 - "$WORK/ports" <<'PY' &
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(server.server_address[1]))
server.serve_forever()
PY
PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/ports" ] && break; sleep 0.1; done
BACKEND=$(cat "$WORK/ports")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$BIN certs --out "$WORK/certs" >/dev/null
cat > "$WORK/leak.yaml" <<YAML
global: { event_loops: 2, access_log: false, log_level: warning, shutdown_grace: 2s }
listeners:
  - name: https
    bind: "127.0.0.1:$PORT"
    tls:
      certificates: [{ cert: $WORK/certs/localhost.pem, key: $WORK/certs/localhost-key.pem }]
    routes: [{ forward: app }]
target_groups:
  app:
    targets: ["127.0.0.1:$BACKEND"]
    health_check: { path: /, interval: 1s, timeout: 500ms }
YAML
ASAN_OPTIONS=detect_leaks=1 $BIN run -c "$WORK/leak.yaml" > "$WORK/proxy.log" 2>&1 &
PROXY=$!
PIDS+=($PROXY)
for _ in $(seq 100); do curl -sk "https://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.2; done
curl -sk "https://127.0.0.1:$PORT/" >/dev/null || { echo "proxy did not start:"; cat "$WORK/proxy.log"; exit 1; }

total=0; start=$(date +%s)
while [ "$total" -lt "$WANT" ] && [ $(( $(date +%s) - start )) -lt 900 ]; do
  n=$(openssl s_time -connect "127.0.0.1:$PORT" -new -www / -time 10 2>/dev/null | grep -oE "^[0-9]+ connections in" | head -1 | awk '{print $1}')
  [ -n "$n" ] || { echo "openssl s_time failed"; exit 1; }
  total=$(( total + n )); echo "full handshakes + requests: $total"
done
resumed=$(openssl s_time -connect "127.0.0.1:$PORT" -reuse -www / -time 5 2>/dev/null | grep -oE "^[0-9]+ connections in" | head -1 | awk '{print $1}')
echo "resumed handshakes + requests: ${resumed:-0}"
for _ in $(seq 100); do printf 'GET / HTTP/1.1\r\n\r\n' | timeout 1 bash -c "cat > /dev/tcp/127.0.0.1/$PORT" 2>/dev/null || true; done
for _ in $(seq 100); do head -c 300 /dev/urandom | timeout 1 bash -c "cat > /dev/tcp/127.0.0.1/$PORT" 2>/dev/null || true; done
echo "plain HTTP and random bytes on the TLS port: 200 connections"
kill -TERM $PROXY; wait $PROXY || true
if grep -q "ERROR: LeakSanitizer" "$WORK/proxy.log"; then
  grep -A30 "ERROR: LeakSanitizer" "$WORK/proxy.log"; echo "leak-check: LEAKS FOUND"; exit 1
fi
if grep -q "ERROR: AddressSanitizer" "$WORK/proxy.log"; then
  grep -A30 "ERROR: AddressSanitizer" "$WORK/proxy.log"; echo "leak-check: MEMORY ERROR"; exit 1
fi
echo "leak-check: $total full handshakes, ${resumed:-0} resumed, 200 malformed connections: no leaks, no memory errors"
