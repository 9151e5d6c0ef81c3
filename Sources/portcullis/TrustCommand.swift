import ArgumentParser
import Foundation
import ProxyTLS

/// Options `trust` and `untrust` share.
struct TrustOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Directory of the dev CA (default $XDG_DATA_HOME/portcullis or ~/.local/share/portcullis).")
    var stateDirectory: String?

    @Option(name: .customLong("name"), help: "File name (system store) and nickname (NSS) of the CA.")
    var name: String = "portcullis-dev-ca"

    func validate() throws {
        guard !self.name.isEmpty, self.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw ValidationError("--name may contain only letters, digits, \"-\", \"_\" and \".\" (got \"\(self.name)\")")
        }
    }
}

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Trust the dev CA: the system store (needs sudo) and the NSS databases of Chromium and Firefox.",
        discussion: """
            Prints every store and file it changes and records them in trust.json beside the CA; \
            `portcullis untrust` undoes exactly that. Without root, the system store is left out \
            (re-run with sudo); the browsers' databases are still done. See docs/tls.md.
            """
    )

    @OptionGroup var options: TrustOptions

    func run() throws {
        let user = DevUser.current()
        let directory = user.stateDirectory(option: self.options.stateDirectory)
        let (paths, createdCA) = try DevCertificates.ensure(in: directory, user: user)
        if createdCA {
            print("created the dev CA \(paths.caCertificate)")
        }
        let ca = paths.caCertificate
        var record = try TrustRecord.load(from: directory) ?? TrustRecord(caCertificate: ca, changes: [])
        record.caCertificate = ca
        var failures: [String] = []

        // The system store.
        if let security = KeychainTrustStore.detect() {
            if user.isRoot {
                do {
                    record.record(try KeychainTrustStore.install(caCertificate: ca, security: security))
                    print("System keychain: trusted \(ca) in \(KeychainTrustStore.keychain)")
                } catch {
                    failures.append("\(error)")
                }
            } else {
                failures.append("System keychain: needs root; re-run with sudo: sudo portcullis trust")
            }
        } else if let store = SystemTrustStore.detect() {
            if user.isRoot {
                do {
                    let change = try store.install(caCertificate: ca, name: self.options.name)
                    record.record(change)
                    print("\(store.name): added \(change.path) and ran \(SystemCommand.display(store.refresh[0], Array(store.refresh.dropFirst())))")
                } catch {
                    failures.append("\(error)")
                }
            } else {
                failures.append(
                    "\(store.name): needs root to write \(store.file(named: self.options.name)); re-run with sudo: sudo portcullis trust"
                )
            }
        } else {
            print("system store: none found (no update-ca-certificates or update-ca-trust); left alone")
        }

        // The browsers' NSS databases.
        do {
            let nss = try NSSTrustStore.locate()
            let (chromium, firefox) = NSSTrustStore.databases(home: user.home)
            if !FileManager.default.fileExists(atPath: chromium + "/cert9.db") {
                try nss.create(chromium)
                user.handOver((chromium as NSString).deletingLastPathComponent)
                print("browsers (NSS): created the database \(chromium) (Chromium reads it)")
            }
            for database in [chromium] + firefox {
                do {
                    record.record(try nss.install(caCertificate: ca, nickname: self.options.name, database: database))
                    user.handOver(database)
                    print("browsers (NSS): added \"\(self.options.name)\" to \(database)")
                } catch {
                    failures.append("\(error)")
                }
            }
        } catch {
            failures.append("\(error)")
        }

        // Every step catches its own errors, so what was done is always recorded.
        do {
            try record.save(in: directory, user: user)
        } catch {
            failures.append("\(error)")
        }
        if !record.changes.isEmpty {
            print("recorded in \(TrustRecord.path(in: directory)); `portcullis untrust` undoes it")
        }
        guard failures.isEmpty else {
            for failure in failures {
                FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
            }
            throw ExitCode(1)
        }
    }
}

struct UntrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "untrust",
        abstract: "Undo what `portcullis trust` changed (as recorded in trust.json beside the CA), and only that."
    )

    @OptionGroup var options: TrustOptions

    func run() throws {
        let user = DevUser.current()
        let directory = user.stateDirectory(option: self.options.stateDirectory)
        guard var record = try TrustRecord.load(from: directory) else {
            print("nothing to undo: \(TrustRecord.path(in: directory)) does not exist (portcullis trust changed nothing here)")
            return
        }
        var failures: [String] = []
        var kept: [TrustRecord.Change] = []
        let nss = Result { try NSSTrustStore.locate() }
        for change in record.changes {
            do {
                switch change.kind {
                case .system:
                    guard user.isRoot else {
                        throw TrustError("system store: needs root to remove \(change.path); re-run with sudo: sudo portcullis untrust")
                    }
                    try SystemTrustStore.remove(change)
                    let refresh = change.refresh.map { " and ran \(SystemCommand.display($0[0], Array($0.dropFirst())))" } ?? ""
                    print("system store: removed \(change.path)\(refresh)")
                case .nss:
                    let nickname = change.nickname ?? self.options.name
                    try nss.get().remove(nickname: nickname, database: change.path)
                    print("browsers (NSS): removed \"\(nickname)\" from \(change.path)")
                case .keychain:
                    guard user.isRoot else {
                        throw TrustError("System keychain: needs root; re-run with sudo: sudo portcullis untrust")
                    }
                    guard let security = KeychainTrustStore.detect() else { throw TrustError("System keychain: security not found") }
                    try KeychainTrustStore.remove(caCertificate: record.caCertificate, security: security)
                    print("System keychain: removed the trust setting of \(record.caCertificate)")
                }
            } catch {
                failures.append("\(error)")
                kept.append(change)
            }
        }
        record.changes = kept
        try record.save(in: directory, user: user)
        guard failures.isEmpty else {
            for failure in failures {
                FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
            }
            throw ExitCode(1)
        }
        print("the dev CA is no longer trusted; \(TrustRecord.path(in: directory)) removed")
    }
}
