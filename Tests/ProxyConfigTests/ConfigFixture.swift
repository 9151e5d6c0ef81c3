import Foundation
import ProxyConfig

/// A temporary directory with stand-in certificate files in `certs/`, removed on deinit.
///
/// ProxyConfig only checks that certificate and key files exist and are readable (ProxyTLS loads
/// them), so the files hold a placeholder line, not PEM: no key material is in the repository.
final class ConfigFixture {
    let directory: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        self.directory = base + "/portcullis-config-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.directory + "/certs", withIntermediateDirectories: true)
        try self.writeFile("certs/localhost.pem", "placeholder certificate file for configuration tests\n")
        try self.writeFile("certs/localhost-key.pem", "placeholder key file for configuration tests\n")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// Writes `contents` to `name` inside the fixture and returns its absolute path.
    @discardableResult
    func writeFile(_ name: String, _ contents: String) throws -> String {
        let path = self.directory + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Parses `yaml` as `test.yaml` in the fixture directory.
    func parse(_ yaml: String) throws(ConfigValidationError) -> ProxyConfiguration {
        try ProxyConfiguration.parse(yaml: yaml, file: "test.yaml", baseDirectory: self.directory)
    }

    /// The error lines for `yaml`, or an empty list when it is valid.
    func errors(_ yaml: String) -> [String] {
        do {
            _ = try self.parse(yaml)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    /// The warning lines for `yaml`, which must be valid.
    func warnings(_ yaml: String) throws -> [String] {
        try self.parse(yaml).warnings.map(\.description)
    }
}
