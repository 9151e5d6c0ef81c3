import ArgumentParser
import Foundation
import Logging
import ProxyConfig
import ProxyServer
import ProxyTLS

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "A local HTTPS dev proxy: https://localhost:8443 in front of your app, with a local CA.",
        discussion: """
            Examples:
              portcullis dev 3000                           https://localhost:8443 → 127.0.0.1:3000
              portcullis dev --to /api=:4000 --to :3000     /api… → :4000, everything else → :3000
            The CA is made on first use in the state directory and reused; run `portcullis trust` \
            once so that browsers and curl accept it. See docs/dev.md.
            """
    )

    @Argument(help: "The port of your app (same as --to :PORT).")
    var port: String?

    @Option(name: .customLong("to"), help: "Target: :PORT, host:port, or /prefix=target for a path prefix; repeat for several.")
    var to: [String] = []

    @Option(name: .customLong("listen"), help: "Where to listen: host:port or a port (default 127.0.0.1:8443).")
    var listen: String?

    @Option(name: .customLong("host"), help: "Extra DNS name or IP address for the certificate; repeat for several.")
    var hosts: [String] = []

    @Option(name: .customLong("state-dir"), help: "Directory of the dev CA (default $XDG_DATA_HOME/portcullis or ~/.local/share/portcullis).")
    var stateDirectory: String?

    func run() async throws {
        let user = DevUser.current()
        let directory = user.stateDirectory(option: self.stateDirectory)
        let options = DevelopmentOptions(
            targets: (self.port.map { [$0] } ?? []) + self.to,
            listen: self.listen,
            certificate: CertificatePair(certificatePath: directory + "/localhost.pem", privateKeyPath: directory + "/localhost-key.pem")
        )
        // Every argument is checked before the CA is made.
        let configuration: ProxyConfiguration
        do {
            configuration = try ProxyConfiguration.development(options)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        let (paths, createdCA) = try DevCertificates.ensure(in: directory, hosts: self.hosts, user: user)
        if createdCA {
            Self.say("created the dev CA \(paths.caCertificate)")
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.global.logLevel.rawValue) ?? .warning
            return handler
        }
        let logger = Logger(label: "portcullis")
        let trusted = TrustRecord.exists(in: directory)
        let banner = Self.banner(configuration: configuration, caCertificate: paths.caCertificate, trusted: trusted)
        do {
            try await ProxyServer.runUntilSignalled(
                configuration: configuration,
                logger: logger,
                configurationSource: { configuration },
                onStarted: { listeners in
                    Self.say(banner(listeners.first?.port ?? 0))
                }
            )
        } catch let error as ExitCode {
            throw error
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
    }

    /// What is printed once the listener accepts: the URL, the routes, and the CA.
    private static func banner(configuration: ProxyConfiguration, caCertificate: String, trusted: Bool) -> @Sendable (Int) -> String {
        guard let listener = configuration.listeners.first else { return { _ in "" } }
        let bind = listener.bind
        let host = ["127.0.0.1", "0.0.0.0", "::", "::1"].contains(bind.host) ? "localhost" : bind.isIPv6 ? "[\(bind.host)]" : bind.host
        var routes: [String] = []
        let width = listener.routes.map { ($0.pathPrefix ?? "/").count }.max() ?? 1
        for route in listener.routes {
            let prefix = route.pathPrefix ?? "/"
            let targets = configuration.targetGroup(named: route.targetGroup ?? "")?.targets.map(\.description) ?? []
            routes.append("  \(prefix.padding(toLength: width, withPad: " ", startingAt: 0))  → \(targets.joined(separator: ", "))")
        }
        let trustHint =
            trusted
            ? "  CA: \(caCertificate)"
            : "  CA: \(caCertificate)\n  run `portcullis trust` once so that browsers and curl accept it"
        let routeLines = routes
        return { port in
            "portcullis dev: https://\(host):\(port)/\n" + routeLines.joined(separator: "\n") + "\n" + trustHint + "\n  Ctrl-C to stop"
        }
    }

    /// One line (or several) on standard output, unbuffered: the access log writes there too.
    static func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
