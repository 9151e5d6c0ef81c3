import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig

/// A bound listener: its socket and its current plan, which a reload swaps.
///
/// New connections read the plan when they are accepted; connections already open get the new
/// settings through a ``ProxyCore/ListenerReloadedEvent``.
final class RunningListener: Sendable {
    let name: String
    let configuration: ListenerConfiguration
    let channel: any Channel
    let address: SocketAddress
    private let currentPlan: NIOLockedValueBox<ListenerPlan>
    let ticketRotation: NIOLockedValueBox<RepeatedTask?> = NIOLockedValueBox(nil)

    init(configuration: ListenerConfiguration, plan: NIOLockedValueBox<ListenerPlan>, channel: any Channel, address: SocketAddress) {
        self.name = configuration.name
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

    /// Whether a new configuration of this listener can keep the socket: same address, same
    /// protocol.
    func canKeepSocket(for new: ListenerConfiguration) -> Bool {
        new.bind == self.configuration.bind && new.protocol == self.configuration.protocol
    }
}
