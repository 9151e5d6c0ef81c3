#!/usr/bin/env python3
"""User-space instructions per request, Portcullis and nginx: `make bench-instructions`.

CPU time on a shared 2-core machine moves by 10-20 % from run to run; the number of
instructions a proxy executes for a fixed number of requests does not. This runs each proxy
under `valgrind --tool=callgrind` (one event loop / one worker, the `make bench` configuration
and backend), sends a warm-up, zeroes the counters, sends N requests with h2load, and divides
the instructions counted by N. Kernel work (system calls, TCP) is not counted: these figures
measure the proxy's own code, OpenSSL and libc, which is where the two differ.

Portcullis runs from a copy of the release binary without debug information (valgrind cannot
read the DWARF 5 the Swift toolchain writes; the symbol table stays, so callgrind_annotate
still names functions). The callgrind files stay in bench/out/callgrind/ for inspection.

`--cache-sim` also simulates the caches (callgrind's model of this CPU's L1 instruction and
data caches) and prints L1 misses per request beside the instructions: a
deterministic view of what the time meter cannot resolve on this machine, e.g. whether a
change to code layout or allocation touches fewer cache lines.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same backend, configurations and process handling)

CALLGRIND_DIR = os.path.join(bench.OUT, "callgrind")

SCENARIOS = [
    # name, port key, path, h2load arguments, requests
    ("plain HTTP keep-alive", "http", "/", ["--h1", "-c", "10"], 4000),
    ("HTTPS keep-alive", "tls", "/", ["--h1", "-c", "10"], 4000),
    ("full TLS handshake + request", "tls_full", "/", ["--h1", "-c", "10", "-H", "Connection: close"], 1000),
    # HTTP/2 (ALPN h2, checked): one connection, 10 streams in flight, as `make bench`'s h2
    # scenario has on each of its connections.
    ("HTTP/2, 1 connection × 10 streams", "h2", "/", ["-c", "1", "-m", "10"], 4000),
    # The 1 KiB static file served by the proxy itself (issue 20; nginx: `sendfile on`), plain
    # HTTP and HTTPS keep-alive.
    ("static 1 KiB file, plain HTTP keep-alive", "static", "/1k.html", ["--h1", "-c", "10"], 4000),
    ("static 1 KiB file, HTTPS keep-alive", "static_tls", "/1k.html", ["--h1", "-c", "10"], 4000),
    # The HTTP cache (issue 20): the backend's small response answered from the proxy's cache
    # (Portcullis `cache`, nginx `proxy_cache`), plain HTTP keep-alive; the warm-up stores it.
    ("HTTP cache hit, plain HTTP keep-alive", "cache", "/", ["--h1", "-c", "10"], 4000),
]
# Plain-HTTP port keys (the others are HTTPS).
PLAIN_KEYS = {"http", "static", "cache"}


# callgrind's event names with --cache-sim=yes, and how they are printed. The last-level
# events are left out: with the whole working set in the simulated last-level cache, both
# proxies miss it less than once per request.
CACHE_EVENTS = [("I1mr", "L1 instruction misses"), ("D1mr", "L1 data read misses"),
                ("D1mw", "L1 data write misses")]


def callgrind_argv(name: str, argv: list, cache_sim: bool) -> list:
    out = os.path.join(CALLGRIND_DIR, f"{name}.%p.out")
    sim = ["--cache-sim=yes"] if cache_sim else []
    return ["valgrind", "--tool=callgrind", "--dump-instr=no"] + sim + [f"--callgrind-out-file={out}"] + argv


def portcullis_argv() -> list:
    stripped = os.path.join(CALLGRIND_DIR, "portcullis")
    subprocess.run(["strip", "--strip-debug", "-o", stripped, bench.PORTCULLIS_BIN], check=True)
    return [stripped, "run", "-c", os.path.join(bench.BENCH, "portcullis.yaml"), "--event-loops", "1"]


def nginx_argv() -> list:
    argv = bench.nginx_argv("nginx-proxy", "nginx-proxy.conf", 1)
    argv[-1] = "master_process off; " + argv[-1]  # one process, so callgrind sees the worker
    return argv


def h2load(url: str, extra: list, count: int) -> int:
    r = subprocess.run(["h2load", "-n", str(count)] + extra + [url],
                       capture_output=True, text=True, timeout=600)
    # Without --h1 h2load offers h2 and http/1.1 and would fall back to HTTP/1.1 quietly.
    if "--h1" not in extra and bench.h2_protocol(r.stdout) != "h2":
        raise RuntimeError(f"h2 not negotiated with {url} (h2load: Application protocol: "
                           f"{bench.h2_protocol(r.stdout)}): {r.stdout[-400:]} {r.stderr[-400:]}")
    for line in r.stdout.splitlines():
        if line.startswith("requests:"):
            return int(line.split()[7])  # "... N succeeded"
    raise RuntimeError(f"h2load gave no summary: {r.stdout[-400:]} {r.stderr[-400:]}")


def totals(path: str) -> dict:
    """The file's event totals by name ("Ir", and the cache events when simulated)."""
    names = None
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith(("summary:", "totals:")) and names:
                return dict(zip(names, (int(v) for v in line.split()[1:])))
    raise RuntimeError(f"no totals in {path}")


def measure(name: str, argv: list, ports: dict, cache_sim: bool) -> dict:
    """Per scenario, each event counted (instructions "Ir", cache misses) divided by requests."""
    results = {}
    server = bench.Server(f"{name}-callgrind", callgrind_argv(name, argv, cache_sim), list(ports.values()))
    server.start()
    try:
        for scenario, key, path, extra, count in SCENARIOS:
            scheme = "http" if key in PLAIN_KEYS else "https"
            url = f"{scheme}://{bench.HOST}:{ports[key]}{path}"
            h2load(url, extra, 500)  # warm-up: connections, caches, lazy initialisation
            for old in os.listdir(CALLGRIND_DIR):
                if old.startswith(f"{name}.") and old.count(".") > 2:
                    os.remove(os.path.join(CALLGRIND_DIR, old))
            subprocess.run(["callgrind_control", "-z", str(server.proc.pid)], capture_output=True, timeout=60)
            ok = h2load(url, extra, count)
            subprocess.run(["callgrind_control", "-d", str(server.proc.pid)], capture_output=True, timeout=60)
            time.sleep(1)
            dumps = sorted((p for p in os.listdir(CALLGRIND_DIR) if p.startswith(f"{name}.") and p.count(".") > 2),
                           key=lambda p: os.path.getmtime(os.path.join(CALLGRIND_DIR, p)))
            if ok != count or not dumps:
                raise RuntimeError(f"{name} {scenario}: {ok}/{count} requests succeeded, dumps {dumps}")
            kept = os.path.join(CALLGRIND_DIR, f"{name}-{key}.callgrind")
            shutil.move(os.path.join(CALLGRIND_DIR, dumps[-1]), kept)
            results[scenario] = {event: value / count for event, value in totals(kept).items()}
    finally:
        server.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-portcullis", action="store_true",
                        help="measure Portcullis alone (while iterating on a change; nginx's counts do not move)")
    parser.add_argument("--cache-sim", action="store_true",
                        help="also simulate the caches and print misses per request (about twice as slow)")
    parser.add_argument("--only", help="measure only the scenarios whose port key is in this comma-separated list "
                        "(http, tls, tls_full, h2, cache)")
    args = parser.parse_args()
    if args.only:
        keys = {k.strip() for k in args.only.split(",")}
        SCENARIOS[:] = [s for s in SCENARIOS if s[1] in keys]
    for tool in ("valgrind", "callgrind_control", "h2load", "nginx", "strip"):
        if not shutil.which(tool):
            print(f"instructions: {tool} not found (make bench-instructions installs it)", file=sys.stderr)
            return 1
    os.makedirs(CALLGRIND_DIR, exist_ok=True)
    bench.make_files()
    backend = bench.make_backend()
    backend.start()
    try:
        ours = measure("portcullis", portcullis_argv(), bench.PROXY_PORTS["portcullis"], args.cache_sim)
        theirs = None if args.only_portcullis else measure("nginx", nginx_argv(), bench.PROXY_PORTS["nginx"],
                                                           args.cache_sim)
    finally:
        backend.stop()
    print_table("instructions / request", "Ir", ours, theirs)
    if args.cache_sim:
        for event, title in CACHE_EVENTS:
            print()
            print_table(f"{title} / request", event, ours, theirs)
    print(f"\ncallgrind files: {CALLGRIND_DIR} (callgrind_annotate FILE)")
    return 0


def print_table(title: str, event: str, ours: dict, theirs) -> None:
    if theirs is None:
        print(f"| scenario | Portcullis, {title} |")
        print("|---|---:|")
        for scenario, *_ in SCENARIOS:
            print(f"| {scenario} | {ours[scenario][event]:,.0f} |")
        return
    print(f"| scenario | Portcullis, {title} | nginx | Portcullis / nginx |")
    print("|---|---:|---:|---:|")
    for scenario, *_ in SCENARIOS:
        a, b = ours[scenario][event], theirs[scenario][event]
        ratio = f"{a / b:.2f}" if b >= 1 else "-"
        print(f"| {scenario} | {a:,.0f} | {b:,.0f} | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
