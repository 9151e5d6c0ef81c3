import ArgumentParser
import Foundation
import ProxyServer

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Rolling deploy of a target group: drain, run --exec, wait for health (and --check), attach; one target after another.",
        discussion: """
            Stops at the first target that fails (it stays drained), leaves the others untouched \
            and attached, and exits with status 1. Example:
              portcullis deploy --group app --exec 'ssh {host} systemctl restart app' --check /healthz
            In a fleet, --etcd URL --fleet NAME steers every instance through etcd (no admin API needed).
            """
    )

    @OptionGroup var admin: AdminOptions
    @OptionGroup var fleet: FleetOptions

    @Option(help: "Target group to deploy.") var group: String

    @Option(name: .customLong("exec"), help: "Command run for each target by /bin/sh; {target}, {host} and {port} are replaced.")
    var command: String

    @Option(help: "Path requested straight from each restarted target before it is attached.")
    var check: String?

    @Option(name: .customLong("expect-status"), help: "Status --check must answer (default: any 2xx or 3xx).")
    var expectStatus: Int?

    @Option(name: .customLong("max-unavailable"), help: "Targets out of rotation at the same time.")
    var maxUnavailable: Int = 1

    @Option(help: "Seconds a restarted target may take to pass its health checks.")
    var timeout: Int = 120

    @Option(name: .customLong("drain-timeout"), help: "Seconds to wait for requests in flight to finish.")
    var drainTimeout: Int = 300

    func run() async throws {
        var options = RollingDeploy.Options(group: self.group)
        options.maxUnavailable = self.maxUnavailable
        options.checkPath = self.check
        if let status = self.expectStatus { options.expectStatus = status...status }
        options.healthTimeout = .seconds(self.timeout)
        options.drainTimeout = .seconds(self.drainTimeout)
        let started = ContinuousClock.now
        let targets: any DeployTargets
        if let control = try self.fleet.control() {
            targets = FleetDeployTargets(control: control)
        } else {
            targets = AdminDeployTargets(admin: try self.admin.client())
        }
        let deploy = RollingDeploy(
            targets: targets,
            options: options,
            deploy: RollingDeploy.shellStep(self.command),
            progress: { line in
                // Unbuffered: progress is for watching, also through a pipe.
                FileHandle.standardOutput.write(Data("deploy: \(line)\n".utf8))
            }
        )
        do {
            let done = try await deploy.run()
            print("deploy: done, \(done.count) target(s) in \(started.duration(to: .now).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
        } catch {
            let message: String
            switch error {
            case let error as RollingDeployError: message = error.description
            case let error as AdminClientError: message = error.message
            case let error as FleetError: message = error.description
            case let error as EtcdError: message = error.description
            default: throw error
            }
            FileHandle.standardError.write(Data("deploy: FAILED: \(message)\n".utf8))
            throw ExitCode(1)
        }
    }
}
