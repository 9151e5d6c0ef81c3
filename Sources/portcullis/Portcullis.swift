import ArgumentParser

@main
struct Portcullis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A TLS-terminating edge proxy and HTTP load balancer.",
        subcommands: [
            RunCommand.self, CheckCommand.self, CertsCommand.self, StatusCommand.self, TargetsCommand.self,
            ReloadCommand.self, DeployCommand.self, ConfigCommand.self, DevCommand.self, TrustCommand.self, UntrustCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )
}
