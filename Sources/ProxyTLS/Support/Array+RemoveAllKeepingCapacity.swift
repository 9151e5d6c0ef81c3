extension Array {
    /// Empties the array in place and keeps its storage, for scratch arrays refilled on every
    /// request or write (a few elements each time).
    ///
    /// One `removeLast` at a time: `removeAll(keepingCapacity: true)` goes through the generic
    /// `replaceSubrange` (~540 instructions for one element). The same helper is in ProxyCore
    /// (neither module may depend on the other).
    @inline(__always)
    mutating func removeAllKeepingCapacity() {
        while !self.isEmpty {
            self.removeLast()
        }
    }
}
