import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig

/// A bound listener: its socket and its current plan, which a reload swaps.
///
/// New connections read the plan when they are accepted; connections already open get the new
/// settings through a ``ProxyCore/ListenerReloadedEvent``.
final class RunningListener: Sendable {
    /// Identifies this bound socket among every listener the server ever ran (a listener
    /// re-bound by a reload is a new socket with the same name).
    final class Socket: Sendable {}

    let name: String
    let socket: Socket
    let configuration: ListenerConfiguration
    let channel: any Channel
    let address: SocketAddress
    private let currentPlan: NIOLockedValueBox<ListenerPlan>
    let ticketRotation: NIOLockedValueBox<RepeatedTask?> = NIOLockedValueBox(nil)

    init(
        configuration: ListenerConfiguration,
        socket: Socket,
        plan: NIOLockedValueBox<ListenerPlan>,
        channel: any Channel,
        address: SocketAddress
    ) {
        self.name = configuration.name
        self.socket = socket
        self.configuration = configuration
        self.currentPlan = plan
        self.channel = channel
        self.address = address
    }

    var plan: ListenerPlan {
        get { self.currentPlan.withLockedValue { $0 } }
    }

    func replacePlan(_ plan: ListenerPlan) {
        self.currentPlan.withLockedValue { $0 = plan }
    }

    var socketID: ObjectIdentifier { ObjectIdentifier(self.socket) }

    /// Whether a new configuration of this listener can keep the socket: same address, same
    /// protocol.
    func canKeepSocket(for new: ListenerConfiguration) -> Bool {
        new.bind == self.configuration.bind && new.protocol == self.configuration.protocol
    }
}
