import Foundation

/// The operating system's CA store: where a CA file goes and the command that makes it count.
///
/// - Debian, Ubuntu: `/usr/local/share/ca-certificates/<name>.crt`, then `update-ca-certificates`.
/// - Fedora, RHEL: `/etc/pki/ca-trust/source/anchors/<name>.pem`, then `update-ca-trust extract`.
/// - macOS: the System keychain, with `security add-trusted-cert -d -r trustRoot` (see
///   ``KeychainTrustStore``).
struct SystemTrustStore {
    var name: String
    var directory: String
    var fileExtension: String
    var refresh: [String]

    /// The store of this machine, or `nil` when neither tool is installed.
    static func detect() -> SystemTrustStore? {
        if let tool = SystemCommand.find("update-ca-certificates") {
            return SystemTrustStore(
                name: "system store (update-ca-certificates)",
                directory: "/usr/local/share/ca-certificates",
                fileExtension: "crt",
                refresh: [tool]
            )
        }
        if let tool = SystemCommand.find("update-ca-trust") {
            return SystemTrustStore(
                name: "system store (update-ca-trust)",
                directory: "/etc/pki/ca-trust/source/anchors",
                fileExtension: "pem",
                refresh: [tool, "extract"]
            )
        }
        return nil
    }

    func file(named name: String) -> String {
        "\(self.directory)/\(name).\(self.fileExtension)"
    }

    /// Copies the CA in as `<name>.<ext>` (mode 0644) and rebuilds the bundle.
    func install(caCertificate: String, name: String) throws -> TrustRecord.Change {
        let destination = self.file(named: name)
        do {
            try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
            let pem = try Data(contentsOf: URL(fileURLWithPath: caCertificate))
            try pem.write(to: URL(fileURLWithPath: destination), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: destination)
        } catch {
            throw TrustError("\(self.name): cannot write \(destination): \(error.localizedDescription)")
        }
        try Self.refresh(self.refresh, store: self.name)
        return TrustRecord.Change(kind: .system, path: destination, nickname: nil, refresh: self.refresh)
    }

    /// Removes the file `change` installed and rebuilds the bundle.
    static func remove(_ change: TrustRecord.Change) throws {
        if FileManager.default.fileExists(atPath: change.path) {
            do {
                try FileManager.default.removeItem(atPath: change.path)
            } catch {
                throw TrustError("system store: cannot remove \(change.path): \(error.localizedDescription)")
            }
        }
        if let refresh = change.refresh, !refresh.isEmpty {
            try Self.refresh(refresh, store: "system store")
        }
    }

    private static func refresh(_ command: [String], store: String) throws {
        let result = try SystemCommand.run(command[0], Array(command.dropFirst()))
        guard result.succeeded else {
            throw TrustError("\(store): \(SystemCommand.display(command[0], Array(command.dropFirst()))) failed (status \(result.status)): \(result.output)")
        }
    }
}

/// The macOS System keychain (`security`). Not testable on Linux; see docs/tls.md.
struct KeychainTrustStore {
    static let keychain = "/Library/Keychains/System.keychain"

    static func detect() -> String? {
        #if os(macOS)
            return SystemCommand.find("security")
        #else
            return nil
        #endif
    }

    static func install(caCertificate: String, security: String) throws -> TrustRecord.Change {
        let arguments = ["add-trusted-cert", "-d", "-r", "trustRoot", "-k", Self.keychain, caCertificate]
        let result = try SystemCommand.run(security, arguments)
        guard result.succeeded else {
            throw TrustError("System keychain: \(SystemCommand.display(security, arguments)) failed: \(result.output)")
        }
        return TrustRecord.Change(kind: .keychain, path: Self.keychain, nickname: nil, refresh: nil)
    }

    static func remove(caCertificate: String, security: String) throws {
        let arguments = ["remove-trusted-cert", "-d", caCertificate]
        let result = try SystemCommand.run(security, arguments)
        guard result.succeeded else {
            throw TrustError("System keychain: \(SystemCommand.display(security, arguments)) failed: \(result.output)")
        }
    }
}
