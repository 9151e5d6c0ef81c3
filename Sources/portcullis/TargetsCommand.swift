import ArgumentParser
import ProxyServer

struct TargetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets",
        abstract: "List and steer the targets of a running Portcullis (through its admin API), or of a fleet (--etcd URL --fleet NAME).",
        subcommands: [List.self, Drain.self, Attach.self, Register.self, Deregister.self, Weight.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the targets of a target group: state, health, weight, in-flight.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Target group.") var group: String

        func run() async throws {
            let client = try self.admin.client()
            try await runAdmin { try await client.targetsTable(group: self.group) }
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop sending new requests to a target; requests in flight finish.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var fleet: FleetOptions
        @Argument(help: "Target group.") var group: String
        @Argument(help: "Target (host:port or name).") var target: String
        @Flag(help: "Return only when no request is in flight (or --timeout passed: exit status 1).") var wait = false
        @Option(help: "Seconds to wait at most (0...86400).") var timeout: Double = 300

        func validate() throws {
            guard FleetControl.isValidDrainTimeout(self.timeout) else {
                throw ValidationError("--timeout: must be a number of seconds in 0...86400 (got \(self.timeout))")
            }
        }

        func run() async throws {
            if let control = try self.fleet.control() {
                return try await runFleet { try await control.drain(group: self.group, target: self.target, wait: self.wait, timeoutSeconds: self.timeout) }
            }
            let client = try self.admin.client()
            try await runAdmin {
                try await client.drain(group: self.group, target: self.target, wait: self.wait, timeoutSeconds: self.timeout)
            }
        }
    }

    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a target back into rotation once it passes its health checks (or at once with --now)."
        )
        @OptionGroup var admin: AdminOptions
        @OptionGroup var fleet: FleetOptions
        @Argument(help: "Target group.") var group: String
        @Argument(help: "Target (host:port or name).") var target: String
        @Flag(name: .customLong("now"), help: "Serve at once, without waiting for health checks.") var immediately = false

        func run() async throws {
            if let control = try self.fleet.control() {
                return try await runFleet { try await control.attach(group: self.group, target: self.target, immediately: self.immediately) }
            }
            let client = try self.admin.client()
            try await runAdmin { try await client.attach(group: self.group, target: self.target, immediately: self.immediately) }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a target to a target group (it serves once healthy).")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var fleet: FleetOptions
        @Argument(help: "Target group.") var group: String
        @Argument(help: "Target address (host:port).") var address: String
        @Option(help: "Weight, 1...1000.") var weight: Int?
        @Option(help: "Short name (used in stickiness cookies).") var name: String?

        func run() async throws {
            if let control = try self.fleet.control() {
                return try await runFleet { try await control.register(group: self.group, address: self.address, weight: self.weight, name: self.name) }
            }
            let client = try self.admin.client()
            try await runAdmin { try await client.register(group: self.group, address: self.address, weight: self.weight, name: self.name) }
        }
    }

    struct Deregister: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a target from a target group; requests in flight finish.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var fleet: FleetOptions
        @Argument(help: "Target group.") var group: String
        @Argument(help: "Target (host:port or name).") var target: String

        func run() async throws {
            if let control = try self.fleet.control() {
                return try await runFleet { try await control.deregister(group: self.group, target: self.target) }
            }
            let client = try self.admin.client()
            try await runAdmin { try await client.deregister(group: self.group, target: self.target) }
        }
    }

    struct Weight: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a target's weight.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var fleet: FleetOptions
        @Argument(help: "Target group.") var group: String
        @Argument(help: "Target (host:port or name).") var target: String
        @Argument(help: "New weight, 1...1000.") var weight: Int

        func run() async throws {
            if let control = try self.fleet.control() {
                return try await runFleet { try await control.setWeight(group: self.group, target: self.target, weight: self.weight) }
            }
            let client = try self.admin.client()
            try await runAdmin { try await client.setWeight(group: self.group, target: self.target, weight: self.weight) }
        }
    }
}
