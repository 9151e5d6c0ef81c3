#!/usr/bin/env python3
"""Two Portcullis binaries side by side, alternating, with nginx as a reference.

    python3 bench/compare.py OLD_BINARY NEW_BINARY [--rounds 3]

For each round (order reversed every other round) and each of the two binaries and nginx:
CPU per full TLS handshake + request (h2load, `Connection: close`, no tickets), and CPU per
HTTPS keep-alive request split into user and system time (`wrk -c50` for 5 s; utime and stime
of the server's processes from /proc). One event loop / one worker, the `make bench`
configuration (bench/portcullis.yaml, bench/nginx-proxy.conf), the same fixed-response backend.
Medians at the end. Meant for "did this change make it faster" on a machine too noisy for
`make bench` ratios to tell; build the old binary in a separate worktree (`make build`).

Every loop is bounded (rounds ≤ 20, fixed request counts and durations); only 127.0.0.1 is
contacted; only the processes started here are stopped.
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the same backend, configurations and process handling)


def user_system_ticks(pids):
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(fields[11])
        system += int(fields[12])
    return user, system


def measure(server, ports) -> dict:
    tick = os.sysconf("SC_CLK_TCK")
    full_url = f"https://127.0.0.1:{ports['tls_full']}/"
    ka_url = f"https://127.0.0.1:{ports['tls']}/"
    bench.h2load(full_url, 500, 60)  # warm-up
    t0 = bench.cpu_ticks(server.pids())
    full = bench.h2load(full_url, 6000, 120)
    t1 = bench.cpu_ticks(server.pids())
    bench.wrk(ka_url, 50, 1)  # warm-up
    u0, s0 = user_system_ticks(server.pids())
    ka = bench.wrk(ka_url, 50, 5)
    u1, s1 = user_system_ticks(server.pids())
    if not full.get("requests") or not ka.get("requests"):
        raise RuntimeError(f"a run failed: {full.get('error') or ka.get('error')}")
    n = ka["requests"]
    return {
        "full": (t1 - t0) / tick / full["requests"] * 1e6,
        "user": (u1 - u0) / tick / n * 1e6,
        "system": (s1 - s0) / tick / n * 1e6,
        "rps": ka["rps"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds out of range (1...20)")
    for binary in (args.old, args.new):
        if not os.access(binary, os.X_OK):
            parser.error(f"{binary}: not an executable")
    bench.raise_fd_limit()
    bench.make_files()
    backend = bench.make_backend()
    backend.start()
    results = {}
    try:
        for round_ in range(args.rounds):
            order = [("old", args.old), ("new", args.new), ("nginx", None)]
            if round_ % 2:
                order.reverse()
            for label, binary in order:
                if binary:
                    argv = [binary, "run", "-c", os.path.join(bench.BENCH, "portcullis.yaml"), "--event-loops", "1"]
                    server = bench.Server("portcullis", argv, list(bench.PROXY_PORTS["portcullis"].values()), cwd=bench.ROOT)
                    ports = bench.PROXY_PORTS["portcullis"]
                else:
                    server = bench.make_proxy("nginx", 1)
                    ports = bench.PROXY_PORTS["nginx"]
                server.start()
                try:
                    m = measure(server, ports)
                finally:
                    server.stop()
                results.setdefault(label, []).append(m)
                print(f"round {round_ + 1} {label:5}: full handshake {m['full']:6.0f} µs; HTTPS keep-alive "
                      f"{m['user']:5.1f} user + {m['system']:5.1f} system = {m['user'] + m['system']:5.1f} µs/request "
                      f"({m['rps']:,.0f} req/s)", flush=True)
    finally:
        backend.stop()
    print("\nmedians:")
    for label, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in ("full", "user", "system")}
        print(f"  {label:5}: full handshake {med['full']:6.0f} µs; HTTPS keep-alive {med['user']:.1f} user + "
              f"{med['system']:.1f} system = {med['user'] + med['system']:.1f} µs/request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
