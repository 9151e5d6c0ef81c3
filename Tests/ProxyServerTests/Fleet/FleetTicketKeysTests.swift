import Foundation
import ProxyTLS
import Testing

@testable import ProxyServer

/// The sealing of the fleet's ticket keys (AES-256-GCM under the fleet secret) and the pure
/// rotation decision of the instance holding the ticket lease.
struct FleetTicketKeysTests {
    static let key = "/portcullis/f/tickets"

    static func keys(_ count: Int, at time: Double = 1000) throws -> FleetTicketKeys {
        FleetTicketKeys(rotatedAt: time, keys: try (0..<count).map { _ in try TLSServerContext.makeTicketKeyMaterial() })
    }

    static func contains(_ haystack: [UInt8], _ needle: ArraySlice<UInt8>) -> Bool {
        haystack.indices.contains { haystack[$0...].starts(with: needle) }
    }

    @Test func sealedKeysOpenWithTheSecretAndRevealNothing() throws {
        let secret = MessageAuthentication.randomBytes(32)
        let keys = try Self.keys(3)
        let sealed = try keys.sealed(secret: secret, key: Self.key)
        #expect(try FleetTicketKeys.open(sealed, secret: secret, key: Self.key) == keys)
        // Neither the key bytes nor their base64 appear in the stored value.
        for material in keys.keys {
            #expect(!Self.contains(sealed, material.prefix(16)))
            #expect(!String(decoding: sealed, as: UTF8.self).contains(Data(material).base64EncodedString().prefix(20)))
        }
        // A fresh nonce per write: sealing the same keys twice gives different values.
        #expect(try keys.sealed(secret: secret, key: Self.key) != sealed)
    }

    @Test func anotherSecretOrAnotherKeyDoesNotOpen() throws {
        let sealed = try Self.keys(2).sealed(secret: MessageAuthentication.randomBytes(32), key: Self.key)
        #expect(throws: SecretSeal.Failure.notAuthentic) {
            try FleetTicketKeys.open(sealed, secret: MessageAuthentication.randomBytes(32), key: Self.key)
        }
    }

    @Test func aValueMovedToAnotherFleetDoesNotOpen() throws {
        let secret = MessageAuthentication.randomBytes(32)
        let sealed = try Self.keys(1).sealed(secret: secret, key: Self.key)
        #expect(throws: SecretSeal.Failure.notAuthentic) {
            try FleetTicketKeys.open(sealed, secret: secret, key: "/portcullis/other/tickets")
        }
    }

    @Test func tamperedOrTruncatedValuesDoNotOpen() throws {
        let secret = MessageAuthentication.randomBytes(32)
        let sealed = try Self.keys(2).sealed(secret: secret, key: Self.key)
        // One flipped bit anywhere after the header: nonce, ciphertext or tag.
        for index in [4, 10, 20, sealed.count / 2, sealed.count - 1] {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: SecretSeal.Failure.notAuthentic) { try FleetTicketKeys.open(tampered, secret: secret, key: Self.key) }
        }
        #expect(throws: SecretSeal.Failure.notAuthentic) { try FleetTicketKeys.open(Array(sealed.dropLast(1)), secret: secret, key: Self.key) }
        #expect(throws: SecretSeal.Failure.malformed) { try FleetTicketKeys.open(Array(sealed.prefix(20)), secret: secret, key: Self.key) }
        #expect(throws: SecretSeal.Failure.malformed) { try FleetTicketKeys.open(Array("keys".utf8), secret: secret, key: Self.key) }
        var header = sealed
        header[0] = UInt8(ascii: "X")
        #expect(throws: SecretSeal.Failure.malformed) { try FleetTicketKeys.open(header, secret: secret, key: Self.key) }
    }

    @Test func aSecretMustBe32Bytes() throws {
        #expect(throws: SecretSeal.Failure.badKey(16)) { try SecretSeal.seal([1, 2, 3], key: [UInt8](repeating: 7, count: 16)) }
        let raw = MessageAuthentication.randomBytes(32)
        #expect(try FleetSecret.parse(raw, path: "s") == raw)
        #expect(try FleetSecret.parse(Array((Data(raw).base64EncodedString() + "\n").utf8), path: "s") == raw)
        #expect(throws: FleetError.self) { try FleetSecret.parse(Array("short\n".utf8), path: "s") }
        #expect(throws: FleetError.self) { try FleetSecret.load("/nonexistent/fleet-secret") }
    }

    @Test func sealingAnEmptyValueRoundTrips() throws {
        let secret = MessageAuthentication.randomBytes(32)
        #expect(try SecretSeal.open(SecretSeal.seal([], key: secret), key: secret) == [])
    }

    @Test func rotationKeepsTheRetainedPreviousKeys() throws {
        let keys = try Self.keys(3)
        let fresh = try TLSServerContext.makeTicketKeyMaterial()
        let next = keys.rotated(adding: fresh, at: 2000, retention: 2)
        #expect(next.rotatedAt == 2000)
        #expect(next.keys == [fresh, keys.keys[0], keys.keys[1]])
        #expect(FleetTicketKeys(rotatedAt: 0, keys: []).rotated(adding: fresh, at: 5, retention: 2).keys == [fresh])
    }

    @Test func theHolderRotatesWhenDueOrWhenThereAreNoKeys() throws {
        let keys = try Self.keys(1, at: 1000)
        #expect(FleetTicketRotation.decide(current: nil, now: 1000, interval: .seconds(60)) == .rotate)
        #expect(FleetTicketRotation.decide(current: keys, now: 1030, interval: .seconds(60)) == .wait(until: 1060))
        #expect(FleetTicketRotation.decide(current: keys, now: 1060, interval: .seconds(60)) == .rotate)
        #expect(FleetTicketRotation.decide(current: keys, now: 1500, interval: .seconds(60)) == .rotate)
        // Keys stamped far in the future (a clock set back): rotate rather than wait for hours.
        #expect(FleetTicketRotation.decide(current: keys, now: 800, interval: .seconds(60)) == .rotate)
        #expect(FleetTicketRotation.decide(current: keys, now: 990, interval: .milliseconds(60_500)) == .wait(until: 1060.5))
    }

    @Test func storedKeysOfTheWrongSizeAreRejected() throws {
        let json = #"{"rotated_at": 5, "keys": ["AAAA"]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FleetTicketKeys.self, from: Data(json.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FleetTicketKeys.self, from: Data(#"{"rotated_at": 5, "keys": []}"#.utf8)) }
    }
}
