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

    @OptionGroup var fleet: FleetOptions

    @Option(name: .customLong("fleet-copy"), help: "With --fleet: where the last configuration applied is kept (default: portcullis-fleet-NAME.yaml).")
    var fleetCopy: String?

    @Option(name: .customLong("instance-id"), help: "With --fleet: this instance's name in the fleet (default: host name and process ID).")
    var instanceID: String?

    @Option(name: .customLong("fleet-secret"), help: "With --fleet: a file of 32 random bytes (raw or base64), the same on every instance; the fleet then shares its session-ticket keys through etcd, sealed with it. Make one with: openssl rand -base64 32 > FILE")
    var fleetSecret: String?

    @Option(name: .customLong("ticket-rotation"), help: "With --fleet-secret: how often the fleet's shared session-ticket key changes, in seconds (default: 3600).")
    var ticketRotation: Int?

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
        var fleetSettings: FleetMember.Settings?
        var initial: ProxyConfiguration?
        if let control = try self.fleet.control() {
            guard self.config == nil, self.listen.isEmpty, self.to.isEmpty, self.cert == nil, self.key == nil, self.policy == nil,
                self.healthPath == nil, self.healthInterval == nil, self.eventLoops == nil
            else {
                throw Self.failure("<command line>: with --etcd, the configuration comes from the fleet: -c, --listen, --to, --cert, --key, --policy, --health-path, --health-interval and --event-loops cannot be given")
            }
            let instanceID = self.instanceID ?? FleetStart.defaultInstanceID()
            guard EtcdKeys.isValidName(instanceID) else {
                throw Self.failure("<command line>: --instance-id: \"\(instanceID)\" is not a name (letters, digits, '-', '_' and '.')")
            }
            // Checked before etcd is asked anything.
            var ticketSecret: [UInt8]?
            if let path = self.fleetSecret {
                do {
                    ticketSecret = try FleetSecret.load(path)
                } catch {
                    throw Self.failure("<command line>: --fleet-secret: \(error)")
                }
            }
            if let seconds = self.ticketRotation, seconds <= 0 {
                throw Self.failure("<command line>: --ticket-rotation: must be a number of seconds above 0 (got \(seconds))")
            }
            let start = FleetStart(
                control: control,
                localCopy: self.fleetCopy ?? FleetStart.defaultLocalCopy(fleet: control.keys.fleet),
                instanceID: instanceID
            )
            let started: (configuration: ProxyConfiguration, revision: Int64, source: String, yaml: String?)
            do {
                started = try await start.initial()
            } catch let error as ConfigValidationError {
                throw Self.failure(error.description)
            } catch {
                throw Self.failure("\(error)")
            }
            initial = started.configuration
            let localCopy = start.localCopy
            // SIGHUP and POST /reload apply the last revision again (from the local copy).
            load = { try ProxyConfiguration.load(path: localCopy) }
            fleetSettings = FleetMember.Settings(
                control: control,
                instanceID: instanceID,
                localCopy: localCopy,
                initialRevision: started.revision,
                initialSource: started.source
            )
            fleetSettings?.initialYAML = started.yaml
            fleetSettings?.ticketSecret = ticketSecret
            if let seconds = self.ticketRotation { fleetSettings?.ticketRotation = .seconds(seconds) }
        } else if self.fleetSecret != nil || self.ticketRotation != nil {
            throw Self.failure("<command line>: --fleet-secret and --ticket-rotation need --etcd URL --fleet NAME")
        } else if let path = self.config {
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
        let configuration = try initial ?? Self.validated(load)

        let level = Logger.Level(rawValue: self.logLevel ?? configuration.global.logLevel.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portcullis")
        do {
            try await ProxyServer.runUntilSignalled(configuration: configuration, logger: logger, configurationSource: load, fleet: fleetSettings)
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
