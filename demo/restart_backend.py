#!/usr/bin/env python3
"""Deploy hook of the Portcullis demo: restart the demo backend that listens on HOST:PORT.

    restart_backend.py STATE_DIR HOST:PORT

`portcullis deploy --exec '... restart_backend.py STATE_DIR {target}'` runs this once per target,
after it has drained the target. The backend's pid and command line are in
STATE_DIR/backend-<port>.json (written by demo.py). This script sends the old process SIGTERM,
waits for it to exit (SIGKILL after 15 s), starts a new one with the same command line, records
its pid and returns at once: the new instance is still booting, and Portcullis's health checks
decide when it takes traffic again. Exit status 0 on success.
"""

import json
import os
import signal
import subprocess
import sys
import time

STOP_TIMEOUT = 15.0


def is_running(pid):
    """True while `pid` is a live process (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            # The state follows the parenthesised command name: "pid (comm) S ..."
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc (macOS): trust kill(0)


def stop_process(pid, timeout=STOP_TIMEOUT):
    """SIGTERM `pid`, wait up to `timeout` s for it to exit, then SIGKILL. Returns how it ended."""
    if not is_running(pid):
        return "was not running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid):
            return "exited after SIGTERM"
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while is_running(pid):
        time.sleep(0.05)
    return f"killed (SIGKILL) after {timeout:g} s"


def write_json(path, data):
    """Replace `path` atomically, so a reader never sees a half-written file."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def main(argv):
    if len(argv) != 3 or ":" not in argv[2]:
        print("usage: restart_backend.py STATE_DIR HOST:PORT", file=sys.stderr)
        return 2
    state_dir, target = argv[1], argv[2]
    port = target.rpartition(":")[2]
    record_path = os.path.join(state_dir, f"backend-{port}.json")
    try:
        with open(record_path) as f:
            record = json.load(f)
        old_pid, command = int(record["pid"]), list(record["argv"])
    except (OSError, ValueError, KeyError) as error:
        print(f"restart_backend: {target}: cannot read {record_path}: {error}", file=sys.stderr)
        return 1

    how = stop_process(old_pid)

    with open(os.path.join(state_dir, f"backend-{port}.log"), "ab") as log:
        # Detached: its own session, and none of our file descriptors, so Portcullis, which reads
        # our output, does not wait for the backend to close them.
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    write_json(record_path, {**record, "pid": process.pid})

    time.sleep(0.2)
    if process.poll() is not None:
        print(f"restart_backend: {target}: new backend exited at once (status {process.returncode})", file=sys.stderr)
        return 1
    print(f"restart_backend: {target}: old pid {old_pid} {how}; started pid {process.pid}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
