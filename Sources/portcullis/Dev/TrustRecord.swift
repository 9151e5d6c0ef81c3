import Foundation

/// What `portcullis trust` changed, kept as `trust.json` beside the dev CA so that
/// `portcullis untrust` undoes exactly that and nothing else.
struct TrustRecord: Codable, Equatable {
    /// One change to one trust store.
    struct Change: Codable, Equatable {
        enum Kind: String, Codable {
            /// A CA file in the system store (`path`), made effective by `refresh`.
            case system
            /// A certificate `nickname` in the NSS database directory `path` (Chromium, Firefox).
            case nss
            /// The macOS System keychain (`path`), trusted with `security add-trusted-cert`.
            case keychain
        }
        var kind: Kind
        var path: String
        var nickname: String?
        /// The command that rebuilds the system bundle after the file is added or removed.
        var refresh: [String]?
    }

    /// The CA certificate that was installed.
    var caCertificate: String
    var changes: [Change]

    static let fileName = "trust.json"

    static func path(in directory: String) -> String {
        directory + "/" + Self.fileName
    }

    static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: Self.path(in: directory))
    }

    /// The record in `directory`, or `nil` when there is none.
    static func load(from directory: String) throws -> TrustRecord? {
        let path = Self.path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(TrustRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw TrustError("cannot read \(path): \(error)")
        }
    }

    /// Writes the record (atomically), or removes the file when nothing is left to undo.
    func save(in directory: String, user: DevUser) throws {
        let path = Self.path(in: directory)
        if self.changes.isEmpty {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TrustError("cannot write \(path): \(error)")
        }
        user.handOver(path)
    }

    /// Adds `change` unless the same change is already recorded.
    mutating func record(_ change: Change) {
        if !self.changes.contains(change) {
            self.changes.append(change)
        }
    }
}

/// A trust-store step that failed, with what to do about it.
struct TrustError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
