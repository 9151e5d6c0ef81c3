import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// The forwarding state machine's `admitting` state: a request held while an asynchronous
/// policy check answers (auth service, password hash, shared rate limit).
struct AdmissionStateMachineTests {
    static let post = UpstreamRequestHead(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/upload"))

    static func body(_ text: String) -> UpstreamRequestPart { .body(.byteBuffer(ByteBuffer(string: text))) }

    static func isNone(_ action: ForwardingStateMachine.Action) -> Bool {
        if case .none = action { true } else { false }
    }

    @Test func whatCameWhileHeldGoesOutWithTheHeadOnceAdmitted() {
        var machine = ForwardingStateMachine()
        #expect(Self.isNone(machine.requestHeadAwaitingAdmission()))
        #expect(machine.isAdmitting)
        #expect(Self.isNone(machine.requestBody(Self.body("ab"), byteCount: 2)))
        #expect(Self.isNone(machine.requestBody(Self.body("cd"), byteCount: 2)))
        #expect(Self.isNone(machine.requestEnd()))
        guard case .lease = machine.admitted(Self.post) else {
            Issue.record("an admitted request is leased")
            return
        }
        guard case .sendUpstream(let head?, let parts, let startTimer) = machine.leased(reused: false) else {
            Issue.record("the head and the held parts go out together")
            return
        }
        #expect(head == Self.post)
        #expect(parts.count == 3)  // two body parts and the end
        #expect(startTimer)  // the request had ended
    }

    @Test func aRefusalBeforeTheEndWaitsForTheEnd() {
        var machine = ForwardingStateMachine()
        _ = machine.requestHeadAwaitingAdmission()
        _ = machine.requestBody(Self.body("x"), byteCount: 1)
        #expect(Self.isNone(machine.admissionRefused()))
        #expect(Self.isNone(machine.requestBody(Self.body("y"), byteCount: 1)))  // read and dropped
        guard case .respondLocally = machine.requestEnd() else {
            Issue.record("answered once the request has ended")
            return
        }
        #expect(machine.isIdle)
    }

    @Test func aRefusalAfterTheEndIsAnsweredAtOnce() {
        var machine = ForwardingStateMachine()
        _ = machine.requestHeadAwaitingAdmission()
        _ = machine.requestEnd()
        guard case .respondLocally = machine.admissionRefused() else {
            Issue.record("answered at once")
            return
        }
        #expect(machine.isIdle)
        #expect(Self.isNone(machine.admitted(Self.post)))  // a late answer changes nothing
    }

    @Test func theHeldBodyIsBoundedAndAGoneClientEndsIt() {
        var machine = ForwardingStateMachine()
        _ = machine.requestHeadAwaitingAdmission()
        #expect(!machine.connectBufferFull)
        _ = machine.requestBody(Self.body("z"), byteCount: ForwardingStateMachine.connectBufferLimit)
        #expect(machine.connectBufferFull)  // the client is no longer read
        #expect(Self.isNone(machine.clientGone()))
        #expect(!machine.isAdmitting)
        #expect(Self.isNone(machine.admitted(Self.post)))
    }
}

