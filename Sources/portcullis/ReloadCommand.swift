import ArgumentParser
import ProxyServer

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make a running Portcullis read its configuration again (same as SIGHUP); a bad file changes nothing."
    )
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let client = try self.admin.client()
        try await runAdmin { try await client.reload() }
    }
}
