import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM and SIGINT as something to await. From the moment this is created both signals lose their
/// default action (ending the process at once): the first one starts the graceful shutdown, later
/// ones do nothing.
struct TerminationSignals {
    private let sources: [any DispatchSourceSignal]
    private let received: AsyncStream<String>

    init() {
        let (received, continuation) = AsyncStream.makeStream(of: String.self)
        self.received = received
        self.sources = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            return source
        }
    }

    /// Suspends until the first signal and returns its name.
    func first() async -> String {
        for await name in received {
            return name
        }
        return "end of signal stream"
    }
}
