#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Whose dev CA and browser databases a command works on: the user running it, or, under
/// `sudo`, the user who ran `sudo` (so `sudo portcullis trust` finds the CA that
/// `portcullis dev` made, and the NSS databases of the right home directory).
struct DevUser {
    var home: String
    /// Set under `sudo`: files created for the user are given to them (`chown`).
    var owner: (uid: uid_t, gid: gid_t)?
    var isRoot: Bool

    static func current() -> DevUser {
        let environment = ProcessInfo.processInfo.environment
        let isRoot = geteuid() == 0
        if isRoot, let name = environment["SUDO_USER"], name != "root", let entry = getpwnam(name) {
            return DevUser(
                home: String(cString: entry.pointee.pw_dir),
                owner: (entry.pointee.pw_uid, entry.pointee.pw_gid),
                isRoot: true
            )
        }
        return DevUser(home: environment["HOME"] ?? NSHomeDirectory(), owner: nil, isRoot: isRoot)
    }

    /// The per-user directory of the dev CA and the trust record: `--state-dir` when given,
    /// else `$XDG_DATA_HOME/portcullis`, else `~/.local/share/portcullis` (Linux) or
    /// `~/Library/Application Support/portcullis` (macOS). Under `sudo`, `XDG_DATA_HOME` is
    /// ignored (it would be root's).
    func stateDirectory(option: String?) -> String {
        if let option, !option.isEmpty {
            return option.hasPrefix("/") ? option : FileManager.default.currentDirectoryPath + "/" + option
        }
        #if os(macOS)
            return self.home + "/Library/Application Support/portcullis"
        #else
            if self.owner == nil, let data = ProcessInfo.processInfo.environment["XDG_DATA_HOME"], data.hasPrefix("/") {
                return data + "/portcullis"
            }
            return self.home + "/.local/share/portcullis"
        #endif
    }

    /// Gives `path` (and, for a directory, everything in it) to the `sudo` user; nothing otherwise.
    func handOver(_ path: String) {
        guard let owner = self.owner else { return }
        _ = chown(path, owner.uid, owner.gid)
        guard let items = FileManager.default.enumerator(atPath: path) else { return }
        for case let item as String in items {
            _ = chown(path + "/" + item, owner.uid, owner.gid)
        }
    }
}
