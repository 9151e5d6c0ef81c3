/// Which fields of a parsed head the header rewriters must look at by name, as the parser
/// classified them while it read the names (decision 0012).
///
/// The rewriters act on a few names (hop-by-hop fields, `Host`, `Expect`, the forwarding
/// fields, the framing fields); every other field is copied as it is. The parser marks a field *special* when its
/// length and first letter are those of such a name — a superset, never a miss — so a rewriter
/// given hints copies the unmarked fields without comparing their names. A head whose
/// `Connection` names other fields gets no hints: any field could be one of them.
public struct FieldHints: Hashable, Sendable {
    /// Bit `i`: field `i` may be special. Fields from the 64th on always count as special.
    var special: UInt64 = 0
    /// A `Connection: close` came: a field named `Close` is hop-by-hop too (for those who
    /// look at special fields one by one without collecting the `Connection` tokens).
    var removesClose = false

    @inline(__always)
    func isSpecial(_ index: Int) -> Bool {
        index >= 64 || self.special & (1 << UInt64(index)) != 0
    }

    /// Whether a name of `length` bytes starting with `first` may be one the rewriters act on:
    /// `te`, `host`, `close` (a `Connection: close` names it), `expect`, `trailer`, `upgrade`,
    /// `forwarded`, `connection`, `keep-alive`, `x-request-id`, `content-length`, `x-forwarded-for`/`-host`/`-proto`,
    /// `transfer-encoding`, `proxy-*` (any case).
    @inline(__always)
    static func mayBeSpecial(length: Int, first: UInt8) -> Bool {
        switch (length, HeaderName.folded(first)) {
        case (2, UInt8(ascii: "t")), (4, UInt8(ascii: "h")), (5, UInt8(ascii: "c")), (6, UInt8(ascii: "e")), (7, UInt8(ascii: "t")),
            (7, UInt8(ascii: "u")), (9, UInt8(ascii: "f")), (10, UInt8(ascii: "c")), (10, UInt8(ascii: "k")),
            (12, UInt8(ascii: "x")), (14, UInt8(ascii: "c")), (15, UInt8(ascii: "x")), (16, UInt8(ascii: "x")), (17, UInt8(ascii: "x")), (17, UInt8(ascii: "t")):
            return true
        case (6..., UInt8(ascii: "p")):
            return true
        default:
            return false
        }
    }
}
