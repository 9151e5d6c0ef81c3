import Foundation

/// The result of running an external program (curl, openssl, the portcullis binary).
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` and waits, with a hard time limit.
func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60, stdin: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin.utf8))
    }
    try? input.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    let outData = PipeSink()
    let errData = PipeSink()
    let reader = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
        reader.enter()
        let handle = pipe.fileHandleForReading
        DispatchQueue.global().async {
            sink.set(handle.readDataToEndOfFile())
            reader.leave()
        }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline {
        usleep(10_000)
    }
    if process.isRunning {
        process.terminate()
    }
    process.waitUntilExit()
    reader.wait()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData.data, as: UTF8.self),
        stderr: String(decoding: errData.data, as: UTF8.self)
    )
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

/// A fresh temporary directory.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "portcullis-test-" + UUID().uuidString
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
