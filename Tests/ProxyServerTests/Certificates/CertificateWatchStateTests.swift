@testable import ProxyServer
import Testing

/// The watch's decisions, poll by poll, without files or clocks.
struct CertificateWatchStateTests {
    static func signature(_ inode: UInt64, size: Int64 = 100) -> FileSignature {
        FileSignature(device: 1, inode: inode, size: size, modifiedSeconds: 0, modifiedNanoseconds: 0, changedSeconds: 0, changedNanoseconds: 0)
    }

    static func files(cert: FileSignature?, key: FileSignature?) -> [String: CertificateWatchState.Observation] {
        ["tls": ["/c.pem": cert, "/k.pem": key]]
    }

    @Test func theFirstObservationIsTheBaselineAndAChangeIsActedOnOnceSettled() {
        var watch = CertificateWatchState(settlePolls: 1, retries: 2)
        let a = Self.signature(1)
        let b = Self.signature(2)
        #expect(watch.poll(Self.files(cert: a, key: a)).isEmpty)
        #expect(watch.poll(Self.files(cert: a, key: a)).isEmpty)
        // Changed: wait one poll for the writer to finish.
        #expect(watch.poll(Self.files(cert: b, key: a)).isEmpty)
        #expect(watch.poll(Self.files(cert: b, key: a)) == ["tls"])
        watch.refreshSucceeded("tls")
        #expect(watch.poll(Self.files(cert: b, key: a)).isEmpty)
    }

    @Test func aFileStillBeingWrittenIsNotReadUntilItStopsChanging() {
        var watch = CertificateWatchState(settlePolls: 2, retries: 0)
        let a = Self.signature(1)
        #expect(watch.poll(Self.files(cert: a, key: a)).isEmpty)
        for size in Int64(1)...5 {
            #expect(watch.poll(Self.files(cert: Self.signature(1, size: size * 10), key: a)).isEmpty)
        }
        let done = Self.signature(1, size: 50)
        #expect(watch.poll(Self.files(cert: done, key: a)).isEmpty)
        #expect(watch.poll(Self.files(cert: done, key: a)) == ["tls"])
    }

    @Test func aFailedRefreshIsRetriedWithGrowingGapsThenGivenUp() {
        var watch = CertificateWatchState(settlePolls: 1, retries: 2)
        let a = Self.signature(1)
        let b = Self.signature(2)
        _ = watch.poll(Self.files(cert: a, key: a))
        _ = watch.poll(Self.files(cert: b, key: a))
        #expect(watch.poll(Self.files(cert: b, key: a)) == ["tls"])
        let retried1 = watch.refreshFailed("tls")
        #expect(retried1)
        #expect(watch.poll(Self.files(cert: b, key: a)) == ["tls"])  // 1 poll later
        let retried2 = watch.refreshFailed("tls")
        #expect(retried2)
        #expect(watch.poll(Self.files(cert: b, key: a)).isEmpty)  // then 2 polls later
        #expect(watch.poll(Self.files(cert: b, key: a)) == ["tls"])
        let retried3 = watch.refreshFailed("tls")
        #expect(!retried3)  // none left: stays broken until the next change
        #expect(watch.poll(Self.files(cert: b, key: a)).isEmpty)
        #expect(watch.poll(Self.files(cert: b, key: a)).isEmpty)
    }

    @Test func aHalfWrittenPairIsRetriedWhenTheKeyArrives() {
        var watch = CertificateWatchState(settlePolls: 1, retries: 1)
        let a = Self.signature(1)
        let newCert = Self.signature(2)
        let newKey = Self.signature(3)
        _ = watch.poll(Self.files(cert: a, key: a))
        _ = watch.poll(Self.files(cert: newCert, key: a))
        #expect(watch.poll(Self.files(cert: newCert, key: a)) == ["tls"])
        let retried4 = watch.refreshFailed("tls")
        #expect(retried4)
        // The key is written before the retry: a new change, settled again, then refreshed.
        #expect(watch.poll(Self.files(cert: newCert, key: newKey)).isEmpty)
        #expect(watch.poll(Self.files(cert: newCert, key: newKey)) == ["tls"])
    }

    @Test func aMissingFileIsAChangeAndAReloadThatChangesTheFilesIsANewBaseline() {
        var watch = CertificateWatchState(settlePolls: 1, retries: 0)
        let a = Self.signature(1)
        _ = watch.poll(Self.files(cert: a, key: a))
        #expect(watch.poll(Self.files(cert: nil, key: a)).isEmpty)
        #expect(watch.poll(Self.files(cert: nil, key: a)) == ["tls"])
        // Other paths (a reload): baseline, no refresh.
        #expect(watch.poll(["tls": ["/other.pem": a, "/k.pem": a]]).isEmpty)
        #expect(watch.poll(["tls": ["/other.pem": a, "/k.pem": a]]).isEmpty)
        // A listener no longer watched is forgotten.
        #expect(watch.poll([:]).isEmpty)
    }
}
