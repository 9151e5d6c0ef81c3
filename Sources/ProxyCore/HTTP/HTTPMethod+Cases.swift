import NIOHTTP1

extension HTTPMethod {
    /// `HTTPMethod`'s `==` compares raw-value strings (~50 instructions); these match the case.
    var isHEAD: Bool {
        if case .HEAD = self { true } else { false }
    }

    var isCONNECT: Bool {
        if case .CONNECT = self { true } else { false }
    }

    var isTRACE: Bool {
        if case .TRACE = self { true } else { false }
    }
}
