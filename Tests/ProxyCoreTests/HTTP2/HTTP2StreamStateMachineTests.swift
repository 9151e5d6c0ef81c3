import NIOHTTP1
import Testing

@testable import ProxyCore

/// What each frame of a stream means for the request, and how a refusal is delivered.
struct HTTP2StreamStateMachineTests {
    @Test func headersWithEndStreamAreTheWholeRequest() {
        var machine = HTTP2StreamStateMachine(maxBodyBytes: 100)
        #expect(machine.headersReceived(endStream: true, declaredLength: nil) == .startRequest(endStream: true))
        #expect(machine.request == .complete)
        #expect(machine.dataReceived(count: 1, endStream: true) == .ignore)
    }

    @Test func dataIsCountedAgainstTheDeclaredLength() {
        var machine = HTTP2StreamStateMachine(maxBodyBytes: nil)
        #expect(machine.headersReceived(endStream: false, declaredLength: 10) == .startRequest(endStream: false))
        #expect(machine.dataReceived(count: 4, endStream: false) == .forwardBody(endStream: false))
        #expect(machine.dataReceived(count: 6, endStream: true) == .forwardBody(endStream: true))
        #expect(machine.request == .complete)
    }

    @Test func moreOrLessDataThanDeclaredIsRefused() {
        var more = HTTP2StreamStateMachine(maxBodyBytes: nil)
        _ = more.headersReceived(endStream: false, declaredLength: 3)
        #expect(more.dataReceived(count: 4, endStream: false) == .refuse(RequestRejection(.badRequest, "body of 4 bytes, Content-Length 3")))
        var less = HTTP2StreamStateMachine(maxBodyBytes: nil)
        _ = less.headersReceived(endStream: false, declaredLength: 3)
        #expect(less.dataReceived(count: 2, endStream: true) == .refuse(RequestRejection(.badRequest, "body of 2 bytes, Content-Length 3")))
        #expect(less.dataReceived(count: 1, endStream: true) == .ignore)  // refused: the rest is dropped
    }

    @Test func aBodyPastTheLimitIs413BeforeTheResponseAndAResetAfter() {
        var early = HTTP2StreamStateMachine(maxBodyBytes: 5)
        _ = early.headersReceived(endStream: false, declaredLength: nil)
        #expect(early.dataReceived(count: 6, endStream: false) == .refuse(RequestRejection(.payloadTooLarge, "body exceeds 5 bytes")))
        var late = HTTP2StreamStateMachine(maxBodyBytes: 5)
        _ = late.headersReceived(endStream: false, declaredLength: nil)
        late.responseStarted()
        #expect(late.dataReceived(count: 6, endStream: false) == .reset(RequestRejection(.payloadTooLarge, "body exceeds 5 bytes")))
    }

    @Test func trailersEndTheRequest() {
        var machine = HTTP2StreamStateMachine(maxBodyBytes: nil)
        _ = machine.headersReceived(endStream: false, declaredLength: nil)
        #expect(machine.dataReceived(count: 3, endStream: false) == .forwardBody(endStream: false))
        #expect(machine.headersReceived(endStream: true, declaredLength: nil) == .endRequest)
        #expect(machine.request == .complete)
    }

    @Test func aResetFollowsTheResponseOnlyWhileTheClientIsStillSending() {
        var ended = HTTP2StreamStateMachine(maxBodyBytes: nil)
        _ = ended.headRefused(RequestRejection(.requestHeaderFieldsTooLarge, "big"), endStream: true)
        #expect(!ended.resetsAfterResponse)
        var sending = HTTP2StreamStateMachine(maxBodyBytes: 5)
        _ = sending.headersReceived(endStream: false, declaredLength: nil)
        _ = sending.dataReceived(count: 6, endStream: false)
        #expect(sending.resetsAfterResponse)
    }

    @Test func theBodyTimeoutRefusesOnlyWhileABodyIsComing() {
        var machine = HTTP2StreamStateMachine(maxBodyBytes: nil)
        #expect(machine.bodyTimedOut() == .ignore)
        _ = machine.headersReceived(endStream: false, declaredLength: nil)
        #expect(machine.bodyTimedOut() == .refuse(RequestRejection(.requestTimeout, "request body timeout")))
    }

    @Test func theDefenceOfEachNIOErrorAndWhetherItClosesTheConnection() {
        #expect(HTTP2Defence.classify(NIOHTTP2ErrorsProbe.rapidReset) == (.rapidReset, true))
        #expect(HTTP2Defence.classify(NIOHTTP2ErrorsProbe.malformed) == (.malformedStream, false))
        #expect(HTTP2Defence.classify(NIOHTTP2ErrorsProbe.other) == (.protocolError, true))
    }
}

import NIOHTTP2

enum NIOHTTP2ErrorsProbe {
    static let rapidReset: any Error = NIOHTTP2Errors.excessiveRSTFrames()
    static let malformed: any Error = NIOHTTP2Errors.forbiddenHeaderField(name: "connection", value: "close")
    static let other: any Error = NIOHTTP2Errors.missingPreface()
}
