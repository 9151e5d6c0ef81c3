import ArgumentParser
import Foundation
import ProxyConfig
import ProxyDefaults
import ProxyServer

/// `portcullis run --etcd URL --fleet NAME`: the configuration comes from etcd, or from the
/// local copy of the last revision when etcd cannot be reached.
struct FleetStart {
    var control: FleetControl
    var localCopy: String
    var instanceID: String

    /// The configuration to start with, its revision, where it came from and (from etcd) its
    /// text, for the local copy once the server runs with it. Prints on standard error why it
    /// did not come from etcd.
    func initial() async throws -> (configuration: ProxyConfiguration, revision: Int64, source: String, yaml: String?) {
        let baseDirectory = URL(fileURLWithPath: self.localCopy).deletingLastPathComponent().path
        let reason: String
        do {
            if let stored = try await self.control.configuration() {
                do {
                    let configuration = try ProxyConfiguration.parse(
                        yaml: stored.text,
                        file: "etcd:\(self.control.keys.config)@\(stored.modRevision)",
                        baseDirectory: baseDirectory
                    )
                    // The local copy is written by the FleetMember once the server has started
                    // with this revision (a revision that cannot start must not replace it).
                    return (configuration, stored.modRevision, "etcd", stored.text)
                } catch {
                    reason = "revision \(stored.modRevision) in etcd is not valid:\n\(error.description)"
                }
            } else {
                reason = FleetError.noConfiguration(self.control.keys.config).description
            }
        } catch let error as EtcdError {
            reason = error.description
        }
        guard FileManager.default.fileExists(atPath: self.localCopy) else {
            throw RunFailure(message: "\(reason)\nand there is no local copy at \(self.localCopy) to start from")
        }
        let text = try String(contentsOfFile: self.localCopy, encoding: .utf8)
        let configuration = try ProxyConfiguration.load(path: self.localCopy)
        let revision = FleetLocalCopy.revision(in: text) ?? 0
        FileHandle.standardError.write(Data("fleet: \(reason)\nfleet: starting from the local copy \(self.localCopy) (revision \(revision))\n".utf8))
        return (configuration, revision, "local copy", nil)
    }

    static func defaultInstanceID() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "host"
        return "\(host)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    static func defaultLocalCopy(fleet: String) -> String {
        Defaults.Fleet.localCopy.replacingOccurrences(of: "{fleet}", with: fleet)
    }
}

/// A reason `run` cannot start, for standard error (exit status 2).
struct RunFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}
