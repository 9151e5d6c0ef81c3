import Foundation

/// A helper program that keeps running while a test talks to it (the Python WebSocket peers in
/// `Peers/`): a pipe to its standard input, its standard output collected line by line, and
/// stopped by its PID (SIGTERM, then SIGKILL).
///
/// Like ``run(_:_:timeout:stdin:)``: posix_spawn, descriptors from 3 on closed in the child, and
/// waiting by polling `waitpid`, never by blocking a thread of Swift's cooperative pool.
final class PeerProcess: @unchecked Sendable {
    let name: String
    let pid: pid_t
    private let lock = NSLock()
    private var lines: [String] = []       // complete stdout lines not yet taken
    private var partial = ""
    private var errorText = ""
    private var stdinFD: Int32
    private var status: Int32?             // exit status, once reaped
    private var stdoutEnded = false        // its stdout reached end of file

    init(_ executable: String, _ arguments: [String], name: String? = nil) throws {
        // Writing to the pipe of a peer that already exited must be an error, not SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let child = try spawnWithPipes(executable, arguments)
        // Our ends must not leak into programs spawned later (a leaked end of its stdin would
        // keep it open after we close it).
        for fd in [child.stdin, child.stdout, child.stderr] {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        self.pid = child.pid
        self.name = name ?? URL(fileURLWithPath: arguments.first ?? executable).lastPathComponent
        self.stdinFD = child.stdin
        self.startReader(fd: child.stdout, isStdout: true)
        self.startReader(fd: child.stderr, isStdout: false)
    }

    deinit {
        // A test that failed early: never leave the peer running.
        if self.status == nil {
            kill(self.pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(self.pid, &status, 0)
        }
        if self.stdinFD >= 0 { close(self.stdinFD) }
    }

    /// Starts a peer from a thread of its own with no signal blocked: a child inherits the
    /// spawning thread's signal mask, and the threads of Swift's cooperative pool (and threads
    /// they start) block SIGTERM and SIGHUP, so a child spawned from one would ignore ``stop()``
    /// until its SIGKILL, 5 s later (and a SIGHUP altogether).
    static func launch(_ executable: String, _ arguments: [String], name: String? = nil) async throws -> PeerProcess {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                var none = sigset_t()
                sigemptyset(&none)
                pthread_sigmask(SIG_SETMASK, &none, nil)
                continuation.resume(with: Result { try PeerProcess(executable, arguments, name: name) })
            }.start()
        }
    }

    private func startReader(fd: Int32, isStdout: Bool) {
        Thread { [weak self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0, let self else { break }
                self.append(String(decoding: buffer[0..<count], as: UTF8.self), isStdout: isStdout)
            }
            close(fd)
            if isStdout, let self {
                self.lock.lock()
                if !self.partial.isEmpty { self.lines.append(self.partial) }
                self.partial = ""
                self.stdoutEnded = true
                self.lock.unlock()
            }
        }.start()
    }

    private func append(_ text: String, isStdout: Bool) {
        self.lock.lock()
        defer { self.lock.unlock() }
        guard isStdout else {
            self.errorText += text
            return
        }
        self.partial += text
        while let newline = self.partial.firstIndex(of: "\n") {
            self.lines.append(String(self.partial[..<newline]))
            self.partial = String(self.partial[self.partial.index(after: newline)...])
        }
    }

    /// What the peer wrote to stderr so far (for failure messages).
    var stderr: String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.errorText
    }

    /// Takes stdout lines until one satisfies `matches` and returns it; `nil` when none came
    /// within `timeout`, or the peer closed its stdout (exited) without writing one.
    func line(where matches: (String) -> Bool = { _ in true }, timeout: Duration = .seconds(15)) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (next, ended) = self.takeLine()
            if let next {
                if matches(next) { return next }
                continue
            }
            if ended || ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The next unread stdout line, and whether stdout has ended.
    private func takeLine() -> (String?, Bool) {
        self.lock.lock()
        defer { self.lock.unlock() }
        return (self.lines.isEmpty ? nil : self.lines.removeFirst(), self.stdoutEnded)
    }

    /// Writes one line to the peer's stdin; false when the peer no longer reads it.
    @discardableResult
    func send(_ line: String) -> Bool {
        self.lock.lock()
        let fd = self.stdinFD
        self.lock.unlock()
        guard fd >= 0 else { return false }
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count
    }

    /// Closes the peer's stdin (the echo server then stops; `hold` closes its tunnel).
    func closeInput() {
        self.lock.lock()
        let fd = self.stdinFD
        self.stdinFD = -1
        self.lock.unlock()
        if fd >= 0 { close(fd) }
    }

    /// The exit status if the peer has exited (reaping it), else `nil`.
    func exited() -> Int32? {
        self.lock.lock()
        defer { self.lock.unlock() }
        if let status = self.status { return status }
        var raw: Int32 = 0
        guard waitpid(self.pid, &raw, WNOHANG) == self.pid else { return nil }
        let status: Int32 = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        self.status = status
        return status
    }

    /// Waits up to `timeout` for the peer to exit by itself.
    func waitForExit(timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = self.exited() { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        return self.exited()
    }

    /// Stops the peer by its PID: stdin closed and SIGTERM, then SIGKILL after 5 s.
    func stop() async {
        self.closeInput()
        guard self.exited() == nil else { return }
        kill(self.pid, SIGTERM)
        if (try? await self.waitForExit(timeout: .seconds(5))) != nil { return }
        kill(self.pid, SIGKILL)
        _ = try? await self.waitForExit(timeout: .seconds(5))
    }
}

/// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), as in Subprocess.swift.

