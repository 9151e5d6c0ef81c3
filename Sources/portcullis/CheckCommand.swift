import ArgumentParser
import Foundation
import ProxyConfig

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file; print every problem as file:line:column: key: message."
    )

    @Argument(help: "The configuration file to check.")
    var file: String

    func run() throws {
        let result = ProxyConfiguration.check(path: self.file)
        for diagnostic in result.diagnostics {
            print(diagnostic.description)
        }
        let errors = result.diagnostics.filter { $0.severity == .error }.count
        if errors > 0 {
            FileHandle.standardError.write(Data("\(self.file): \(errors) error(s)\n".utf8))
            throw ExitCode(1)
        }
        print("\(self.file): OK")
    }
}
