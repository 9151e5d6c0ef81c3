/// The key algorithm of a development certificate.
public enum DevKeyType: Sendable, Hashable {
    /// ECDSA on NIST P-256, the default.
    case ecdsaP256
    /// RSA with the given modulus size. Sizes below 2048 are allowed here (to test that a
    /// listener refuses them), but a ``TLSServerContext`` will not load them.
    case rsa(bits: Int)
}
