import ArgumentParser
import Foundation
import ProxyConfig
import ProxyServer

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The configuration of a fleet, in etcd.",
        subcommands: [Push.self, Get.self]
    )

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file and write it to the fleet (every instance applies it as a reload).",
            discussion: """
                The write is a compare-and-swap on the revision the file was based on: --revision, \
                or the revision named in the file's last line (as `portcullis config get` writes it), \
                or 0 (only when the fleet has no configuration yet). If someone pushed in between, \
                nothing is written.
                """
        )
        @OptionGroup var fleet: FleetOptions
        @Argument(help: "Configuration file (YAML).") var file: String
        @Option(help: "The revision in etcd this file replaces.") var revision: Int64?

        func run() async throws {
            guard let control = try self.fleet.control() else {
                throw ValidationError("config push needs --etcd URL and --fleet NAME")
            }
            let (configuration, diagnostics) = ProxyConfiguration.check(path: self.file)
            for diagnostic in diagnostics {
                FileHandle.standardError.write(Data((diagnostic.description + "\n").utf8))
            }
            guard configuration != nil else {
                FileHandle.standardError.write(Data("config push: \(self.file) has errors; nothing was pushed\n".utf8))
                throw ExitCode(1)
            }
            let yaml = try String(contentsOfFile: self.file, encoding: .utf8)
            let expected = self.revision ?? FleetLocalCopy.revision(in: yaml) ?? 0
            try await runFleet {
                let revision = try await control.push(yaml: yaml, expectedRevision: expected)
                return "pushed \(self.file) to \(control.keys.config): revision \(revision)"
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the fleet's configuration, with its revision in the last line (edit it and push it back)."
        )
        @OptionGroup var fleet: FleetOptions

        func run() async throws {
            guard let control = try self.fleet.control() else {
                throw ValidationError("config get needs --etcd URL and --fleet NAME")
            }
            try await runFleet {
                guard let stored = try await control.configuration() else {
                    throw FleetError.noConfiguration(control.keys.config)
                }
                var yaml = stored.text
                // A file fetched and pushed again names the revision it was fetched at.
                if FleetLocalCopy.revision(in: yaml) != nil, let index = yaml.range(of: "\n# portcullis fleet revision ", options: .backwards) {
                    yaml = String(yaml[..<index.lowerBound])
                }
                return FleetLocalCopy.render(yaml: yaml, revision: stored.modRevision).dropLast().description
            }
        }
    }
}
