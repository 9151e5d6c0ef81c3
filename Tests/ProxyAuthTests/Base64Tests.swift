@testable import ProxyAuth
import Testing

struct Base64Tests {
    private func url(_ text: String) -> String? {
        Base64.decodeURL(text.utf8).map { String(decoding: $0, as: UTF8.self) }
    }

    private func standard(_ text: String) -> String? {
        Base64.decodeStandard(text.utf8).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func decodesUnpaddedBase64URL() {
        #expect(self.url("") == "")
        #expect(self.url("Zg") == "f")
        #expect(self.url("Zm8") == "fo")
        #expect(self.url("Zm9v") == "foo")
        #expect(self.url("Zm9vYmFy") == "foobar")
        #expect(Base64.decodeURL("-_-_".utf8) == [0xFB, 0xFF, 0xBF])
    }

    @Test func refusesWhatNoBase64URLEncoderWrites() {
        #expect(self.url("Zg==") == nil)  // padding
        #expect(self.url("Zm9vY") == nil)  // a length no encoding has
        #expect(self.url("Zh") == nil)  // non-zero leftover bits: a second spelling of "f"
        #expect(self.url("Zm9=") == nil)
        #expect(self.url("+/+/") == nil)  // the standard alphabet
        #expect(self.url("Zm 9v") == nil)
        #expect(self.url("Zm9v\n") == nil)
    }

    @Test func decodesPaddedStandardBase64() {
        #expect(self.standard("") == "")
        #expect(self.standard("Zg==") == "f")
        #expect(self.standard("Zm8=") == "fo")
        #expect(self.standard("Zm9vYg==") == "foob")
        #expect(self.standard("Zm9vYmE=") == "fooba")
        #expect(self.standard("Zm9vYmFy") == "foobar")
        #expect(Base64.decodeStandard("+/+/".utf8) == [0xFB, 0xFF, 0xBF])
    }

    @Test func refusesMalformedStandardBase64() {
        #expect(self.standard("Zg") == nil)  // padding missing
        #expect(self.standard("Zg=") == nil)
        #expect(self.standard("Zg===") == nil)
        #expect(self.standard("====") == nil)
        #expect(self.standard("Z===") == nil)
        #expect(self.standard("Zm9=Zm9v") == nil)  // padding in the middle
        #expect(self.standard("Zh==") == nil)  // non-zero leftover bits
        #expect(self.standard("Zm9=") == nil)  // 'Zm9' + one '=' leaves bits set
        #expect(self.standard("-_-_") == nil)  // the URL alphabet
        #expect(self.standard("Zm9v YmFy") == nil)
    }
}
