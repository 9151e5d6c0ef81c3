#!/usr/bin/env python3
"""Open many idle HTTPS keep-alive connections to one port on 127.0.0.1 and hold them.

Used by bench/bench.py for the "RSS with N idle TLS connections" figure. Each connection does a
full TLS handshake, sends one `GET /` with keep-alive, reads the whole response, then stays open
and silent, as a browser's idle keep-alive connection does.

Protocol with the driver (one line each on stdout):
    OPEN <open> <failed> <seconds>     when every connection is open (or the time bound is hit)
    CLOSED                             after the driver wrote a line to stdin (or closed it),
                                       or after --hold seconds, when every connection is closed

Every loop is bounded: at most --count connections, --open-timeout seconds to open them, --hold
seconds to hold them. Only 127.0.0.1 is ever contacted.
"""

import argparse
import asyncio
import resource
import ssl
import sys
import threading
import time

HOST = "127.0.0.1"


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def open_one(port: int, context: ssl.SSLContext, request: bytes, deadline: float):
    """Returns the writer of an open, idle connection, or None."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(HOST, port, ssl=context, server_hostname="localhost"),
            timeout=min(remaining, 15.0),
        )
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=15.0)
        if not head.startswith(b"HTTP/1.1 200"):
            raise ValueError("status: " + head.split(b"\r\n", 1)[0].decode("latin-1"))
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length:
            await asyncio.wait_for(reader.readexactly(length), timeout=15.0)
        return writer
    except Exception:  # noqa: BLE001 - any failure counts as one failed connection
        if writer is not None:
            writer.transport.abort()
        return None


async def main_async(args) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the bench certificate is throwaway; skip verify cost
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: portcullis-bench-idle\r\n\r\n"

    limit = raise_fd_limit(args.count + 256)
    count = min(args.count, max(0, limit - 256))
    if count < args.count:
        print(f"note: file descriptor limit {limit}: opening {count} instead of {args.count}",
              file=sys.stderr, flush=True)

    start = time.monotonic()
    deadline = start + args.open_timeout
    semaphore = asyncio.Semaphore(args.concurrency)
    writers = []
    failed = 0

    async def guarded():
        async with semaphore:
            return await open_one(args.port, context, request, deadline)

    # Open in batches so a failing target does not queue thousands of doomed tasks.
    batch = max(args.concurrency * 4, 1)
    opened = 0
    while opened < count and time.monotonic() < deadline:
        n = min(batch, count - opened)
        results = await asyncio.gather(*(guarded() for _ in range(n)))
        opened += n
        for w in results:
            if w is None:
                failed += 1
            else:
                writers.append(w)
        if failed > max(100, count // 10):
            break  # the target is refusing: stop early, report what is open
    elapsed = time.monotonic() - start
    print(f"OPEN {len(writers)} {failed} {elapsed:.2f}", flush=True)

    loop = asyncio.get_running_loop()
    release = asyncio.Event()

    def wait_for_stdin() -> None:
        sys.stdin.readline()  # a line or end of file
        loop.call_soon_threadsafe(release.set)

    threading.Thread(target=wait_for_stdin, daemon=True).start()
    try:
        await asyncio.wait_for(release.wait(), timeout=args.hold)
    except asyncio.TimeoutError:
        pass
    for w in writers:
        w.transport.abort()
    await asyncio.sleep(0.2)
    print("CLOSED", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight")
    parser.add_argument("--open-timeout", type=float, default=90.0)
    parser.add_argument("--hold", type=float, default=60.0, help="longest hold, seconds")
    args = parser.parse_args()
    if args.count < 1 or args.count > 50000:
        parser.error("--count must be 1…50000")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
