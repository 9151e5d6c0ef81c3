import ProxyACME
import Foundation


/// Challenges shared through `state_dir`, so that every instance sharing it answers them.
///
/// Behind one address (a load balancer, or `reuse_port`), the CA's validation may reach an
/// instance other than the one ordering. The ordering instance writes each challenge to
/// `state_dir/challenges/<type>.<token or name>` (holding the key authorization) next to its
/// own table, and waits ``ACMEManager/publishSettle`` before asking the CA to validate; every
/// instance mirrors those files into its tables every ``ACMEManager/mirrorInterval`` (whether it
/// waits for the lock or sleeps until its own renewal), and withdraws them when they are gone.
struct ACMESharedChallenges: Sendable {
    let directory: String

    init(stateDirectory: String) {
        self.directory = stateDirectory + "/challenges"
    }

    private func path(_ challenge: ACMEOrderFlow.Challenge) -> String {
        let name = challenge.type == ACMEConfigurationChallengeType.http01 ? challenge.token : challenge.domain
        return "\(self.directory)/\(challenge.type).\(name)"
    }

    func write(_ challenge: ACMEOrderFlow.Challenge) throws {
        try ACMEStateDirectory.makeDirectory(self.directory, mode: 0o700)
        try ACMEStateDirectory.writeAtomically(Array(challenge.keyAuthorization.utf8), to: self.path(challenge), mode: 0o600)
    }

    func remove(_ challenge: ACMEOrderFlow.Challenge) {
        unlink(self.path(challenge))
    }

    /// The challenges written by the instance ordering now.
    func read() -> [ACMEOrderFlow.Challenge] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: self.directory) else { return [] }
        return names.compactMap { name -> ACMEOrderFlow.Challenge? in
            guard !name.contains(".tmp-"), let dot = name.firstIndex(of: ".") else { return nil }
            let type = String(name[..<dot])
            let key = String(name[name.index(after: dot)...])
            guard type == ACMEConfigurationChallengeType.http01 || type == ACMEConfigurationChallengeType.tlsALPN01,
                let bytes = try? ACMEStateDirectory.read("\(self.directory)/\(name)")
            else { return nil }
            let keyAuthorization = String(decoding: bytes, as: UTF8.self)
            let isHTTP = type == ACMEConfigurationChallengeType.http01
            return ACMEOrderFlow.Challenge(type: type, domain: isHTTP ? "" : key, token: isHTTP ? key : "", keyAuthorization: keyAuthorization)
        }
    }
}
