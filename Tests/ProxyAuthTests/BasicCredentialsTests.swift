import Foundation
import ProxyAuth
import Testing

struct BasicCredentialsTests {
    @Test func decodesUserAndPassword() {
        #expect(
            BasicCredentials(authorization: "Basic " + base64Standard("bob:s3cr:et"))
                == BasicCredentials(user: "bob", password: "s3cr:et")
        )
        #expect(
            BasicCredentials(authorization: "bAsIc   " + base64Standard("josé:pässwörd") + " ")
                == BasicCredentials(user: "josé", password: "pässwörd")
        )
        #expect(BasicCredentials(authorization: "Basic " + base64Standard("bob:")) == BasicCredentials(user: "bob", password: ""))
        #expect(BasicCredentials(authorization: "Basic " + base64Standard(":pw")) == BasicCredentials(user: "", password: "pw"))
        let substring = "xx Basic \(base64Standard("a:b"))".dropFirst(3)
        #expect(BasicCredentials(authorization: substring) == BasicCredentials(user: "a", password: "b"))
    }

    @Test func refusesMalformedValues() {
        #expect(base64Standard("u:??>") == "dTo/Pz4=")
        let valid = base64Standard("bob:pw1")
        #expect(valid.hasSuffix("=="))
        for value in [
            "Bearer \(valid)", "Basic", "Basic ", "Basic    ", "Basic\(valid)", "Basi \(valid)",
            "Basic " + base64Standard("no-colon"),
            "Basic " + valid.replacingOccurrences(of: "=", with: ""),  // padding stripped
            "Basic " + valid + "=",
            "Basic Ym9i!nB3",
            "Basic " + base64Standard("u:??>").replacingOccurrences(of: "/", with: "_"),  // URL alphabet
            "Basic /zpB",  // FF 3A 41: has a colon, but is not UTF-8
            "Basic Ym9i OnB3",
        ] {
            #expect(BasicCredentials(authorization: value) == nil, "accepted \(value.debugDescription)")
        }
    }
}
