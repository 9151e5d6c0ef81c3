import Foundation
import ProxyTLS

/// The dev CA of a user's state directory, made on first use and reused afterwards.
enum DevCertificates {
    /// The CA certificate's path in `directory`, whether or not it exists yet.
    static func caCertificate(in directory: String) -> String {
        directory + "/portcullis-ca.pem"
    }

    /// Creates the CA if it is missing and issues a fresh `localhost` leaf (plus `hosts`).
    /// Under `sudo`, the directories and files made are given to the user.
    ///
    /// - Returns: The paths, and whether the CA was made just now.
    static func ensure(in directory: String, hosts: [String] = [], user: DevUser) throws -> (paths: DevCertificatePaths, createdCA: Bool) {
        let createdCA = !FileManager.default.fileExists(atPath: Self.caCertificate(in: directory))
        // The first ancestor that does not exist yet: everything from it down is ours.
        var firstMissing: String?
        var ancestor = directory
        while !ancestor.isEmpty, ancestor != "/", !FileManager.default.fileExists(atPath: ancestor) {
            firstMissing = ancestor
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        let paths = try DevCertificateAuthority.ensure(directory: directory, hosts: hosts)
        _ = chmod(directory, 0o700)
        user.handOver(firstMissing ?? directory)
        return (paths, createdCA)
    }
}
