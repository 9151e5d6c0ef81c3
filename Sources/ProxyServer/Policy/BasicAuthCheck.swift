import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyAuth
import ProxyCore

/// `auth.basic`: an htpasswd file's users (bcrypt, SHA-512-crypt). A password hash takes tens
/// of milliseconds by design, so it is computed on NIO's thread pool, never on an event loop;
/// credentials that passed are remembered for a few minutes by their SHA-256 (never in clear),
/// so a browser's repeated `Authorization` costs one hash. At most ``maxInFlight`` hashes run at
/// once: past that, `503` (a guessing flood cannot take every thread).
final class BasicAuthCheck: AdmissionCheck {
    let users: HtpasswdFile
    let realm: String
    static let maxInFlight = 16
    static let rememberFor = TimeAmount.minutes(5)
    static let maxRemembered = 10_000
    private let remembered = NIOLockedValueBox([[UInt8]: NIODeadline]())
    private let inFlight = NIOLockedValueBox(0)
    private let threadPool: NIOThreadPool

    init(users: HtpasswdFile, realm: String, threadPool: NIOThreadPool = .singleton) {
        self.users = users
        self.realm = realm
        self.threadPool = threadPool
    }

    private var challenge: PolicyRefusal.Field {
        .init("WWW-Authenticate", "Basic realm=\"\(self.realm)\", charset=\"UTF-8\"")
    }

    func admit(_ request: AdmissionRequest, loop: ProxyLoop) -> EventLoopFuture<Admission> {
        let eventLoop = loop.eventLoop
        guard let value = request.head.headers.first(name: "authorization"), let credentials = BasicCredentials(authorization: value) else {
            return eventLoop.makeSucceededFuture(
                .refused(PolicyRefusal(status: .unauthorized, reason: "auth_missing", detail: "no basic credentials", fields: [self.challenge]))
            )
        }
        let digest = SHA256Digest.hash(Array(value.utf8)) ?? []
        let now = NIODeadline.now()
        let known = self.remembered.withLockedValue { remembered in remembered[digest].map { $0 > now } ?? false }
        if known {
            return eventLoop.makeSucceededFuture(.passed(requestFields: [], responseFields: []))
        }
        let admitted = self.inFlight.withLockedValue { count -> Bool in
            guard count < Self.maxInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return eventLoop.makeSucceededFuture(
                .refused(PolicyRefusal(status: .serviceUnavailable, reason: "auth_busy", detail: "too many password checks at once", fields: [.init("Retry-After", "1")]))
            )
        }
        let users = self.users
        let challenge = self.challenge
        return self.threadPool.runIfActive(eventLoop: eventLoop) {
            users.verify(user: credentials.user, password: credentials.password)
        }.map { valid -> Admission in
            self.inFlight.withLockedValue { $0 -= 1 }
            guard valid else {
                return .refused(PolicyRefusal(status: .unauthorized, reason: "auth_failed", detail: "wrong user or password", fields: [challenge]))
            }
            self.remembered.withLockedValue { remembered in
                if remembered.count >= Self.maxRemembered { remembered.removeAll(keepingCapacity: true) }
                remembered[digest] = NIODeadline.now() + Self.rememberFor
            }
            return .passed(requestFields: [], responseFields: [])
        }.flatMapErrorThrowing { error in
            self.inFlight.withLockedValue { $0 -= 1 }
            throw error
        }
    }
}
