import ArgumentParser
import ProxyServer

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a running Portcullis's status (listeners, target groups, targets) as JSON."
    )
    @OptionGroup var admin: AdminOptions
    @Flag(help: "The whole fleet this instance belongs to: every live instance, its configuration revision and its view of each target.")
    var fleet = false

    func run() async throws {
        let client = try self.admin.client()
        try await runAdmin { self.fleet ? try await client.fleetJSON() : try await client.statusJSON() }
    }
}
