import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig

/// A bound listener: its socket (one per event loop with `reuse_port`) and its current plan,
/// which a reload swaps.
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
    /// The listening sockets: one, or one per event loop with `reuse_port`, all on ``address``.
    let channels: [any Channel]
    let address: SocketAddress
    private let currentPlan: NIOLockedValueBox<ListenerPlan>
    let ticketRotation: NIOLockedValueBox<RepeatedTask?> = NIOLockedValueBox(nil)

    init(
        configuration: ListenerConfiguration,
        socket: Socket,
        plan: NIOLockedValueBox<ListenerPlan>,
        channels: [any Channel],
        address: SocketAddress
    ) {
        self.name = configuration.name
        self.socket = socket
        self.configuration = configuration
        self.currentPlan = plan
        self.channels = channels
        self.address = address
    }

    /// Stops accepting: closes every listening socket. Accepted connections go on.
    func close() async {
        for channel in self.channels {
            try? await channel.close()
        }
    }

    var plan: ListenerPlan {
        get { self.currentPlan.withLockedValue { $0 } }
    }

    func replacePlan(_ plan: ListenerPlan) {
        self.currentPlan.withLockedValue { $0 = plan }
    }

    /// Changes the current plan in one step (a certificate refresh swaps only its TLS context).
    func updatePlan(_ body: (inout ListenerPlan) -> Void) {
        self.currentPlan.withLockedValue { body(&$0) }
    }

    var socketID: ObjectIdentifier { ObjectIdentifier(self.socket) }

    /// Whether a new configuration of this listener can keep the socket: same address, same
    /// protocol, same `reuse_port`.
    func canKeepSocket(for new: ListenerConfiguration) -> Bool {
        new.bind == self.configuration.bind && new.protocol == self.configuration.protocol
            && new.reusePort == self.configuration.reusePort
    }
}
