extension BindAddress {
    /// Parses the address of a target, `host:port`, `[ipv6]:port` or `:port` (127.0.0.1), with
    /// the rules of the configuration file (no wildcard, port 1...65535, a valid host name or IP
    /// address), for addresses that arrive at run time (the admin API, the CLI).
    ///
    /// - Returns: The address, or a message saying what is wrong.
    public static func parseTarget(_ text: String) -> Result<BindAddress, AddressError> {
        AddressSyntax.parseTarget(text).mapError { AddressError(message: $0.message) }
    }

    /// Why a `host:port` could not be used.
    public struct AddressError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }
}
