#!/usr/bin/env python3
"""The Portcullis rolling-deploy demo (`make demo`).

Three demo backends (the landing page with the waitlist form, `portcullis-demo`) run behind
Portcullis. Eight clients keep loading the site over HTTPS, alternately `GET /` and
`POST /waitlist`, while `portcullis deploy` restarts the backends one at a time (each takes a few
seconds to boot). At the end every response is accounted for: the demo passes when no request
failed, every acknowledged signup is in the store exactly once, and the deploy succeeded.

Python 3.11 standard library only. Everything listens on 127.0.0.1.
"""

import argparse
import collections
import http.client
import json
import os
import pty
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import restart_backend  # noqa: E402  (the deploy hook; its process helpers are reused here)

WORKERS = 8
BOOT_DELAY = 3  # seconds each backend takes to start, on every start
MAX_LOAD_SECONDS = 300  # hard caps, so the load always ends
MAX_REQUESTS = 200_000
STOP_TIMEOUT = 10.0
DEPLOY_TIMEOUT = 200  # seconds; the deploy is stopped (and fails) if it takes longer


def log(line):
    print(line, flush=True)


def free_ports(count):
    """Ports the kernel hands out on 127.0.0.1, all held open until every one is picked."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class LoopbackHTTPS(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1, with SNI and certificate verification for `localhost`."""

    def __init__(self, port, context, timeout=10):
        super().__init__("localhost", port, timeout=timeout, context=context)
        self.tls_context = context

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname="localhost")


class Load:
    """WORKERS threads, each on its own keep-alive connection, alternating GET / and POST /waitlist."""

    def __init__(self, port, context):
        self.port, self.context = port, context
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        self.failed = 0
        self.failures = []  # the first few, for the report
        self.acknowledged = []  # ids of POSTs answered 201
        self.served_by = collections.Counter()
        self.threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(WORKERS)]

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def worker(self):
        connection = LoopbackHTTPS(self.port, self.context)
        post = False
        while not self.stop.is_set():
            with self.lock:
                if self.requests >= MAX_REQUESTS or time.monotonic() - self.started > MAX_LOAD_SECONDS:
                    break
            outcome, served_by, joined = self.one_request(connection, post)
            with self.lock:
                self.requests += 1
                if outcome is not None:
                    self.failed += 1
                    if len(self.failures) < 10:
                        self.failures.append(outcome)
                if joined:
                    self.acknowledged.append(joined)
                if served_by:
                    self.served_by[served_by] += 1
            post = not post
        connection.close()

    @staticmethod
    def one_request(connection, post):
        """One request. Returns (failure or None, X-Served-By, id of an acknowledged signup or None)."""
        what = "POST /waitlist" if post else "GET /"
        try:
            if post:
                signup = uuid.uuid4().hex
                body = urllib.parse.urlencode({"id": signup, "email": f"guest-{signup[:8]}@example.com"})
                connection.request("POST", "/waitlist", body, {"Content-Type": "application/x-www-form-urlencoded"})
            else:
                connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
        except Exception as error:  # noqa: BLE001  (any error is a failed request; reconnect and go on)
            connection.close()
            return f"{what}: {type(error).__name__}: {error}", None, None
        served_by = response.getheader("X-Served-By")
        if not 200 <= response.status < 300:
            return f"{what}: HTTP {response.status} {response.reason}", served_by, None
        return None, served_by, (signup if post and response.status == 201 else None)

    def progress(self):
        with self.lock:
            return self.requests, self.failed


class Demo:
    def __init__(self, args):
        self.args = args
        self.state = tempfile.mkdtemp(prefix="portcullis-demo-")
        self.children = {}  # pid -> Popen, for everything started here directly
        self.backend_ports = []
        self.load = None

    # -- processes ---------------------------------------------------------------------------

    def spawn(self, argv, log_name):
        """Start a detached process (its own session, so Ctrl-C does not reach it before the demo
        stops it), with stdout and stderr appended to STATE/log_name."""
        with open(os.path.join(self.state, log_name), "ab") as logfile:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=logfile, stderr=logfile, start_new_session=True
            )
        self.children[process.pid] = process
        return process

    def start_backend(self, port):
        argv = [
            os.path.abspath(self.args.backend), "--port", str(port), "--store", self.store,
            "--name", f"backend-{port}", "--boot-delay", str(BOOT_DELAY),
        ]
        process = self.spawn(argv, f"backend-{port}.log")
        restart_backend.write_json(self.backend_record(port), {"pid": process.pid, "argv": argv})

    def backend_record(self, port):
        return os.path.join(self.state, f"backend-{port}.json")

    def stop_everything(self):
        """SIGTERM whatever is still running (Portcullis, the backends, including the ones the deploy
        hook started), wait up to STOP_TIMEOUT s, then SIGKILL."""
        pids = [pid for pid, process in self.children.items() if process.poll() is None]
        for port in self.backend_ports:
            try:
                with open(self.backend_record(port)) as f:
                    pids.append(int(json.load(f)["pid"]))
            except (OSError, ValueError, KeyError):
                pass
        pids = [pid for pid in dict.fromkeys(pids) if self.running(pid)]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if self.running(pid)]
            time.sleep(0.05)
        for pid in pids:
            log(f"demo: pid {pid} still running after {STOP_TIMEOUT:g} s, SIGKILL")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for process in self.children.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def running(self, pid):
        if pid in self.children:
            return self.children[pid].poll() is None  # also reaps it
        return restart_backend.is_running(pid)

    # -- the demo ----------------------------------------------------------------------------

    def run(self):
        args = self.args
        portcullis = os.path.abspath(args.portcullis)
        log(f"demo: state in {self.state}")

        certs = os.path.join(self.state, "certs")
        subprocess.run([portcullis, "certs", "--out", certs], check=True, stdout=subprocess.DEVNULL)
        https, admin, *self.backend_ports = free_ports(5)
        self.store = os.path.join(self.state, "waitlist.jsonl")
        config = os.path.join(self.state, "portcullis.yaml")
        with open(config, "w") as f:
            f.write(self.config(https, admin, certs, with_admin=not args.no_deploy))
        check = subprocess.run([portcullis, "check", config], capture_output=True, text=True)
        if check.returncode != 0:
            log(f"demo: portcullis check {config} failed:\n{check.stdout}{check.stderr}")
            return False

        for port in self.backend_ports:
            self.start_backend(port)
        proxy = self.spawn([portcullis, "run", "-c", config], "portcullis.log")
        ports = ", ".join(map(str, self.backend_ports))
        admin_api = "" if args.no_deploy else f", admin API on 127.0.0.1:{admin}"
        log(f"demo: 3 backends on 127.0.0.1:{ports} ({BOOT_DELAY} s boot each); "
            f"Portcullis on https://localhost:{https}/{admin_api}")

        context = ssl.create_default_context(cafile=os.path.join(certs, "portcullis-ca.pem"))
        if not self.wait_until_up(https, context, proxy):
            return False

        load = self.load = Load(https, context)
        load.start()
        log(f"demo: load: {WORKERS} keep-alive connections, GET / and POST /waitlist alternately")
        reporter = threading.Thread(target=self.report_progress, args=(load,), daemon=True)
        reporter.start()

        deploy_ok = True
        if args.no_deploy:
            time.sleep(args.load_seconds)
        else:
            time.sleep(3)
            deploy_ok = self.deploy(portcullis, admin)
            time.sleep(3)
        load.finish()
        return self.verdict(load, deploy_ok)

    def config(self, https, admin, certs, with_admin):
        backends = ", ".join(f'"127.0.0.1:{port}"' for port in self.backend_ports)
        admin_section = f'admin:\n  bind: "127.0.0.1:{admin}"\n' if with_admin else ""
        return f"""\
global:
  shutdown_grace: 5s
{admin_section}listeners:
  - name: public
    bind: "127.0.0.1:{https}"
    protocol: https
    tls:
      certificates:
        - cert: {certs}/localhost.pem
          key: {certs}/localhost-key.pem
    routes:
      - name: site
        forward: demo
target_groups:
  demo:
    policy: round_robin
    targets: [{backends}]
    health_check:
      protocol: http
      path: /healthz
      interval: 1s
      timeout: 500ms
      healthy_threshold: 2
      unhealthy_threshold: 2
"""

    def wait_until_up(self, port, context, proxy, timeout=30.0):
        log(f"demo: waiting for https://localhost:{port}/ to answer 200")
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if proxy.poll() is not None:
                log(f"demo: portcullis exited with status {proxy.returncode}; see {self.state}/portcullis.log")
                return False
            connection = LoopbackHTTPS(port, context, timeout=2)
            try:
                connection.request("GET", "/")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    log(f"demo: up after {time.monotonic() - started:.1f} s")
                    return True
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            time.sleep(0.25)
        log(f"demo: https://localhost:{port}/ did not answer 200 within {timeout:g} s")
        return False

    def report_progress(self, load):
        while not load.stop.wait(5):
            requests, failed = load.progress()
            log(f"load: {time.monotonic() - load.started:5.1f} s  {requests} requests, {failed} failed")

    def deploy(self, portcullis, admin):
        hook = f"python3 {shlex.quote(os.path.join(HERE, 'restart_backend.py'))} {shlex.quote(self.state)} {{target}}"
        argv = [portcullis, "deploy", "--admin", f"127.0.0.1:{admin}", "--group", "demo",
                "--exec", hook, "--check", "/", "--timeout", "60"]
        log(f"demo: {shlex.join(['portcullis', *argv[1:]])}")
        started = time.monotonic()
        # Its output goes to a pseudo-terminal rather than a pipe: stdout is line-buffered on a
        # terminal, so each line shows up as it happens instead of all at the end.
        terminal, output = pty.openpty()
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
        os.close(output)
        self.children[process.pid] = process
        watchdog = threading.Timer(DEPLOY_TIMEOUT, process.terminate)
        watchdog.start()
        with open(terminal, errors="replace") as lines:
            try:
                for line in lines:
                    log(f"  {line.rstrip()}")
            except OSError:  # EIO: the last writer has closed the terminal (Linux)
                pass
        status = process.wait()
        watchdog.cancel()
        log(f"demo: deploy exited with status {status} after {time.monotonic() - started:.1f} s")
        return status == 0

    def verdict(self, load, deploy_ok):
        recorded = collections.Counter()
        with open(self.store) as f:
            for line in f:
                recorded[json.loads(line)["id"]] += 1
        acknowledged = load.acknowledged
        found = sum(1 for signup in acknowledged if signup in recorded)
        duplicated = sum(1 for count in recorded.values() if count > 1)
        unacknowledged = len(recorded) - found  # recorded, but the client saw an error instead of 201

        log("demo: served by " + ", ".join(f"{name} {count}" for name, count in sorted(load.served_by.items())))
        for failure in load.failures:
            log(f"demo: failed: {failure}")
        if unacknowledged:
            log(f"demo: {unacknowledged} signups recorded but not acknowledged to the client")
        if not self.args.no_deploy:
            log(f"demo: deploy {'succeeded' if deploy_ok else 'FAILED'}")
        log(f"demo: {load.requests} requests, {load.failed} failed; {len(acknowledged)} waitlist joins "
            f"acknowledged, {found} recorded, {duplicated} duplicated")
        return deploy_ok and load.failed == 0 and found == len(acknowledged) and duplicated == 0


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], prog="demo.py")
    parser.add_argument("--portcullis", default=".build/release/portcullis", help="the portcullis binary")
    parser.add_argument("--backend", default=".build/release/portcullis-demo", help="the portcullis-demo binary")
    parser.add_argument("--keep", action="store_true", help="keep the state directory (logs, store) on success too")
    parser.add_argument("--no-deploy", action="store_true",
                        help="no admin API and no deploy: only load through Portcullis for --load-seconds")
    parser.add_argument("--load-seconds", type=float, default=10, help="load duration with --no-deploy (default 10)")
    args = parser.parse_args()

    # SIGINT (Ctrl-C) and SIGTERM end the demo through the finally below, which stops every process.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    demo = Demo(args)
    passed = False
    try:
        passed = demo.run()
    except KeyboardInterrupt:
        log("demo: interrupted")
    except (OSError, subprocess.CalledProcessError) as error:
        log(f"demo: {error}")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if demo.load:
            demo.load.finish()
        demo.stop_everything()
    if passed and not args.keep:
        shutil.rmtree(demo.state, ignore_errors=True)
    else:
        log(f"demo: state kept in {demo.state}")
    log(f"demo: {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
