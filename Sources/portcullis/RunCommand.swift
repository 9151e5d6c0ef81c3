import ArgumentParser
import Foundation
import Logging
import ProxyConfig
import ProxyServer
import ProxyTLS

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the proxy (with the embedded default configuration when no file is given)."
    )

    @Option(name: [.short, .customLong("config")], help: "Configuration file (YAML).")
    var config: String?

    @Option(name: .customLong("listen"), help: "Bind address of the first listener, e.g. 0.0.0.0:8443 or http://127.0.0.1:8080.")
    var listen: [String] = []

    @Option(name: .customLong("to"), help: "Target (host:port, or :port for 127.0.0.1) of the default route; repeat for several.")
    var to: [String] = []

    @Option(name: .customLong("cert"), help: "Certificate chain (PEM) of the first listener.")
    var cert: String?

    @Option(name: .customLong("key"), help: "Private key (PEM) for --cert.")
    var key: String?

    @Option(name: .customLong("policy"), help: "Balancing policy for --to targets: round_robin, least_connections, ip_hash, random_two.")
    var policy: String?

    @Option(name: .customLong("health-path"), help: "HTTP health check path for the --to targets, e.g. /healthz.")
    var healthPath: String?

    @Option(name: .customLong("health-interval"), help: "Health check interval, e.g. 5s (a default timeout becomes at most half of it).")
    var healthInterval: String?

    @Option(name: .customLong("event-loops"), help: "Event loops (threads); default one per core.")
    var eventLoops: Int?

    @Option(name: .customLong("certs-dir"), help: "Where the embedded default finds (and creates) its dev certificates.")
    var certsDirectory: String = "certs"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func run() async throws {
        var overrides = CommandLineOverrides()
        overrides.listen = self.listen
        overrides.to = self.to
        overrides.certificate = self.cert
        overrides.privateKey = self.key
        overrides.eventLoops = self.eventLoops
        overrides.policy = self.policy
        overrides.healthPath = self.healthPath
        overrides.healthInterval = self.healthInterval

        // Every argument is checked before anything is written (the dev certificates below).
        if let text = self.logLevel, Logger.Level(rawValue: text) == nil {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw Self.failure("<command line>: --log-level: unknown log level \"\(text)\" (expected one of: \(levels))")
        }
        let load: @Sendable () throws -> ProxyConfiguration
        if let path = self.config {
            load = { [overrides] in try ProxyConfiguration.load(path: path).applying(overrides) }
        } else {
            let base = FileManager.default.currentDirectoryPath
            let checked = try Self.validated {
                try ProxyConfiguration.embeddedDefault(baseDirectory: base, listenOverrides: overrides.listen.count).applying(overrides)
            }
            if self.cert == nil, checked.listeners.first?.protocol == .https {
                // The dev-proxy promise: nothing to configure. Make a local CA and a
                // localhost certificate the first time, reuse them afterwards.
                let leaf = "\(self.certsDirectory)/localhost.pem"
                let leafKey = "\(self.certsDirectory)/localhost-key.pem"
                if !FileManager.default.fileExists(atPath: leaf) || !FileManager.default.fileExists(atPath: leafKey) {
                    let paths = try DevCertificateAuthority.ensure(directory: self.certsDirectory)
                    FileHandle.standardError.write(Data("created dev certificate \(paths.certificate) (trust \(paths.caCertificate))\n".utf8))
                }
                overrides.certificate = leaf
                overrides.privateKey = leafKey
            }
            load = { [overrides] in try ProxyConfiguration.embeddedDefault(baseDirectory: base, listenOverrides: overrides.listen.count).applying(overrides) }
        }
        let configuration = try Self.validated(load)

        let level = Logger.Level(rawValue: self.logLevel ?? configuration.global.logLevel.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portcullis")
        do {
            try await ProxyServer.runUntilSignalled(configuration: configuration, logger: logger, configurationSource: load)
        } catch let error as ExitCode {
            throw error
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
    }

    /// The configuration `load` returns; on a ``ConfigValidationError``, its diagnostics on
    /// standard error and exit status 2.
    private static func validated(_ load: () throws -> ProxyConfiguration) throws -> ProxyConfiguration {
        do {
            return try load()
        } catch let error as ConfigValidationError {
            throw Self.failure(error.description)
        }
    }

    /// Prints `message` on standard error; the error to throw for exit status 2.
    private static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode(2)
    }
}
