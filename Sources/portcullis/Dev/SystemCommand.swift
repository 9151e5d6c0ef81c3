import Foundation

/// Runs the trust stores' own tools (`certutil`, `update-ca-certificates`, `security`).
enum SystemCommand {
    struct Result {
        var status: Int32
        /// Standard output and error together.
        var output: String
        var succeeded: Bool { self.status == 0 }
    }

    /// The program `name` on `PATH` (plus the sbin directories, which `sudo` may leave out).
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` with `arguments` and waits for it.
    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw TrustError("cannot run \(executable): \(error)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    /// `executable arguments…` as a shell would show it, for messages.
    static func display(_ executable: String, _ arguments: [String]) -> String {
        ([URL(fileURLWithPath: executable).lastPathComponent] + arguments).map { argument in
            argument.contains(" ") ? "'\(argument)'" : argument
        }.joined(separator: " ")
    }
}
