import Testing

@testable import ProxyTLS

struct TLSConnectionStateMachineTests {
    @Test func happyPath() {
        var machine = TLSConnectionStateMachine()
        #expect(machine.acceptsWrites)
        #expect(machine.channelActive() == .startHandshake)
        #expect(machine.channelActive() == .none)
        #expect(machine.handshakeCompleted() == .completeHandshake)
        #expect(machine.decryptsInbound)
        #expect(machine.closeRequested() == .sendCloseNotifyThenClose)
        #expect(!machine.acceptsWrites)
        #expect(machine.decryptsInbound)  // still reads the peer's close_notify
        #expect(machine.peerClosed() == .closeChannel)
        #expect(machine.closeRequested() == .joinClose)
        #expect(machine.channelInactive() == .cleanUp)
        #expect(machine.state == .closed)
    }

    @Test func peerClosesFirst() {
        var machine = TLSConnectionStateMachine()
        _ = machine.channelActive()
        _ = machine.handshakeCompleted()
        #expect(machine.peerClosed() == .sendCloseNotifyThenClose)
        #expect(machine.state == .closing)
    }

    @Test func timeoutOnlyCountsDuringTheHandshake() {
        var machine = TLSConnectionStateMachine()
        #expect(machine.handshakeTimedOut() == .none)
        _ = machine.channelActive()
        #expect(machine.handshakeTimedOut() == .abort)
        #expect(machine.state == .aborting)
        #expect(machine.failed() == .none)
        #expect(machine.handshakeCompleted() == .none)
    }

    @Test func closeDuringHandshakeSkipsCloseNotify() {
        var machine = TLSConnectionStateMachine()
        _ = machine.channelActive()
        #expect(machine.closeRequested() == .closeChannel)
        #expect(!machine.decryptsInbound)
    }
}
