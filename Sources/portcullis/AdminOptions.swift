import ArgumentParser
import Foundation
import ProxyServer

/// Where the admin API is: `--admin` (or `PORTCULLIS_ADMIN`), `--token` (or `PORTCULLIS_ADMIN_TOKEN`).
struct AdminOptions: ParsableArguments {
    @Option(name: .customLong("admin"), help: "Admin API address (host:port). Default: $PORTCULLIS_ADMIN or 127.0.0.1:9901.")
    var address: String?

    @Option(name: .customLong("token"), help: "Admin API bearer token. Default: $PORTCULLIS_ADMIN_TOKEN.")
    var token: String?

    func client() throws -> AdminClient {
        let environment = ProcessInfo.processInfo.environment
        return try AdminClient(
            address: self.address ?? environment["PORTCULLIS_ADMIN"] ?? "127.0.0.1:9901",
            token: self.token ?? environment["PORTCULLIS_ADMIN_TOKEN"]
        )
    }
}

/// Runs an admin call, printing its result, or its error on standard error with exit status 1.
func runAdmin(_ body: () async throws -> String) async throws {
    do {
        print(try await body())
    } catch let error as AdminClientError {
        throw commandError(error.message)
    }
}

/// Prints `error: MESSAGE` on standard error; the exit status 1 to throw.
func commandError(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    return ExitCode(1)
}
