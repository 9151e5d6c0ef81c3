import Foundation

/// The result of running an external program (curl, openssl, the portcullis binary).
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` and waits, with a hard time limit.
///
/// The waiting happens on a thread of its own, never on Swift's cooperative pool (two threads
/// on a two-core machine): a test that waits for curl must not starve the other tests.
func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60, stdin: String? = nil) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try runBlocking(executable, arguments, timeout: timeout, stdin: stdin))
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.start()
    }
}

/// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time because the
/// Glibc module does not declare GNU extensions.
private let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt)? = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt).self)
}()

/// A spawned child and our ends of its standard input, output and error.
struct SpawnedChild {
    var pid: pid_t
    var stdin: Int32
    var stdout: Int32
    var stderr: Int32
}

/// Starts `executable` with pipes for its standard streams (posix_spawn, every other descriptor
/// closed in the child); the caller owns the returned ends.
func spawnWithPipes(_ executable: String, _ arguments: [String]) throws -> SpawnedChild {
    var stdinPipe: [Int32] = [0, 0]
    var stdoutPipe: [Int32] = [0, 0]
    var stderrPipe: [Int32] = [0, 0]
    guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
        throw SubprocessError(description: "pipe failed: errno \(errno)")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
    for fd in stdinPipe + stdoutPipe + stderrPipe {
        posix_spawn_file_actions_addclose(&actions, fd)
    }
    // NIO's sockets are not close-on-exec: without this, a curl started while a test backend
    // listens keeps its listening socket (the port stays taken after the backend stops), and
    // one child can hold another's pipe open.
    if let closeFrom = addCloseFrom {
        _ = closeFrom(&actions, 3)
    }
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    close(stdinPipe[0])
    close(stdoutPipe[1])
    close(stderrPipe[1])
    guard spawned == 0 else {
        close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0])
        throw SubprocessError(description: "cannot run \(executable): errno \(spawned)")
    }
    return SpawnedChild(pid: pid, stdin: stdinPipe[1], stdout: stdoutPipe[0], stderr: stderrPipe[0])
}

/// posix_spawn + waitpid, not Foundation's `Process`: `Process` learns of the child's exit
/// through a libdispatch source, which never fires while the test runner's threads are busy,
/// and then `waitUntilExit` hangs.
private func runBlocking(_ executable: String, _ arguments: [String], timeout: TimeInterval, stdin: String?) throws -> ProcessResult {
    let child = try spawnWithPipes(executable, arguments)
    let pid = child.pid
    if let stdin {
        let bytes = Array(stdin.utf8)
        _ = bytes.withUnsafeBytes { write(child.stdin, $0.baseAddress, $0.count) }
    }
    close(child.stdin)

    let outData = PipeSink()
    let errData = PipeSink()
    let done = DispatchSemaphore(value: 0)
    for (fd, sink) in [(child.stdout, outData), (child.stderr, errData)] {
        Thread {
            var collected = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    collected.append(contentsOf: buffer[0..<count])
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(fd)
            sink.set(Data(collected))
            done.signal()
        }.start()
    }
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { break }
        if Date() >= deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            break
        }
        usleep(5_000)
    }
    done.wait()
    done.wait()
    let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(
        status: exitCode,
        stdout: String(decoding: outData.data, as: UTF8.self),
        stderr: String(decoding: errData.data, as: UTF8.self)
    )
}

struct SubprocessError: Error, CustomStringConvertible {
    var description: String
}

/// Finds a program on PATH.
func which(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// Resident set size of this process, in bytes.
func currentRSS() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }
    return 0
}

/// The package root, found from this file's path.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

/// One directory per test process holds every temporary directory of its tests; it is removed
/// when the process exits, so a fixture stopped from a detached task (or not at all, when a test
/// fails early) leaves no certificates, keys or configurations behind.
private let temporaryRoot: String = {
    let path = NSTemporaryDirectory() + "portcullis-tests-" + UUID().uuidString
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        fatalError("cannot create \(path): \(error)")
    }
    atexit { removeTemporaryRoot() }
    return path
}()

private func removeTemporaryRoot() {
    try? FileManager.default.removeItem(atPath: temporaryRoot)
}

/// A fresh temporary directory.
func makeTemporaryDirectory() throws -> String {
    let path = temporaryRoot + "/" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Collects what one pipe produced; written once by its reader thread.
private final class PipeSink: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    func set(_ data: Data) { self.lock.lock(); self.bytes = data; self.lock.unlock() }
    var data: Data { self.lock.lock(); defer { self.lock.unlock() }; return self.bytes }
}
