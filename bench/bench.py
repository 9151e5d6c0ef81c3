#!/usr/bin/env python3
"""Portcullis side by side with nginx and HAProxy: `make bench` / `make bench-quick`.

Starts a fixed-response backend (nginx, one worker), a WebSocket echo target (bench/ws_load.py) and
the three proxies on 127.0.0.1, drives them with wrk, h2load and bench/ws_load.py, reads CPU time
and memory from /proc, and writes a table to stdout and to
docs/benchmarks.md (between the results markers). The method is described in docs/benchmarks.md.

Every process this script starts is stopped by its PID; every load run is bounded in count and
time; all traffic goes to 127.0.0.1.
"""

import argparse
import datetime
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
OUT = os.path.join(BENCH, "out")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
PORTCULLIS_BIN = os.environ.get("PORTCULLIS_BIN", os.path.join(ROOT, ".build", "release", "portcullis"))
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"

CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
BACKEND_PORT = 18480
WS_BACKEND_PORT = 18481  # bench/ws_load.py serve: the WebSocket echo target of every proxy
WS_LOAD = os.path.join(BENCH, "ws_load.py")
JWT_TOOL = os.path.join(ROOT, "Tests", "ProxyServerTests", "Peers", "jwt_tool.py")
SMALL_BODY = b"Portcullis bench backend: a fixed response body of 64 bytes....\n"
ONE_MIB = 1 << 20
SMALL_FILE_BYTES = 1024  # the small static file (bench/out/static/1k.html)

# Each proxy: HTTPS with tickets, HTTPS without tickets (full handshakes), plain HTTP, HTTPS
# to the WebSocket echo target, and HTTPS with HTTP/2 (ALPN h2) and tickets. Portcullis and nginx
# also serve bench/out/static/ themselves (plain HTTP and HTTPS); HAProxy cannot serve files, so it
# has no such ports (18428/18429 stay unused) and no static rows.
PROXY_PORTS = {
    "portcullis": {"tls": 18401, "tls_full": 18402, "http": 18403, "ws": 18404, "h2": 18405, "policy": 18406,
                   "gzip": 18407, "static": 18408, "static_tls": 18409, "cache": 18430},
    "nginx": {"tls": 18411, "tls_full": 18412, "http": 18413, "ws": 18414, "h2": 18415, "policy": 18416,
              "gzip": 18417, "static": 18418, "static_tls": 18419, "cache": 18431},
    "haproxy": {"tls": 18421, "tls_full": 18422, "http": 18423, "ws": 18424, "h2": 18425, "policy": 18426,
                "gzip": 18427},
}
PROXIES = ["portcullis", "nginx", "haproxy"]
LABEL = {"portcullis": "Portcullis", "nginx": "nginx", "haproxy": "HAProxy", "backend": "backend"}

MODES = {
    # duration of each timed run (s), repetitions, wrk/h2load connections, idle connections
    "full": {"duration": 5, "reps": 3, "warmup": 1, "speed_seconds": 2, "idle": 10000},
    "quick": {"duration": 2, "reps": 1, "warmup": 1, "speed_seconds": 1, "idle": 10000},
}
CLIENT_THREADS = 2
KA_CONNECTIONS = 50      # wrk, small responses
BIG_CONNECTIONS = 8      # wrk, 1 MiB responses
HS_CLIENTS = 16          # h2load, one request per connection
IDLE_CONCURRENCY = 100   # handshakes in flight while opening idle connections
WS_CONNECTIONS = 50      # ws_load.py: WebSocket tunnels, one 64 B message in flight on each
WS_MESSAGE_BYTES = 64
H2_CONNECTIONS = 10      # h2load over HTTP/2, small responses: connections ...
H2_STREAMS = 10          # ... and concurrent streams on each (100 requests in flight)
SCENARIOS = ["https-ka", "h2", "https-full", "https-resume", "https-1m", "http-ka", "wss-echo", "https-policy",
             "https-json", "https-gzip", "https-br", "https-zstd",
             "static-small", "static-1m", "static-small-tls", "static-1m-tls", "cache-hit"]
# The compression scenarios (the backend's 100 KiB JSON over HTTPS keep-alive, compressed in the
# proxy) and the Accept-Encoding each sends. nginx OSS compresses with gzip only, and HAProxy with
# libslz's gzip (no level): br and zstd are measured for Portcullis alone.
# https-json: the same response as it is (Accept-Encoding: identity), the cost of everything but
# the compression.
COMPRESSION = {"https-json": "identity", "https-gzip": "gzip", "https-br": "br", "https-zstd": "zstd"}
PORTCULLIS_ONLY = {"https-br", "https-zstd"}
JSON_BYTES = 100 * 1024
COMPRESSION_CONNECTIONS = 8   # wrk: 100 KiB responses, as many connections as the 1 MiB scenario
# Static file scenarios: (port key, path, wrk connections). Only proxies that serve files run them.
STATIC_SCENARIOS = {
    "static-small": ("static", "/1k.html", KA_CONNECTIONS),
    "static-1m": ("static", "/1m.bin", BIG_CONNECTIONS),
    "static-small-tls": ("static_tls", "/1k.html", KA_CONNECTIONS),
    "static-1m-tls": ("static_tls", "/1m.bin", BIG_CONNECTIONS),
}
FILE_SERVERS = ["portcullis", "nginx"]
# The cache scenario: the backend's small response, stored for 60 s by the proxy's HTTP cache
# (Portcullis `cache`, nginx `proxy_cache`) and answered from it; plain HTTP keep-alive. HAProxy's
# cache is not configured here.
CACHE_SERVERS = ["portcullis", "nginx"]
OTHER_CPU_WARN = 0.20    # cores used by processes other than ours during a run


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# /proc
# --------------------------------------------------------------------------------------------

def proc_stat(pid: int):
    """(ppid, utime+stime ticks, starttime) of one process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def descendants(root: int) -> list:
    """root and every process below it."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st:
                children.setdefault(st[0], []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if proc_stat(pid) is None:
            continue
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_ticks(pids) -> int:
    total = 0
    for pid in pids:
        st = proc_stat(pid)
        if st:
            total += st[1]
    return total


def status_kib(pids, key: str) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pss_kib(pids) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def fd_count(pids) -> int:
    total = 0
    for pid in pids:
        try:
            total += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return total


def system_cpu():
    """(busy ticks excluding irq/softirq, steal ticks, idle ticks) of the whole machine."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    v = [int(x) for x in parts] + [0] * 10
    user, nice, system, idle, iowait, _irq, _softirq, steal = v[:8]
    return user + nice + system, steal, idle + iowait


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_busy_sample(seconds: float = 2.0) -> float:
    """Cores used by everything on the machine over `seconds` (this script sleeps meanwhile)."""
    b0, _, _ = system_cpu()
    time.sleep(seconds)
    b1, _, _ = system_cpu()
    return (b1 - b0) / CLK_TCK / seconds


def other_build_processes() -> list:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if re.search(r"swift-build|swift-test|PackageTests", cmd) and int(name) != os.getpid():
            found.append(cmd.strip()[:80])
    return found


# --------------------------------------------------------------------------------------------
# Processes we start
# --------------------------------------------------------------------------------------------

class Server:
    """A process started by us, stopped by its PID (and its children's PIDs)."""

    def __init__(self, name, argv, ports, cwd=None, env=None, workers=None):
        self.name, self.argv, self.ports = name, argv, ports
        self.cwd, self.env, self.workers = cwd, env, workers
        self.proc = None
        self.known = {}  # pid -> starttime, every process seen below the root
        self.log_path = os.path.join(OUT, "logs", f"{name}.log")

    def start(self) -> None:
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        logf = open(self.log_path, "ab")
        logf.write(f"\n=== {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n".encode())
        logf.flush()
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            if all(port_open(p) for p in self.ports) and self._workers_up():
                self.pids()
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not open {self.ports} within 20 s; see {self.log_path}")

    def _workers_up(self) -> bool:
        if not self.workers:
            return True
        return len(descendants(self.proc.pid)) >= self.workers + 1

    def pids(self) -> list:
        pids = descendants(self.proc.pid) if self.proc else []
        for pid in pids:
            st = proc_stat(pid)
            if st:
                self.known.setdefault(pid, st[2])
        return pids

    def stop(self) -> None:
        if not self.proc:
            return
        self.pids()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        # Children that outlived the root (same PID *and* start time, so never a reused PID).
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            alive = [p for p, t in self.known.items() if (proc_stat(p) or (0, 0, None))[2] == t]
            if not alive:
                break
            time.sleep(0.1)
        for pid, start in self.known.items():
            st = proc_stat(pid)
            if st and st[2] == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.proc = None


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_free(port: int) -> bool:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def run(argv, timeout, cwd=None, env=None) -> subprocess.CompletedProcess:
    """Run a client to completion; on timeout subprocess kills it (by its PID)."""
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, **env) if env else None)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return subprocess.CompletedProcess(argv, -9, out, "timeout")


# --------------------------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------------------------

def make_files() -> None:
    # nginx opens <prefix>/logs/error.log before it reads `error_log` from -g.
    for d in ("nginx-backend/logs", "nginx-proxy/logs", "logs"):
        os.makedirs(os.path.join(OUT, d), exist_ok=True)
    key, cert = os.path.join(OUT, "key.pem"), os.path.join(OUT, "cert.pem")
    r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", key, "-out", cert, "-days", "7", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], timeout=30)
    if r.returncode != 0:
        raise RuntimeError("openssl req failed: " + r.stderr)
    with open(os.path.join(OUT, "haproxy.pem"), "w") as f:
        f.write(open(cert).read() + open(key).read())
    os.chmod(key, 0o600)
    os.chmod(os.path.join(OUT, "haproxy.pem"), 0o600)
    big = os.path.join(OUT, "nginx-backend", "1m.bin")
    if not os.path.exists(big) or os.path.getsize(big) != ONE_MIB:
        with open(big, "wb") as f:
            f.write(os.urandom(ONE_MIB))
    # nginx workers drop to `nobody`: they must be able to read the 1 MiB file.
    os.chmod(big, 0o644)
    # The compression scenarios' body: 100 KiB of API-like JSON (the tests' peer makes the same).
    doc = os.path.join(OUT, "nginx-backend", "100k.json")
    if not os.path.exists(doc) or os.path.getsize(doc) != JSON_BYTES:
        with open(doc, "wb") as f:
            f.write(json_document())
    os.chmod(doc, 0o644)
    # The static scenarios' site: a 1 KiB page and a 1 MiB file, served by the proxies themselves.
    site = os.path.join(OUT, "static")
    os.makedirs(site, exist_ok=True)
    page = os.path.join(site, "1k.html")
    if not os.path.exists(page) or os.path.getsize(page) != SMALL_FILE_BYTES:
        line = b"<p>Portcullis bench: a static page of exactly 1 KiB.</p>\n"
        with open(page, "wb") as f:
            f.write((line * (SMALL_FILE_BYTES // len(line) + 1))[:SMALL_FILE_BYTES])
    site_big = os.path.join(site, "1m.bin")
    if not os.path.exists(site_big) or os.path.getsize(site_big) != ONE_MIB:
        with open(site_big, "wb") as f:
            f.write(os.urandom(ONE_MIB))
    for path in (page, site_big):
        os.chmod(path, 0o644)
    for d in (OUT, os.path.join(OUT, "nginx-backend"), site):
        os.chmod(d, 0o755)
    # The policy scenario's ES256 key, its JWKS (Portcullis), its public key (HAProxy's
    # jwt_verify) and a token valid for a day, made by the tests' independent JWT peer.
    jwt_dir = os.path.join(OUT, "jwt")
    os.makedirs(jwt_dir, exist_ok=True)
    r = run([sys.executable, JWT_TOOL, "keygen", jwt_dir], timeout=30)
    if r.returncode != 0:
        raise RuntimeError("jwt_tool keygen failed: " + r.stderr)
    r = run(["openssl", "pkey", "-in", os.path.join(jwt_dir, "key.pem"), "-pubout", "-out",
             os.path.join(jwt_dir, "pub.pem")], timeout=30)
    if r.returncode != 0:
        raise RuntimeError("openssl pkey failed: " + r.stderr)
    claims = json.dumps({"sub": "bench", "iss": "https://bench.example", "aud": "bench", "exp": int(time.time()) + 86400})
    r = run([sys.executable, JWT_TOOL, "token", jwt_dir, claims], timeout=30)
    if r.returncode != 0:
        raise RuntimeError("jwt_tool token failed: " + r.stderr)
    with open(os.path.join(jwt_dir, "token"), "w") as f:
        f.write(r.stdout.strip())


def policy_token() -> str:
    with open(os.path.join(OUT, "jwt", "token")) as f:
        return f.read().strip()


def json_document() -> bytes:
    """Exactly 100 KiB of valid JSON: records as an API would send them, padded with spaces."""
    records, size = [], 2
    for i in range(10000):
        record = json.dumps({"id": i, "name": f"item-{i}", "price": round(i * 1.25, 2),
                             "tags": ["alpha", "beta", "gamma"][: i % 3 + 1], "active": i % 2 == 0,
                             "description": "A reasonably typical JSON record for an API response."},
                            separators=(",", ":"))
        if size + len(record) + 1 > JSON_BYTES:
            break
        records.append(record)
        size += len(record) + 1
    text = "[" + ",".join(records)
    return (text + " " * (JSON_BYTES - len(text) - 1) + "]").encode()


def compression_once(port: int, coding: str) -> dict:
    """The compression listener answers /json100k with `coding` and the body decodes (curl's own
    decoder) to the 100 KiB document."""
    r = run(["curl", "-sk", "--compressed", "-H", f"Accept-Encoding: {coding}", "-D", "-", "-o",
             os.path.join(OUT, f"decoded-{port}-{coding}"), f"https://{HOST}:{port}/json100k"], timeout=10)
    encoding = re.search(r"(?im)^content-encoding:\s*(\S+)", r.stdout or "")
    try:
        decoded = open(os.path.join(OUT, f"decoded-{port}-{coding}"), "rb").read()
    except OSError:
        decoded = b""
    ok = encoding is not None and encoding.group(1).lower() == coding and decoded == json_document()
    raw = run(["curl", "-sk", "-H", f"Accept-Encoding: {coding}", "-o", "/dev/null", "-w", "%{size_download}",
               f"https://{HOST}:{port}/json100k"], timeout=10)
    return {"ok": ok, "bytes": int(raw.stdout or 0), "error": f"Content-Encoding {encoding.group(1) if encoding else None}, "
                               f"{len(decoded)} bytes decoded {'=' if decoded == json_document() else '!='} the document"}


def nginx_argv(prefix: str, conf: str, workers: int) -> list:
    p = os.path.join(OUT, prefix)
    return ["nginx", "-p", p + "/", "-c", os.path.join(BENCH, conf), "-g",
            f"worker_processes {workers}; pid {p}/nginx.pid; error_log {p}/error.log warn; daemon off;"]


def make_backend() -> Server:
    return Server("backend", nginx_argv("nginx-backend", "nginx-backend.conf", 1), [BACKEND_PORT],
                  workers=1)


def make_ws_backend() -> Server:
    return Server("ws-backend", [sys.executable, WS_LOAD, "serve", "--port", str(WS_BACKEND_PORT)],
                  [WS_BACKEND_PORT])


def make_proxy(name: str, workers: int) -> Server:
    ports = list(PROXY_PORTS[name].values())
    if name == "portcullis":
        argv = [PORTCULLIS_BIN, "run", "-c", os.path.join(BENCH, "portcullis.yaml"),
                "--event-loops", str(workers)]
        return Server(name, argv, ports, cwd=ROOT)
    if name == "nginx":
        return Server(name, nginx_argv("nginx-proxy", "nginx-proxy.conf", workers), ports,
                      workers=workers)
    return Server(name, ["haproxy", "-db", "-f", "haproxy.cfg"], ports, cwd=BENCH,
                  env={"BENCH_WORKERS": str(workers)})


def raise_fd_limit() -> int:
    want = 200000
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def versions() -> dict:
    def first(argv, pattern):
        r = run(argv, timeout=10)
        m = re.search(pattern, r.stdout + r.stderr)
        return m.group(1) if m else "?"
    git = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], timeout=10).stdout.strip() or "?"
    dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"],
                timeout=10).stdout.strip()
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "portcullis": git + (" (Sources modified)" if dirty else ""),
        "nginx": first(["nginx", "-v"], r"nginx/(\S+)"),
        "haproxy": first(["haproxy", "-v"], r"version (\S+)"),
        "wrk": first(["wrk", "-v"], r"wrk (\S+)"),
        "h2load": first(["h2load", "--version"], r"nghttp2/(\S+)"),
        "openssl": first(["openssl", "version"], r"OpenSSL (\S+)"),
        "python": sys.version.split()[0],
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": os.uname().release,
    }


# --------------------------------------------------------------------------------------------
# Checks: each proxy forwards, keeps connections alive, and resumes only where it should
# --------------------------------------------------------------------------------------------

def http_exchange(port, path="/", tls=True, requests=1, context=None, session=None):
    sock = socket.create_connection((HOST, port), timeout=10)
    if tls:
        sock = context.wrap_socket(sock, server_hostname="localhost", session=session)
    result = {"statuses": [], "lengths": [], "bodies_ok": True, "closed": False}
    buf = b""
    try:
        for _ in range(requests):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the response head")
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0"))
            while len(buf) < length:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("closed inside the body")
                buf += chunk
            body, buf = buf[:length], buf[length:]
            result["statuses"].append(status)
            result["lengths"].append(length)
            if path == "/" and body != SMALL_BODY:
                result["bodies_ok"] = False
            if headers.get("connection", "").lower() == "close":
                result["closed"] = True
                break
        if tls:
            result["version"] = sock.version()
            result["cipher"] = sock.cipher()[0]
            result["reused"] = sock.session_reused
            result["session"] = sock.session
    finally:
        sock.close()
    return result


def server_temp_key(port: int) -> str:
    r = run(["openssl", "s_client", "-connect", f"{HOST}:{port}", "-servername", "localhost"],
            timeout=10)
    m = re.search(r"Server Temp Key: ([^\n]+)", r.stdout + r.stderr)
    return m.group(1).strip() if m else "?"


def h2_once(port: int) -> dict:
    """Two requests on one connection offering h2 and http/1.1: does ALPN choose h2, and are both
    answered 2xx over it?"""
    r = run(["h2load", "-c", "1", "-m", "2", "-n", "2", f"https://{HOST}:{port}/"], timeout=20)
    proto = h2_protocol(r.stdout)
    if proto != "h2":
        return {"ok": False, "error": f"ALPN chose {proto or 'nothing'}, not h2 " + (r.stderr or "")[-200:]}
    m = re.search(r"status codes: (\d+) 2xx", r.stdout)
    ok2xx = int(m.group(1)) if m else 0
    if ok2xx != 2:
        return {"ok": False, "error": f"{ok2xx} of 2 requests answered 2xx"}
    return {"ok": True}


def check_proxy(name: str) -> dict:
    ports = PROXY_PORTS[name]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    problems = []
    info = {}
    try:
        a = http_exchange(ports["tls"], "/", requests=2, context=ctx)
        if a["statuses"] != [200, 200] or not a["bodies_ok"]:
            problems.append(f"HTTPS keep-alive: statuses {a['statuses']}, body ok {a['bodies_ok']}")
        info.update(version=a["version"], cipher=a["cipher"])
        b = http_exchange(ports["tls"], "/", context=ctx, session=a["session"])
        info["resumes_with_tickets"] = b["reused"]
        if not b["reused"]:
            problems.append("tickets listener did not resume a session")
        c = http_exchange(ports["tls_full"], "/", context=ctx)
        d = http_exchange(ports["tls_full"], "/", context=ctx, session=c["session"])
        info["resumes_without_tickets"] = d["reused"]
        if d["reused"]:
            problems.append("no-tickets listener resumed a session: 'full handshake' is not")
        e = http_exchange(ports["tls"], "/1m", context=ctx)
        if e["statuses"] != [200] or e["lengths"] != [ONE_MIB]:
            problems.append(f"/1m over HTTPS: {e['statuses']} {e['lengths']}")
        f = http_exchange(ports["http"], "/", tls=False, requests=2)
        if f["statuses"] != [200, 200] or not f["bodies_ok"]:
            problems.append(f"plain HTTP keep-alive: statuses {f['statuses']}")
    except (OSError, ValueError, IndexError) as err:
        problems.append(f"check failed: {err}")
    ws = ws_load_once(ports["ws"])
    info["websocket"] = bool(ws.get("ok"))
    if not ws.get("ok"):
        problems.append(f"WebSocket over HTTPS: {ws.get('error', 'failed')}")
    h2 = h2_once(ports["h2"])
    info["h2"] = h2["ok"]
    if not h2["ok"]:
        problems.append(f"HTTP/2 over HTTPS: {h2['error']}")
    policy = policy_once(ports["policy"], checks_token=name != "nginx")
    info["policy"] = policy["ok"]
    if not policy["ok"]:
        problems.append(f"edge policy: {policy['error']}")
    for coding in ("gzip",) if name != "portcullis" else ("gzip", "br", "zstd"):
        compressed = compression_once(ports["gzip"], coding)
        info[f"compression_{coding}"] = compressed["ok"]
        info[f"compressed_bytes_{coding}"] = compressed.get("bytes")
        log(f"  {name}: 100 KiB JSON with {coding}: {compressed.get('bytes')} bytes")
        if not compressed["ok"]:
            problems.append(f"{coding} compression: {compressed['error']}")
    info["group"] = server_temp_key(ports["tls"])
    info["problems"] = problems
    return info


def policy_once(port: int, checks_token: bool = True) -> dict:
    """The policy listener lets a request with the bench token through (2xx) and refuses one
    without it (4xx): the scenario measures the checks, not a bypass. (nginx's stand-in,
    auth_request to the backend, checks no token: only the first holds there.)"""
    statuses = []
    for header in ([f"Authorization: Bearer {policy_token()}"], []):
        argv = ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}"] + [a for h in header for a in ("-H", h)]
        r = run(argv + [f"https://{HOST}:{port}/"], timeout=10)
        statuses.append(int(r.stdout or 0))
    ok = 200 <= statuses[0] < 300 and (not checks_token or 400 <= statuses[1] < 500)
    return {"ok": ok, "error": f"with token {statuses[0]}, without {statuses[1]}"}


# --------------------------------------------------------------------------------------------
# Load generators
# --------------------------------------------------------------------------------------------

def to_ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", value)
    if not m:
        return float("nan")
    n, unit = float(m.group(1)), m.group(2)
    return n * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, connections: int, duration: int, headers: tuple = ()) -> dict:
    argv = ["wrk", "-t", str(CLIENT_THREADS), "-c", str(connections), "-d", f"{duration}s",
            "--timeout", "5s", "--latency"] + [arg for header in headers for arg in ("-H", header)] + [url]
    r = run(argv, timeout=duration + 30)
    out = r.stdout
    res = {"tool": " ".join(argv[:-1]), "ok": r.returncode == 0}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", out)
    if not m:
        res.update(ok=False, error=(r.stderr or out)[-300:])
        return res
    res["requests"] = int(m.group(1))
    res["seconds"] = to_ms(m.group(2) + m.group(3)) / 1000.0
    res["rps"] = res["requests"] / res["seconds"] if res["seconds"] else 0.0
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[key] = to_ms(m.group(1)) if m else float("nan")
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    res["errors"] = errors
    return res


def h2load(url: str, requests: int, timeout: float) -> dict:
    """One request per connection (`Connection: close`): h2load reconnects for every request.

    h2load keeps the TLS session of a client's previous connection and offers it on the next
    one, so against a listener with tickets every connection after a client's first resumes; a
    listener without tickets (and without a session cache) makes each one a full handshake.
    Count mode (-n), not -D: with `Connection: close`, h2load 1.52's timing mode never ends.
    """
    clients = min(HS_CLIENTS, requests)
    argv = ["h2load", "--h1", "-t", str(CLIENT_THREADS), "-c", str(clients), "-n", str(requests),
            "-H", "Connection: close", url]
    r = run(argv, timeout=timeout)
    out = r.stdout
    tool = " ".join(argv[:-1]).replace("Connection: close", "'Connection: close'")
    res = {"tool": tool.replace(f"-n {requests}", "-n N"), "n": requests, "ok": r.returncode == 0}
    m = re.search(r"finished in ([\d.]+)(us|ms|s|m), ([\d.]+) req/s", out)
    m2 = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                   r"(\d+) errored, (\d+) timeout", out)
    m3 = re.search(r"status codes: (\d+) 2xx", out)
    if not (m and m2):
        res.update(ok=False, error=("timeout; " if r.returncode == -9 else "") + (r.stderr or out)[-300:])
        return res
    res["seconds"] = to_ms(m.group(1) + m.group(2)) / 1000.0
    ok2xx = int(m3.group(1)) if m3 else 0
    res["requests"] = ok2xx
    res["rps"] = ok2xx / res["seconds"] if res["seconds"] else 0.0
    res["errors"] = int(m2.group(1)) - ok2xx
    return res


def h2_protocol(output: str):
    """The application protocol h2load reports (what ALPN chose on its first connection), or None.

    h2load offers h2 and http/1.1 and falls back to HTTP/1.1 without a word of warning beyond
    this line, so every HTTP/2 run looks for it."""
    m = re.search(r"^Application protocol: (\S+)", output, re.M)
    return m.group(1) if m else None


class H2Run:
    """h2load over HTTP/2 through one proxy, in timing mode: `prepare` starts it and returns once
    its warm-up is over on every client thread (TLS handshakes and the first requests, which
    h2load does not count: they are left out of the proxy's CPU time too); calling it waits out
    the `duration` s of counted requests.

    H2_CONNECTIONS connections with H2_STREAMS concurrent `GET /` streams each; h2load opens a
    stream as soon as one ends. Timing mode (-D) ends normally with HTTP/2 (it is
    `Connection: close` that keeps h2load 1.52's from ending, see h2load()), so there is no N to
    size; h2load's counts and its req/s cover the main duration only, hence the CPU window that
    matches it. Bounded: the warm-up must end within `warmup` + 30 s and the run within
    `duration` + 30 s, or h2load is killed (by its PID). The run fails, at once, if ALPN chose
    anything but h2.
    """

    def __init__(self, port: int, duration: int, warmup: int):
        self.duration, self.warmup = duration, warmup
        self.argv = ["h2load", "-t", str(CLIENT_THREADS), "-c", str(H2_CONNECTIONS), "-m", str(H2_STREAMS),
                     "-D", str(duration), "--warm-up-time", str(warmup), f"https://{HOST}:{port}/"]
        self.tool = " ".join(self.argv[:-1])
        self.proc = None
        self.buf = b""
        self.lines = []
        self.ended = False

    def prepare(self):
        """None once every client thread is in its main duration, else the failed result."""
        # stderr joined to stdout: h2load's phase messages and its summary in one ordered stream.
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.warmup + 30
        started = 0
        while started < CLIENT_THREADS:
            line = self._line(deadline)
            if line is None:
                return self._failed("h2load ended or its main duration did not start within "
                                    f"{self.warmup + 30} s")
            proto = h2_protocol(line)
            if proto is not None and proto != "h2":
                return self._failed(f"ALPN chose {proto}, not h2: this would measure HTTP/1.1")
            if line.startswith("Main benchmark duration is started"):
                started += 1
        return None

    def __call__(self) -> dict:
        deadline = time.monotonic() + self.duration + 30
        while self._line(deadline) is not None:
            pass
        if not self.ended:
            return self._failed(f"h2load did not end within {self.duration + 30} s")
        rc = self.finish()
        out = "\n".join(self.lines)
        res = {"tool": self.tool, "ok": rc == 0}
        proto = h2_protocol(out)
        m2 = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                       r"(\d+) errored, (\d+) timeout", out)
        m3 = re.search(r"status codes: (\d+) 2xx", out)
        if proto != "h2" or not m2:
            if proto is None:
                error = "h2load reported no application protocol (no connection made?)"
            elif proto != "h2":
                error = f"ALPN chose {proto}, not h2: this measured HTTP/1.1"
            else:
                error = "no summary from h2load"
            res.update(ok=False, error=f"{error}; h2load said: {out[-300:]}")
            return res
        if rc != 0:
            res["error"] = f"h2load exited with status {rc}"
        ok2xx = int(m3.group(1)) if m3 else 0
        # Timing mode: h2load counts requests of the main duration only, `duration` s exactly.
        res["seconds"] = float(self.duration)
        res["requests"] = ok2xx
        res["rps"] = ok2xx / self.duration
        # Streams still open when the duration ends are dropped uncounted (not errors); streams
        # answered other than 2xx are `done` but not 2xx; a failed connection's are `failed`.
        res["errors"] = max(int(m2.group(3)) - ok2xx, int(m2.group(5)))
        return res

    def _line(self, deadline):
        """h2load's next line, or None at its end (self.ended) or at the deadline.

        Its own line buffer over the pipe, not read_line(): h2load can write several lines in one
        go, and select() does not see lines a buffered reader already holds."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                self.ended = True
                if not self.buf:
                    return None
                self.buf += b"\n"
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode("utf-8", "replace")
        self.lines.append(text)
        return text

    def _failed(self, error: str) -> dict:
        self.finish(kill=True)
        tail = "\n".join(self.lines)[-300:]
        return {"ok": False, "tool": self.tool, "error": f"{error}; h2load said: {tail}"}

    def finish(self, kill: bool = False) -> int:
        """Waits for h2load to exit (killing it, by its PID, at once or after 10 s); its status."""
        if self.proc is None:
            return -9
        if kill and self.proc.poll() is None:
            self.proc.kill()
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=5)
        self.proc.stdout.close()
        self.proc = None
        return rc


def parse_json_line(line):
    try:
        value = json.loads(line or "")
        return value if isinstance(value, dict) else None
    except ValueError:
        return None


def ws_load_once(port: int) -> dict:
    """One tunnel, 20 messages: does the proxy carry WebSocket at all?"""
    r = run([sys.executable, WS_LOAD, "load", "--port", str(port), "--tls", "--connections", "1",
             "--count", "20", "--timeout", "5", "--max-seconds", "10"], timeout=30)
    return parse_json_line(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "") or {
        "ok": False, "error": (r.stderr or r.stdout or "no answer")[-300:]}


class WebSocketRun:
    """ws_load.py through one proxy: `prepare` opens the tunnels (TLS handshakes and upgrades,
    left out of the measurement), calling it sends messages for `duration` seconds.

    Each of WS_CONNECTIONS tunnels carries one WS_MESSAGE_BYTES binary message to the echo target
    and waits for the echo before sending the next.
    """

    def __init__(self, port: int, duration: int):
        self.duration = duration
        self.argv = [sys.executable, WS_LOAD, "load", "--port", str(port), "--tls",
                     "--connections", str(WS_CONNECTIONS), "--size", str(WS_MESSAGE_BYTES),
                     "--duration", str(duration), "--timeout", "15", "--wait-go",
                     "--max-seconds", str(duration + 60)]
        self.proc = None

    def prepare(self):
        """None once every tunnel is open, else the failed result."""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = read_line(self.proc, timeout=40)
        if line and line.startswith("READY"):
            return None
        self.finish()
        result = parse_json_line(line) or {"ok": False, "error": line or "no answer within 40 s"}
        result.setdefault("tool", " ".join(["ws_load.py"] + self.argv[2:]))
        return result

    def __call__(self) -> dict:
        try:
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
        except OSError as err:
            self.finish()
            return {"ok": False, "error": f"ws_load.py: {err}"}
        line = read_line(self.proc, timeout=self.duration + 30)
        stderr = self.finish()
        return parse_json_line(line) or {"ok": False, "error": f"no result: {line or ''} {stderr[-300:]}".strip()}

    def finish(self) -> str:
        """Waits for ws_load.py to exit (killing it, by its PID, after 10 s); its stderr."""
        if self.proc is None:
            return ""
        try:
            _, err = self.proc.communicate(timeout=10)  # closes its stdin: ws_load.py ends
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=5)
        self.proc = None
        return err or ""


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, mode: str, scenarios=None, proxies=None):
        self.mode = mode
        self.cfg = MODES[mode]
        self.scenarios = list(scenarios or SCENARIOS)
        self.proxy_names = list(proxies or PROXIES)
        self.memory_test = True
        self.ws_backend = None
        self.results = []       # one dict per timed run
        self.memory = {}        # workers -> proxy -> dict
        self.checks = {}        # workers -> proxy -> dict
        self.rates = {}         # (workers, proxy, scenario) -> handshakes/s estimate
        self.notes = []
        self.backend = None
        self.proxies = {}
        self.busy_runs = 0
        self.before = {}        # workers -> how busy the machine was just before

    # A timed run: CPU of the proxy (all its processes), of the backend, of the client, and of
    # the whole machine, before and after.
    def measure(self, workers, rep, scenario, target, fn) -> dict:
        server = self.backend if target == "backend" else self.proxies[target]
        backend = self.ws_backend if scenario.startswith("wss") else self.backend
        # A run that must set up first (WebSocketRun: tunnels opened before the measurement).
        prepare = getattr(fn, "prepare", None)
        if prepare is not None:
            failed = prepare()
            if failed is not None:
                failed.update(workers=workers, rep=rep, scenario=scenario, target=target, ok=False,
                              cpu_us_per_req=float("nan"))
                self.results.append(failed)
                log(f"    {target:<10} {scenario:<13} FAILED: {failed.get('error', '')}")
                return failed
        pids = server.pids()
        backend_pids = backend.pids()
        ours = ([p for s in self.proxies.values() for p in s.pids()] + self.backend.pids() +
                (self.ws_backend.pids() if self.ws_backend else []))
        c0, b0, o0 = cpu_ticks(pids), cpu_ticks(backend_pids), cpu_ticks(ours)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s0 = system_cpu()
        t0 = time.monotonic()
        res = fn()
        t1 = time.monotonic()
        s1 = system_cpu()
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c1, b1, o1 = cpu_ticks(pids), cpu_ticks(backend_pids), cpu_ticks(ours)
        wall = t1 - t0
        client = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        proxy_s = (c1 - c0) / CLK_TCK
        busy = (s1[0] - s0[0]) / CLK_TCK
        other_raw = (busy - (o1 - o0) / CLK_TCK - client) / wall if wall else 0.0
        other = max(0.0, other_raw)
        steal = (s1[1] - s0[1]) / CLK_TCK / wall if wall else 0.0
        res.update(workers=workers, rep=rep, scenario=scenario, target=target, wall=wall,
                   cpu_s=proxy_s, backend_cpu_s=(b1 - b0) / CLK_TCK, client_cpu_s=client,
                   other_cores=other, other_cores_raw=other_raw, steal_cores=steal)
        n = res.get("requests") or 0
        res["cpu_us_per_req"] = proxy_s / n * 1e6 if n else float("nan")
        if other > OTHER_CPU_WARN or steal > 0.05:
            res["busy"] = True
            self.busy_runs += 1
        self.results.append(res)
        flag = " BUSY" if res.get("busy") else ""
        err = f" errors={res.get('errors')}" if res.get("errors") else ""
        if not res.get("ok", True) or "rps" not in res:
            log(f"    {target:<10} {scenario:<13} FAILED: {res.get('error', '')}")
        else:
            extra = f" p99={res['p99_ms']:.2f}ms" if "p99_ms" in res else ""
            log(f"    {target:<10} {scenario:<13} {res['rps']:>10.0f}/s  cpu {res['cpu_us_per_req']:>8.1f} us/req"
                f"{extra}  other {other:.2f} cores{err}{flag}")
        return res

    def scenario_fn(self, workers, scenario, target, duration):
        if target == "backend":
            path = "/1m" if scenario == "http-1m" else "/"
            conns = BIG_CONNECTIONS if scenario == "http-1m" else KA_CONNECTIONS
            return lambda: wrk(f"http://{HOST}:{BACKEND_PORT}{path}", conns, duration)
        ports = PROXY_PORTS[target]
        if scenario == "https-ka":
            return lambda: wrk(f"https://{HOST}:{ports['tls']}/", KA_CONNECTIONS, duration)
        if scenario == "https-1m":
            return lambda: wrk(f"https://{HOST}:{ports['tls']}/1m", BIG_CONNECTIONS, duration)
        if scenario == "http-ka":
            return lambda: wrk(f"http://{HOST}:{ports['http']}/", KA_CONNECTIONS, duration)
        if scenario == "wss-echo":
            return WebSocketRun(ports["ws"], duration)
        if scenario == "https-policy":
            # A route with a rate limit (never reached), an allow list and an ES256 JWT (see
            # policy_token()); nginx has no JWT in its open-source build: it asks the backend
            # with auth_request instead.
            token = policy_token()
            return lambda: wrk(f"https://{HOST}:{ports['policy']}/", KA_CONNECTIONS, duration,
                               (f"Authorization: Bearer {token}",))
        if scenario in COMPRESSION:
            return lambda: wrk(f"https://{HOST}:{ports['gzip']}/json100k", COMPRESSION_CONNECTIONS, duration,
                               (f"Accept-Encoding: {COMPRESSION[scenario]}",))
        if scenario == "h2":
            return H2Run(ports["h2"], duration, self.cfg["warmup"])
        if scenario in STATIC_SCENARIOS:
            key, path, conns = STATIC_SCENARIOS[scenario]
            scheme = "https" if key == "static_tls" else "http"
            return lambda: wrk(f"{scheme}://{HOST}:{ports[key]}{path}", conns, duration)
        if scenario == "cache-hit":
            return lambda: wrk(f"http://{HOST}:{ports['cache']}/", KA_CONNECTIONS, duration)
        port = ports["tls_full"] if scenario == "https-full" else ports["tls"]
        key = (workers, target, scenario)
        n = int(min(200000, max(300, self.rates.get(key, 500) * duration)))

        def go():
            res = h2load(f"https://{HOST}:{port}/", n, timeout=max(30, duration * 6))
            if res.get("rps"):
                self.rates[key] = res["rps"]
            return res
        return go

    def phase(self, workers: int) -> None:
        cfg = self.cfg
        log(f"\n== {workers} worker(s): starting proxies (load average {loadavg()})")
        busy = machine_busy_sample(2.0)
        self.before[workers] = f"load average {loadavg()}, {busy:.2f} cores busy over 2 s"
        if busy > OTHER_CPU_WARN:
            msg = (f"machine busy before the {workers}-worker runs: {busy:.2f} cores in use "
                   f"with nothing of ours loaded (load average {loadavg()})")
            builds = other_build_processes()
            if builds:
                msg += "; running: " + "; ".join(builds[:3])
            log("WARNING: " + msg)
            self.notes.append(msg)
        self.proxies = {}
        names = self.proxy_names
        selected = self.scenarios
        try:
            for name in names:
                server = make_proxy(name, workers)
                server.start()
                self.proxies[name] = server
            self.checks[workers] = {}
            for name in names:
                info = check_proxy(name)
                self.checks[workers][name] = info
                log(f"  check {name:<10} {info.get('version')} {info.get('cipher')} {info.get('group')} "
                    f"resume(tickets)={info.get('resumes_with_tickets')} "
                    f"resume(no tickets)={info.get('resumes_without_tickets')} websocket={info.get('websocket')} "
                    f"h2={info.get('h2')}"
                    + (f"  PROBLEMS: {info['problems']}" if info["problems"] else ""))
                for p in info["problems"]:
                    self.notes.append(f"{LABEL[name]} at {workers} worker(s): {p}")
            # Warm-up, which also estimates the handshake rates that size the h2load runs. (The h2
            # scenario warms up inside each of its runs: h2load's --warm-up-time.)
            log("  warm-up")
            for name in names:
                ports = PROXY_PORTS[name]
                if "https-ka" in selected:
                    wrk(f"https://{HOST}:{ports['tls']}/", KA_CONNECTIONS, cfg["warmup"])
                if "https-1m" in selected:
                    wrk(f"https://{HOST}:{ports['tls']}/1m", BIG_CONNECTIONS, cfg["warmup"])
                if "http-ka" in selected:
                    wrk(f"http://{HOST}:{ports['http']}/", KA_CONNECTIONS, cfg["warmup"])
                for scenario, coding in COMPRESSION.items():
                    if scenario in selected and (name == "portcullis" or scenario not in PORTCULLIS_ONLY):
                        wrk(f"https://{HOST}:{ports['gzip']}/json100k", COMPRESSION_CONNECTIONS, cfg["warmup"],
                            (f"Accept-Encoding: {coding}",))
                for scenario, port in (("https-full", ports["tls_full"]), ("https-resume", ports["tls"])):
                    if scenario not in selected:
                        continue
                    res = h2load(f"https://{HOST}:{port}/", 400, timeout=30)
                    if res.get("rps"):
                        self.rates[(workers, name, scenario)] = res["rps"]
                for scenario, (key, path, conns) in STATIC_SCENARIOS.items():
                    if scenario in selected and name in FILE_SERVERS:
                        scheme = "https" if key == "static_tls" else "http"
                        wrk(f"{scheme}://{HOST}:{ports[key]}{path}", conns, cfg["warmup"])
                if "cache-hit" in selected and name in CACHE_SERVERS:
                    wrk(f"http://{HOST}:{ports['cache']}/", KA_CONNECTIONS, cfg["warmup"])
                if "wss-echo" in selected and self.checks[workers][name].get("websocket"):
                    warm = WebSocketRun(ports["ws"], cfg["warmup"])
                    if warm.prepare() is None:
                        warm()
            for rep in range(1, cfg["reps"] + 1):
                log(f"  repetition {rep}/{cfg['reps']}")
                for scenario in selected:
                    for target in names:
                        if scenario in PORTCULLIS_ONLY and target != "portcullis":
                            continue
                        if scenario in STATIC_SCENARIOS and target not in FILE_SERVERS:
                            continue  # HAProxy serves no files
                        if scenario == "cache-hit" and target not in CACHE_SERVERS:
                            continue
                        self.measure(workers, rep, scenario, target,
                                     self.scenario_fn(workers, scenario, target, cfg["duration"]))
                    if scenario == "http-ka":
                        for bscen in ("http-ka", "http-1m"):
                            self.measure(workers, rep, bscen, "backend",
                                         self.scenario_fn(workers, bscen, "backend", cfg["duration"]))
            # Memory: peak under load, then with idle connections, one proxy at a time.
            if not self.memory_test:
                return
            self.memory[workers] = {}
            for name in names:
                pids = self.proxies[name].pids()
                self.memory[workers][name] = {"peak_rss_kib": status_kib(pids, "VmHWM"),
                                              "rss_kib_loaded": status_kib(pids, "VmRSS")}
            for name in names:
                self.memory[workers][name].update(self.idle_test(name, cfg["idle"]))
        finally:
            for server in self.proxies.values():
                server.stop()

    def idle_test(self, name: str, count: int) -> dict:
        server = self.proxies[name]
        pids = server.pids()
        time.sleep(0.5)
        before = {"rss_kib_before_idle": status_kib(pids, "VmRSS"), "pss_kib_before_idle": pss_kib(pids)}
        argv = [sys.executable, os.path.join(BENCH, "idle_clients.py"), "--port",
                str(PROXY_PORTS[name]["tls"]), "--count", str(count), "--concurrency",
                str(IDLE_CONCURRENCY), "--open-timeout", "90", "--hold", "60"]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        result = dict(before, idle_requested=count, idle_open=0, idle_failed=0)
        try:
            line = read_line(proc, timeout=120)
            m = re.match(r"OPEN (\d+) (\d+) ([\d.]+)", line or "")
            if m:
                result.update(idle_open=int(m.group(1)), idle_failed=int(m.group(2)),
                              idle_open_seconds=float(m.group(3)))
                time.sleep(1.0)
                pids = server.pids()
                result.update(rss_kib_idle=status_kib(pids, "VmRSS"), pss_kib_idle=pss_kib(pids),
                              fds_idle=fd_count(pids))
            else:
                result["error"] = (line or "no answer") + " " + (proc.stderr.read() if proc.poll() is not None else "")
            proc.stdin.write("close\n")
            proc.stdin.flush()
            read_line(proc, timeout=30)
        except (BrokenPipeError, OSError) as err:
            result["error"] = str(err)
        finally:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        result["idle_wall_seconds"] = time.monotonic() - t0
        log(f"  idle {name:<10} {result.get('idle_open')} open ({result.get('idle_failed')} failed) in "
            f"{result.get('idle_open_seconds', 0):.1f}s: RSS {result.get('rss_kib_idle', 0) / 1024:.1f} MiB "
            f"(before {result['rss_kib_before_idle'] / 1024:.1f} MiB), fds {result.get('fds_idle')}")
        if result["idle_open"] < count:
            self.notes.append(f"{LABEL[name]}: only {result['idle_open']} of {count} idle TLS connections "
                              f"opened ({result['idle_failed']} failed)" + (f": {result['error']}" if result.get("error") else ""))
        time.sleep(1.0)
        return result

    def openssl_speed(self) -> dict:
        secs = str(self.cfg["speed_seconds"])
        r = run(["openssl", "speed", "-seconds", secs, "ecdsap256", "ecdhx25519"], timeout=60)
        out = r.stdout
        speed = {}
        m = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", out)
        if m:
            speed["ecdsa_p256_sign_per_s"] = float(m.group(1))
            speed["ecdsa_p256_verify_per_s"] = float(m.group(2))
        m = re.search(r"253 bits ecdh \(X25519\)\s+\S+s\s+([\d.]+)", out)
        if m:
            speed["x25519_per_s"] = float(m.group(1))
        r = run(["openssl", "speed", "-seconds", secs, "-bytes", "16384", "-evp", "aes-128-gcm"], timeout=60)
        m = re.search(r"^AES-128-GCM\s+([\d.]+)k", r.stdout, re.M | re.I)
        if m:
            speed["aes_128_gcm_mb_per_s"] = float(m.group(1)) / 1000.0
        log(f"  openssl speed: {speed}")
        return speed


def read_line(proc, timeout: float):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        return None
    return proc.stdout.readline().strip()


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

SCENARIO_ROWS = [
    # scenario, label, [(field, metric label, format, better)]
    ("https-ka", "HTTPS keep-alive, 64 B body", [
        ("rps", "req/s", "{:,.0f}", "higher"),
        ("p50_ms", "p50 latency, ms", "{:.2f}", "lower"),
        ("p99_ms", "p99 latency, ms", "{:.2f}", "lower"),
        ("cpu_us_per_req", "CPU µs / request", "{:.1f}", "lower")]),
    ("h2", f"HTTP/2, {H2_CONNECTIONS} connections × {H2_STREAMS} streams, 64 B body", [
        ("rps", "req/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / request", "{:.1f}", "lower")]),
    ("https-full", "Full TLS handshake + request", [
        ("rps", "handshakes/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / handshake", "{:.0f}", "lower")]),
    ("https-resume", "Resumed handshake (ticket) + request", [
        ("rps", "handshakes/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / handshake", "{:.0f}", "lower")]),
    ("https-1m", "1 MiB body over HTTPS keep-alive", [
        ("mbps", "MB/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / response", "{:,.0f}", "lower")]),
    ("http-ka", "Plain HTTP keep-alive, 64 B body", [
        ("rps", "req/s", "{:,.0f}", "higher"),
        ("p50_ms", "p50 latency, ms", "{:.2f}", "lower"),
        ("p99_ms", "p99 latency, ms", "{:.2f}", "lower"),
        ("cpu_us_per_req", "CPU µs / request", "{:.1f}", "lower")]),
    ("https-policy", "HTTPS keep-alive through a rate limit, an allow list and an ES256 JWT (nginx: auth_request)", [
        ("rps", "req/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / request", "{:.1f}", "lower")]),
    ("https-json", "100 KiB JSON as it is (Accept-Encoding: identity), HTTPS keep-alive: the compression rows less the compression", [
        ("rps", "responses/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / response", "{:,.0f}", "lower")]),
    ("https-gzip", "100 KiB JSON gzip-compressed in the proxy, HTTPS keep-alive (gzip level 1; HAProxy: libslz)", [
        ("rps", "responses/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / response", "{:,.0f}", "lower")]),
    ("https-br", "100 KiB JSON brotli-compressed (quality 1; Portcullis alone)", [
        ("rps", "responses/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / response", "{:,.0f}", "lower")]),
    ("https-zstd", "100 KiB JSON zstd-compressed (level 3; Portcullis alone)", [
        ("rps", "responses/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / response", "{:,.0f}", "lower")]),
    ("static-small", f"Static file, {SMALL_FILE_BYTES} B, plain HTTP keep-alive (HAProxy serves no files)", [
        ("rps", "req/s", "{:,.0f}", "higher"),
        ("p99_ms", "p99 latency, ms", "{:.2f}", "lower"),
        ("cpu_us_per_req", "CPU µs / request", "{:.1f}", "lower")]),
    ("static-1m", "Static file, 1 MiB, plain HTTP keep-alive (sendfile)", [
        ("mbps", "MB/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / response", "{:,.0f}", "lower")]),
    ("static-small-tls", f"Static file, {SMALL_FILE_BYTES} B, HTTPS keep-alive", [
        ("rps", "req/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / request", "{:.1f}", "lower")]),
    ("static-1m-tls", "Static file, 1 MiB, HTTPS keep-alive", [
        ("mbps", "MB/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / response", "{:,.0f}", "lower")]),
    ("cache-hit", "HTTP cache hit, 64 B response, plain HTTP keep-alive (nginx proxy_cache; HAProxy not run)", [
        ("rps", "req/s", "{:,.0f}", "higher"),
        ("p99_ms", "p99 latency, ms", "{:.2f}", "lower"),
        ("cpu_us_per_req", "CPU µs / request", "{:.1f}", "lower")]),
    ("wss-echo", f"WebSocket over HTTPS, {WS_MESSAGE_BYTES} B messages echoed ({WS_CONNECTIONS} tunnels)", [
        ("rps", "messages/s", "{:,.0f}", "higher"),
        ("cpu_us_per_req", "CPU µs / message (both ways)", "{:.1f}", "lower")]),
]


def values(results, workers, scenario, target, field):
    """The field's value in each repetition, and whether any of those runs was flagged busy."""
    out, busy = [], False
    for r in results:
        if r["workers"] == workers and r["scenario"] == scenario and r["target"] == target:
            v = r.get(field)
            if field == "mbps" and r.get("requests") and r.get("seconds"):
                v = r["requests"] * ONE_MIB / r["seconds"] / 1e6
            if v is not None and v == v and r.get("ok", True):
                out.append(v)
                busy = busy or bool(r.get("busy"))
    return out, busy


def cell(vals_busy, fmt):
    vals, busy = vals_busy
    if not vals:
        return "—", None
    med = statistics.median(vals)
    text = fmt.format(med)
    if len(vals) > 1 and med:
        text += f" ±{(max(vals) - min(vals)) / 2 / abs(med) * 100:.0f}%"
    if busy:
        text += " *"
    return text, med


def ratio(a, b):
    if a is None or b is None or not b:
        return "—"
    return f"{a / b:.2f}"


def render(bench: Bench, info: dict, speed: dict, started: str, elapsed: float) -> str:
    cfg = bench.cfg
    L = []
    L.append(f"Generated by `make {'bench' if bench.mode == 'full' else 'bench-quick'}` on {started} "
             f"in {elapsed / 60:.1f} minutes: **{bench.mode} mode**, {cfg['reps']} repetition(s) of "
             f"{cfg['duration']} s runs, each cell the median with ± half the range over repetitions.")
    if bench.mode == "quick":
        L.append("")
        L.append("> Quick mode: one short repetition. Use these numbers to check the harness, not "
                 "to compare proxies; run `make bench` for that.")
    L.append("")
    L.append(f"- Machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}.")
    L.append(f"- Versions: Portcullis {info['portcullis']}, nginx {info['nginx']}, HAProxy {info['haproxy']}, "
             f"wrk {info['wrk']}, h2load {info['h2load']}, OpenSSL {info['openssl']}, Python {info['python']}.")
    for w, checks in sorted(bench.checks.items()):
        neg = "; ".join(f"{LABEL[n]} {c.get('version')} {c.get('cipher')} {c.get('group')}"
                        for n, c in checks.items())
        L.append(f"- Negotiated at {w} worker(s): {neg}.")
    if bench.before:
        L.append("- Machine before each worker count (nothing loaded): " + "; ".join(
            f"{w} worker(s): {text}" for w, text in sorted(bench.before.items())) + ".")
    if bench.busy_runs:
        L.append(f"- **Warning: {bench.busy_runs} of {len(bench.results)} runs saw more than "
                 f"{OTHER_CPU_WARN:.2f} cores used by other processes (or steal); cells with such a run "
                 f"are marked \\*, and their req/s and latency are noisy.**")
    else:
        L.append(f"- Machine quiet: no run saw more than {OTHER_CPU_WARN:.2f} cores used by other processes.")
    for note in bench.notes:
        L.append(f"- Note: {note}")
    errs = [r for r in bench.results if r.get("errors") or not r.get("ok", True)]
    for r in errs[:10]:
        L.append(f"- Errors: {LABEL[r['target']]} {r['scenario']} at {r['workers']} worker(s), "
                 f"repetition {r['rep']}: {r.get('errors', '')} {r.get('error', '')}".rstrip())
    L.append("")
    if speed:
        L.append("### OpenSSL on this CPU (one core, `openssl speed`)")
        L.append("")
        L.append("| ECDSA P-256 sign/s | ECDSA P-256 verify/s | X25519 derive/s | AES-128-GCM, 16 KiB blocks |")
        L.append("|---:|---:|---:|---:|")
        L.append(f"| {speed.get('ecdsa_p256_sign_per_s', 0):,.0f} ({1e6 / speed['ecdsa_p256_sign_per_s']:.0f} µs) "
                 f"| {speed.get('ecdsa_p256_verify_per_s', 0):,.0f} "
                 f"| {speed.get('x25519_per_s', 0):,.0f} ({1e6 / speed['x25519_per_s']:.0f} µs) "
                 f"| {speed.get('aes_128_gcm_mb_per_s', 0):,.0f} MB/s |"
                 if all(k in speed for k in ("ecdsa_p256_sign_per_s", "x25519_per_s")) else "| ? | ? | ? | ? |")
        L.append("")
    for workers in sorted({r["workers"] for r in bench.results}):
        L.append(f"### {workers} worker{'s' if workers > 1 else ''} "
                 f"(Portcullis `event_loops: {workers}`, nginx `worker_processes {workers}`, "
                 f"HAProxy `nbthread {workers}`)")
        L.append("")
        L.append("| scenario | metric | Portcullis | nginx | HAProxy | Portcullis / nginx | Portcullis / HAProxy |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        medians = {}
        for scenario, title, metrics in SCENARIO_ROWS:
            first = True
            for field, metric, fmt, better in metrics:
                cells, meds = [], {}
                for t in PROXIES:
                    text, med = cell(values(bench.results, workers, scenario, t, field), fmt)
                    cells.append(text)
                    meds[t] = med
                medians[(scenario, field)] = meds
                arrow = "↑" if better == "higher" else "↓"
                L.append(f"| {title if first else ''} | {metric} {arrow} | " + " | ".join(cells) +
                         f" | {ratio(meds['portcullis'], meds['nginx'])} | {ratio(meds['portcullis'], meds['haproxy'])} |")
                first = False
        mem = bench.memory.get(workers, {})
        if mem:
            idle_n = {m.get("idle_open") for m in mem.values()}
            n_label = f"{min(idle_n):,}" if len(idle_n) == 1 else "/".join(f"{m.get('idle_open'):,}" for m in mem.values())

            def mrow(label, key, scale, fmt, better="lower"):
                vals = {t: mem.get(t, {}).get(key) for t in PROXIES}
                vals = {t: (v * scale if v is not None else None) for t, v in vals.items()}
                cells = [fmt.format(v) if v is not None else "—" for v in vals.values()]
                arrow = "↑" if better == "higher" else "↓"
                return (f"| {label[0]} | {label[1]} {arrow} | " + " | ".join(cells) +
                        f" | {ratio(vals['portcullis'], vals['nginx'])} | {ratio(vals['portcullis'], vals['haproxy'])} |")
            for t in PROXIES:
                m = mem.get(t, {})
                if m.get("rss_kib_idle") is not None and m.get("idle_open"):
                    m["kib_per_idle_conn"] = (m["rss_kib_idle"] - m["rss_kib_before_idle"]) / m["idle_open"]
            L.append(mrow(("Memory", "peak RSS under load, MiB"), "peak_rss_kib", 1 / 1024, "{:.1f}"))
            L.append(mrow(("", f"RSS with {n_label} idle TLS connections, MiB"), "rss_kib_idle", 1 / 1024, "{:.1f}"))
            L.append(mrow(("", f"PSS with {n_label} idle TLS connections, MiB"), "pss_kib_idle", 1 / 1024, "{:.1f}"))
            L.append(mrow(("", "RSS added per idle connection, KiB"), "kib_per_idle_conn", 1, "{:.1f}"))
        L.append("")
        # Backend ceiling.
        ka_rps = cell(values(bench.results, workers, "http-ka", "backend", "rps"), "{:,.0f}")[0]
        ka_p99 = cell(values(bench.results, workers, "http-ka", "backend", "p99_ms"), "{:.2f}")[0]
        ka_cpu = cell(values(bench.results, workers, "http-ka", "backend", "cpu_us_per_req"), "{:.1f}")[0]
        big = cell(values(bench.results, workers, "http-1m", "backend", "mbps"), "{:,.0f}")[0]
        big_cpu = cell(values(bench.results, workers, "http-1m", "backend", "cpu_us_per_req"), "{:,.0f}")[0]
        L.append(f"Backend direct (the ceiling, plain HTTP, same client settings): {ka_rps} req/s, p99 {ka_p99} ms, "
                 f"backend CPU {ka_cpu} µs/request; 1 MiB: {big} MB/s, backend CPU {big_cpu} µs/response.")
        L.append("")
        # Targets from issue 3.
        def med(s, f, t):
            return medians.get((s, f), {}).get(t)
        checks = [
            ("HTTPS keep-alive CPU/request ≤ 1.0× nginx (stretch 0.85×)", med("https-ka", "cpu_us_per_req", "portcullis"),
             med("https-ka", "cpu_us_per_req", "nginx"), 1.0, "le"),
            ("HTTPS keep-alive req/s ≥ nginx", med("https-ka", "rps", "portcullis"), med("https-ka", "rps", "nginx"), 1.0, "ge"),
            ("HTTPS keep-alive p99 ≤ nginx", med("https-ka", "p99_ms", "portcullis"), med("https-ka", "p99_ms", "nginx"), 1.0, "le"),
            ("Full handshake CPU ≤ 1.05× nginx", med("https-full", "cpu_us_per_req", "portcullis"),
             med("https-full", "cpu_us_per_req", "nginx"), 1.05, "le"),
            ("h2 CPU per request ≤ nginx's", med("h2", "cpu_us_per_req", "portcullis"),
             med("h2", "cpu_us_per_req", "nginx"), 1.0, "le"),
            ("h2 CPU per request ≤ Portcullis's own https-ka CPU per request", med("h2", "cpu_us_per_req", "portcullis"),
             med("https-ka", "cpu_us_per_req", "portcullis"), 1.0, "le"),
            ("gzip response CPU ≤ 1.1× nginx (issue 20)", med("https-gzip", "cpu_us_per_req", "portcullis"),
             med("https-gzip", "cpu_us_per_req", "nginx"), 1.1, "le"),
            ("1 MiB response CPU ≤ 1.0× nginx", med("https-1m", "cpu_us_per_req", "portcullis"),
             med("https-1m", "cpu_us_per_req", "nginx"), 1.0, "le"),
            ("Static small file CPU ≤ nginx's (issue 20)", med("static-small", "cpu_us_per_req", "portcullis"),
             med("static-small", "cpu_us_per_req", "nginx"), 1.0, "le"),
            ("Static 1 MiB file CPU ≤ nginx's (issue 20)", med("static-1m", "cpu_us_per_req", "portcullis"),
             med("static-1m", "cpu_us_per_req", "nginx"), 1.0, "le"),
            ("Cache hit CPU ≤ nginx's (issue 20)", med("cache-hit", "cpu_us_per_req", "portcullis"),
             med("cache-hit", "cpu_us_per_req", "nginx"), 1.0, "le"),
            ("RSS with idle TLS connections ≤ 1.5× nginx", mem.get("portcullis", {}).get("rss_kib_idle"),
             mem.get("nginx", {}).get("rss_kib_idle"), 1.5, "le"),
        ]
        parts = []
        for name, a, b, lim, how in checks:
            if a is None or not b:
                parts.append(f"{name}: n/a")
                continue
            r = a / b
            met = r <= lim if how == "le" else r >= lim
            parts.append(f"{name}: {'**met**' if met else 'missed'} ({r:.2f}×)")
        L.append(f"Targets (issue 3) at {workers} worker{'s' if workers > 1 else ''}: " + "; ".join(parts) + ".")
        L.append("")
    tools = sorted({r["tool"] for r in bench.results if r.get("tool")})
    sized = f" (h2load's N is sized from the last measured rate to last about {cfg['duration']} s)" \
        if any("-n N" in t for t in tools) else ""
    L.append("Client settings: " + "; ".join(tools) + sized + ".")
    return "\n".join(L)


def write_doc(section: str) -> None:
    block = f"{MARK_START}\n{section}\n{MARK_END}"
    if os.path.exists(DOC):
        text = open(DOC).read()
        if MARK_START in text and MARK_END in text:
            head, rest = text.split(MARK_START, 1)
            _, tail = rest.split(MARK_END, 1)
            text = head + block + tail
        else:
            text = text.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
    else:
        text = "# Benchmarks\n\n## Results\n\n" + block + "\n"
    with open(DOC, "w") as f:
        f.write(text)


# --------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description="Portcullis vs nginx vs HAProxy on loopback.")
    parser.add_argument("--mode", choices=sorted(MODES), default="full")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--duration", type=int, help="seconds per timed run (overrides the mode)")
    parser.add_argument("--reps", type=int, help="repetitions (overrides the mode)")
    parser.add_argument("--idle", type=int, help="idle TLS connections per proxy (overrides the mode)")
    parser.add_argument("--scenarios", help="comma-separated subset of " + ",".join(SCENARIOS) +
                        " (default all); with it the idle-connection memory test is left out")
    parser.add_argument("--proxies", help="comma-separated subset of " + ",".join(PROXIES) + " (default all)")
    args = parser.parse_args()
    scenarios = [x.strip() for x in (args.scenarios or "").split(",") if x.strip()] or SCENARIOS
    proxies = [x.strip() for x in (args.proxies or "").split(",") if x.strip()] or PROXIES
    if not set(scenarios) <= set(SCENARIOS) or not set(proxies) <= set(PROXIES):
        parser.error("unknown scenario or proxy")
    workers_list = [int(x) for x in args.workers.split(",") if x.strip()]
    for key in ("duration", "reps", "idle"):
        value = getattr(args, key)
        if value is not None:
            if not 1 <= value <= (50000 if key == "idle" else 600):
                parser.error(f"--{key} out of range")
            MODES[args.mode][key] = value

    for tool in ("nginx", "haproxy", "wrk", "h2load", "openssl"):
        if not shutil.which(tool):
            log(f"{tool} not found: run `make bench` (it installs nginx haproxy wrk nghttp2-client openssl)")
            return 2
    if "portcullis" in proxies and not os.access(PORTCULLIS_BIN, os.X_OK):
        log(f"{PORTCULLIS_BIN} missing: run `make build` first")
        return 2
    busy_ports = [p for p in [BACKEND_PORT, WS_BACKEND_PORT] + [p for v in PROXY_PORTS.values() for p in v.values()]
                  if not port_free(p)]
    if busy_ports:
        log(f"ports in use on 127.0.0.1: {busy_ports}; stop whatever holds them")
        return 2

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t_start = time.monotonic()
    limit = raise_fd_limit()
    bench = Bench(args.mode, scenarios, proxies)
    bench.memory_test = not args.scenarios
    if limit < bench.cfg["idle"] + 1000:
        bench.cfg["idle"] = max(100, limit - 1000)
        bench.notes.append(f"file descriptor limit {limit}: idle test lowered to {bench.cfg['idle']} connections")
    info = versions()
    log(f"portcullis bench, {args.mode} mode: {info['cpu']}, {info['cores']} cores, load average {loadavg()}")
    builds = other_build_processes()
    if builds:
        msg = "other heavy processes running at the start: " + "; ".join(builds[:3])
        log("WARNING: " + msg)
        bench.notes.append(msg)

    make_files()
    r = run(["haproxy", "-c", "-q", "-f", "haproxy.cfg"], timeout=20, cwd=BENCH, env={"BENCH_WORKERS": "1"})
    if r.returncode != 0:
        log("haproxy.cfg does not check:\n" + r.stdout + r.stderr)
        return 2
    r = run([PORTCULLIS_BIN, "check", os.path.join(BENCH, "portcullis.yaml")], timeout=20) \
        if "portcullis" in proxies else None
    if r is not None and r.returncode != 0:
        log("portcullis.yaml does not check:\n" + r.stdout + r.stderr)
        return 2

    speed = {}
    status = 0
    bench.backend = make_backend()
    bench.ws_backend = make_ws_backend()
    try:
        bench.backend.start()
        bench.ws_backend.start()
        if {"https-full", "https-resume"} & set(scenarios):
            speed = bench.openssl_speed()
        for w in workers_list:
            bench.phase(w)
    except (RuntimeError, OSError) as err:
        log(f"ERROR: {err}")
        bench.notes.append(f"run stopped early: {err}")
        status = 1
    except KeyboardInterrupt:
        log("interrupted")
        status = 130
    finally:
        for server in list(bench.proxies.values()) + [bench.backend, bench.ws_backend]:
            try:
                server.stop()
            except Exception as err:  # noqa: BLE001 - keep stopping the others
                log(f"stopping {server.name}: {err}")

    elapsed = time.monotonic() - t_start
    section = render(bench, info, speed, started, elapsed)
    print("\n" + section + "\n")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    raw = {"mode": args.mode, "started": started, "info": info, "speed": speed,
           "results": bench.results, "memory": bench.memory, "checks": {
               w: {n: {k: v for k, v in c.items() if k != "session"} for n, c in cs.items()}
               for w, cs in bench.checks.items()}, "notes": bench.notes}
    for path in (os.path.join(OUT, f"results-{stamp}.json"), os.path.join(OUT, "last.json")):
        with open(path, "w") as f:
            json.dump(raw, f, indent=1, default=str)
    if not args.no_doc and bench.results and status != 130:
        write_doc(section)
        log(f"wrote {os.path.relpath(DOC, ROOT)} and bench/out/results-{stamp}.json ({elapsed / 60:.1f} min)")
    return status


if __name__ == "__main__":
    sys.exit(main())
