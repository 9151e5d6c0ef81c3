import ArgumentParser
import ProxyServer

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a running Portcullis's status (listeners, target groups, targets) as JSON."
    )
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let client = try self.admin.client()
        try await runAdmin { try await client.statusJSON() }
    }
}
