import Foundation

/// Why an external program (openssl, sha256sum) failed.
struct ToolError: Error, CustomStringConvertible {
    var description: String
}

/// Runs an external program from `PATH` and returns its standard output.
///
/// - Parameters:
///   - arguments: The program and its arguments, such as `["openssl", "genpkey", ...]`.
///   - input: Bytes for its standard input; none when `nil`.
/// - Throws: ``ToolError`` when it cannot start or exits with a non-zero status.
func tool(_ arguments: [String], input: [UInt8]? = nil) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    var inputPath: String? = nil
    if let input {
        let path = testDirectory + "/stdin-\(UUID().uuidString)"
        try Data(input).write(to: URL(fileURLWithPath: path))
        process.standardInput = FileHandle(forReadingAtPath: path)
        inputPath = path
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    defer {
        if let inputPath { try? FileManager.default.removeItem(atPath: inputPath) }
    }
    try process.run()
    // Outputs are small, but read both before waiting so a full pipe cannot block the child.
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolError(
            description: "\(arguments.joined(separator: " ")) exited with \(process.terminationStatus): "
                + String(decoding: stderr, as: UTF8.self)
        )
    }
    return Array(stdout)
}

/// Runs a program and returns its standard output as text without the final newline.
func toolText(_ arguments: [String], input: [UInt8]? = nil) throws -> String {
    var text = String(decoding: try tool(arguments, input: input), as: UTF8.self)
    while text.hasSuffix("\n") {
        text.removeLast()
    }
    return text
}

/// One directory for this test process's keys; removed when the process exits.
let testDirectory: String = {
    let path = NSTemporaryDirectory() + "proxyauth-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { removeTestDirectory() }
    return path
}()

private func removeTestDirectory() {
    try? FileManager.default.removeItem(atPath: testDirectory)
}
