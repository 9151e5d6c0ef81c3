import Foundation
import Logging
import NIOConcurrencyHelpers
import ProxyTLS

/// Shared session-ticket keys (docs/tls.md, "Session tickets in a fleet"): one instance at a
/// time holds the ticket lease (`election/tickets`, under its own instance lease) and rotates
/// the keys at `tickets`, sealed with the fleet secret; every instance watches that key and
/// installs the keys in every TLS listener (the newest seals, all open).
extension FleetMember {
    /// Installs the fleet's keys at start, then each new value, until the watch ends.
    func followTicketKeys(secret: [UInt8]) async throws {
        let control = self.settings.control
        let key = control.keys.tickets
        let (current, revision) = try await control.client.get(key)
        if let current { self.receiveTicketKeys(current, secret: secret) }
        for try await update in control.client.watch(prefix: key, from: revision + 1) {
            switch update {
            case .created: continue
            case .cancelled(let reason): throw EtcdError.watchCancelled(reason)
            case .events(let events, _):
                for event in events where event.keyValue.key == key && event.kind == .put {
                    self.receiveTicketKeys(event.keyValue, secret: secret)
                }
            }
        }
        throw EtcdError.unreachable("the ticket key watch ended")
    }

    private func receiveTicketKeys(_ keyValue: EtcdKeyValue, secret: [UInt8]) {
        do {
            let keys = try FleetTicketKeys.open(keyValue.value, secret: secret, key: keyValue.key)
            self.state.withLockedValue { $0.ticketKeys = keys }
            self.installTicketKeys()
            self.logger.info("fleet: installed the shared session-ticket keys", metadata: ["revision": "\(keyValue.modRevision)", "keys": "\(keys.keys.count)"])
        } catch {
            // Another secret, or a value written past Portcullis: keep the keys in use.
            self.logger.error(
                "fleet: the shared session-ticket keys do not open with this instance's --fleet-secret; keeping the current keys",
                metadata: ["revision": "\(keyValue.modRevision)", "error": "\(error)"]
            )
        }
    }

    /// Puts the fleet's keys (if any yet) into every TLS listener's context.
    func installTicketKeys() {
        guard let keys = self.state.withLockedValue({ $0.ticketKeys }) else { return }
        for listener in self.server.state.withLockedValue({ $0.listeners }) {
            listener.plan.tls?.installSharedTicketKeys(keys.keys)
        }
    }

    /// Every check interval: take the ticket lease when it is free; while holding it, rotate
    /// when due. The lease is the instance's own: when the instance dies, its lease expires,
    /// the key goes, and another instance takes over on its next check.
    func leadTicketRotation(secret: [UInt8], lease: Int64) async throws {
        let control = self.settings.control
        let me = Array(self.settings.instanceID.utf8)
        while !Task.isCancelled {
            let (holder, _) = try await control.client.get(control.keys.ticketElection)
            var leader = holder?.value == me
            if holder == nil {
                leader = try await control.client.create(control.keys.ticketElection, me, lease: lease)
                if leader { self.logger.notice("fleet: holding the ticket lease; this instance rotates the shared session-ticket keys") }
            }
            self.state.withLockedValue { $0.ticketLeader = leader }
            if leader { try await self.rotateTicketKeysIfDue(secret: secret) }
            // A listener added by a reload (SIGHUP, POST /reload) gets the fleet's keys too.
            self.installTicketKeys()
            try await Task.sleep(for: self.settings.ticketCheckInterval)
        }
    }

    private func rotateTicketKeysIfDue(secret: [UInt8]) async throws {
        let control = self.settings.control
        let key = control.keys.tickets
        let (stored, _) = try await control.client.get(key)
        let current = stored.flatMap { try? FleetTicketKeys.open($0.value, secret: secret, key: key) }
        if stored != nil && current == nil {
            self.logger.error("fleet: the shared session-ticket keys in etcd do not open with this instance's --fleet-secret; replacing them")
        }
        let now = Date().timeIntervalSince1970
        guard FleetTicketRotation.decide(current: current, now: now, interval: self.settings.ticketRotation) == .rotate else { return }
        let fresh = try TLSServerContext.makeTicketKeyMaterial()
        let next = (current ?? FleetTicketKeys(rotatedAt: now, keys: [])).rotated(adding: fresh, at: now, retention: self.settings.ticketRetention)
        // Compare-and-swap: a holder that lost the lease meanwhile overwrites nothing.
        if try await control.client.put(key, try next.sealed(secret: secret, key: key), ifModRevision: stored?.modRevision ?? 0) != nil {
            self.logger.notice("fleet: rotated the shared session-ticket keys", metadata: ["keys": "\(next.keys.count)"])
        }
    }
}
