import ArgumentParser
import Foundation
import ProxyServer

/// `--etcd URL --fleet NAME`: straight to a fleet's shared state in etcd (docs/operations.md).
struct FleetOptions: ParsableArguments {
    @Option(name: .customLong("etcd"), help: "etcd endpoint of the fleet (http://host:port); with --fleet, changes go to every instance.")
    var etcd: String?

    @Option(name: .customLong("fleet"), help: "Fleet name (its keys are under /portcullis/NAME/ in etcd).")
    var fleet: String?

    /// `nil` when neither flag is given (the admin API is used instead).
    func control() throws -> FleetControl? {
        switch (self.etcd, self.fleet) {
        case (nil, nil):
            return nil
        case (let etcd?, let fleet?):
            guard EtcdKeys.isValidName(fleet) else {
                throw ValidationError("--fleet: \"\(fleet)\" is not a fleet name (letters, digits, '-', '_' and '.')")
            }
            do {
                return FleetControl(client: try EtcdClient(endpoint: etcd), keys: EtcdKeys(fleet: fleet))
            } catch {
                throw ValidationError("--etcd: \(error)")
            }
        case (nil, _):
            throw ValidationError("--fleet needs --etcd URL")
        case (_, nil):
            throw ValidationError("--etcd needs --fleet NAME")
        }
    }
}

/// Runs a fleet call, printing its result, or its error on standard error with exit status 1.
func runFleet(_ body: () async throws -> String) async throws {
    do {
        print(try await body())
    } catch let error as FleetError {
        throw commandError(error.description)
    } catch let error as EtcdError {
        throw commandError(error.description)
    }
}
