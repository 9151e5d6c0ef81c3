import Foundation

/// The NSS certificate databases that Chromium (`~/.pki/nssdb`) and Firefox (every profile with
/// a `cert9.db`) read on Linux, changed with `certutil` (Debian `libnss3-tools`, Fedora
/// `nss-tools`).
struct NSSTrustStore {
    var certutil: String

    /// `certutil`, or an error naming the package to install.
    static func locate() throws -> NSSTrustStore {
        guard let certutil = SystemCommand.find("certutil") else {
            throw TrustError(
                "browsers (NSS): certutil not found; install it (Debian/Ubuntu: sudo apt-get install libnss3-tools; Fedora/RHEL: sudo dnf install nss-tools) and run this again"
            )
        }
        return NSSTrustStore(certutil: certutil)
    }

    /// Chromium's database (to be created when missing) and every Firefox profile's.
    static func databases(home: String) -> (chromium: String, firefox: [String]) {
        var firefox: [String] = []
        for root in [home + "/.mozilla/firefox", home + "/snap/firefox/common/.mozilla/firefox"] {
            let profiles = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            for profile in profiles.sorted() where FileManager.default.fileExists(atPath: "\(root)/\(profile)/cert9.db") {
                firefox.append("\(root)/\(profile)")
            }
        }
        return (home + "/.pki/nssdb", firefox)
    }

    /// Creates an empty database in `directory` (`certutil -N --empty-password`).
    func create(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw TrustError("browsers (NSS): cannot create \(directory): \(error.localizedDescription)")
        }
        try self.certutil(["-N", "--empty-password", "-d", "sql:" + directory], in: directory)
    }

    /// Adds the CA as `nickname`, trusted to issue server certificates (`-t C,,`).
    func install(caCertificate: String, nickname: String, database: String) throws -> TrustRecord.Change {
        try self.certutil(["-A", "-n", nickname, "-t", "C,,", "-i", caCertificate, "-d", "sql:" + database], in: database)
        return TrustRecord.Change(kind: .nss, path: database, nickname: nickname, refresh: nil)
    }

    /// Whether `database` holds a certificate called `nickname`.
    func contains(nickname: String, database: String) -> Bool {
        (try? SystemCommand.run(self.certutil, ["-L", "-n", nickname, "-d", "sql:" + database]))?.succeeded ?? false
    }

    /// Deletes `nickname` from the database; one that is already gone is not an error.
    func remove(nickname: String, database: String) throws {
        guard FileManager.default.fileExists(atPath: database), self.contains(nickname: nickname, database: database) else { return }
        try self.certutil(["-D", "-n", nickname, "-d", "sql:" + database], in: database)
    }

    private func certutil(_ arguments: [String], in database: String) throws {
        let result = try SystemCommand.run(self.certutil, arguments)
        guard result.succeeded else {
            throw TrustError(
                "browsers (NSS) \(database): \(SystemCommand.display(self.certutil, arguments)) failed (status \(result.status)): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
    }
}
