import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import ProxyServer

/// The pure parts of the fleet: key layout, watch decoding, revision bookkeeping, target plans,
/// drain progress, the local copy's revision marker.
struct FleetProtocolTests {
    @Test func keysAndPrefixRangeEnd() {
        let keys = EtcdKeys(fleet: "edge")
        #expect(keys.config == "/portcullis/edge/config")
        #expect(keys.target(group: "web", target: "10.0.0.1:80") == "/portcullis/edge/targets/web/10.0.0.1:80")
        #expect(keys.instance("a-1") == "/portcullis/edge/instances/a-1")
        #expect(EtcdKeys.rangeEnd(ofPrefix: "/a/") == Array("/a0".utf8))
        #expect(EtcdKeys.rangeEnd(ofPrefix: "a\u{7F}") == [0x61, 0x80])
        #expect(EtcdKeys.isValidName("edge-1.prod_a"))
        #expect(!EtcdKeys.isValidName("a/b"))
        #expect(!EtcdKeys.isValidName(""))
        #expect(!EtcdKeys.isValidName(".."))
    }

    /// The gateway's own bytes (etcd 3.4, recorded with curl), split at arbitrary points.
    @Test func watchDecoderHandlesChunksCreatedEventsAndCancel() throws {
        let stream = """
            {"result":{"header":{"cluster_id":"1","member_id":"2","revision":"2","raft_term":"2"},"created":true}}
            {"result":{"header":{"revision":"2"},"events":[{"kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}]}}
            {"result":{"header":{"revision":"3"},"events":[{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"3"}}]}}
            {"result":{"header":{"revision":"9"},"canceled":true,"compact_revision":"5"}}

            """
        let bytes = Array(stream.utf8)
        for split in [1, 7, 50, 140, bytes.count - 1] {
            var decoder = EtcdWatchDecoder()
            var updates = try decoder.feed(Array(bytes[..<split]))
            updates += try decoder.feed(Array(bytes[split...]))
            #expect(updates.count == 4)
            #expect(updates[0] == .created(revision: 2))
            #expect(updates[1] == .events([EtcdEvent(kind: .put, keyValue: EtcdKeyValue(key: "foo", value: Array("bar".utf8), modRevision: 2, createRevision: 2))], revision: 2))
            #expect(updates[2] == .events([EtcdEvent(kind: .delete, keyValue: EtcdKeyValue(key: "foo", value: [], modRevision: 3))], revision: 3))
            guard case .cancelled(let reason) = updates[3] else {
                Issue.record("expected a cancellation, got \(updates[3])")
                continue
            }
            #expect(reason.contains("compacted up to revision 5"))
        }
        var decoder = EtcdWatchDecoder()
        #expect(throws: EtcdError.self) { try decoder.feed(Array("{not json}\n".utf8)) }
    }

    @Test func configStateAppliesEachRevisionOnceAndSkipsARefusedOne() {
        var state = FleetConfigState(appliedRevision: 4)
        let old = EtcdKeyValue(key: "k", value: Array("a".utf8), modRevision: 4)
        let new = EtcdKeyValue(key: "k", value: Array("b".utf8), modRevision: 7)
        #expect(state.decide(old) == .skip)
        #expect(state.decide(nil) == .skip)
        #expect(state.decide(new) == .apply("b", revision: 7))
        state.failed(7, error: "bad")
        #expect(state.decide(new) == .skip)
        #expect(state.appliedRevision == 4)
        #expect(state.error == "bad")
        let fixed = EtcdKeyValue(key: "k", value: Array("c".utf8), modRevision: 9)
        #expect(state.decide(fixed) == .apply("c", revision: 9))
        state.applied(9)
        #expect(state.error == nil && state.failedRevision == nil && state.appliedRevision == 9)
    }

    @Test func localCopyMarkerKeepsLinesAndNamesTheRevision() {
        let text = FleetLocalCopy.render(yaml: "global:\n  event_loops: 1", revision: 42)
        #expect(text == "global:\n  event_loops: 1\n# portcullis fleet revision 42\n")
        #expect(FleetLocalCopy.revision(in: text) == 42)
        #expect(FleetLocalCopy.revision(in: "global: {}\n") == nil)
        #expect(FleetLocalCopy.revision(in: FleetLocalCopy.render(yaml: text, revision: 43)) == 43)
    }

    @Test func operationsMergeIntoTheRecord() {
        var record = FleetTargetOperation.weight(5).applied(to: nil, target: "h:1")
        record = FleetTargetOperation.drain.applied(to: record, target: "h:1")
        #expect(record.state == .drained && record.weight == 5)
        record = FleetTargetOperation.attach(immediately: true).applied(to: record, target: "h:1")
        #expect(record.state == .active && record.attachNow == true && record.weight == 5)
        record = FleetTargetOperation.deregister.applied(to: record, target: "h:1")
        #expect(record.removed == true && record.state == nil)
        record = FleetTargetOperation.register(name: "n", weight: 2, maxConnections: nil).applied(to: record, target: "h:1")
        #expect(record.removed == nil && record.registered == true && record.weight == 2 && record.name == "n")
    }

    @Test func planBringsAnInstanceInLineAndIsIdempotent() {
        let serving = FleetTargetAction.Current(weight: 1, draining: false, serving: true)
        let draining = FleetTargetAction.Current(weight: 1, draining: true, serving: false)
        var record = FleetTargetRecord(target: "h:1")
        record.state = .drained
        #expect(FleetTargetAction.plan(record, current: serving) == [.drain])
        #expect(FleetTargetAction.plan(record, current: draining) == [])
        // Not in this instance's configuration, not registered: left alone.
        #expect(FleetTargetAction.plan(record, current: nil) == [])
        record.state = .active
        record.attachNow = true
        #expect(FleetTargetAction.plan(record, current: draining) == [.attach(immediately: true)])
        #expect(FleetTargetAction.plan(record, current: serving) == [])
        record.weight = 3
        #expect(FleetTargetAction.plan(record, current: serving) == [.setWeight(3)])
        record.removed = true
        #expect(FleetTargetAction.plan(record, current: serving) == [.deregister])
        #expect(FleetTargetAction.plan(record, current: nil) == [])
        var registered = FleetTargetOperation.register(name: nil, weight: 4, maxConnections: 10).applied(to: nil, target: "h:2")
        #expect(FleetTargetAction.plan(registered, current: nil) == [.register(name: nil, weight: 4, maxConnections: 10)])
        #expect(FleetTargetAction.plan(registered, current: FleetTargetAction.Current(weight: 4, draining: false, serving: false)) == [])
        registered.state = .drained
        #expect(FleetTargetAction.plan(registered, current: nil) == [.register(name: nil, weight: 4, maxConnections: 10), .drain])
    }

    @Test func drainProgressWaitsForEveryInstance() {
        func view(_ id: String, revision: Int64, state: String, inFlight: Int) -> FleetInstanceView {
            FleetInstanceView(
                id: id, listeners: [], admin: nil, pid: 1, ready: true, configRevision: 1, configSource: "etcd",
                configErrorRevision: nil, configError: nil, targetsRevision: revision,
                targetGroups: [.init(name: "web", targets: [.init(id: "h:1", state: state, health: "healthy", serving: false, inFlight: inFlight, weight: 1)])]
            )
        }
        let views = [view("a", revision: 10, state: "draining", inFlight: 0), view("b", revision: 9, state: "healthy", inFlight: 0), view("c", revision: 12, state: "draining", inFlight: 3)]
        func evaluate(_ views: [FleetInstanceView], expected: Set<String> = [], target: String = "h:1") -> FleetDrainProgress {
            FleetDrainProgress.evaluate(
                Dictionary(uniqueKeysWithValues: views.map { ($0.id, Optional($0)) }), expected: expected, group: "web", target: target, revision: 10
            )
        }
        #expect(evaluate(views) == .waiting(["b": FleetDrainProgress.notApplied, "c": 3]))
        #expect(evaluate([views[0]]) == .drained(instances: 1))
        // An instance without the target sends it nothing.
        #expect(evaluate([views[2]], target: "h:9") == .drained(instances: 1))
    }

    @Test func drainProgressWithNoLiveInstanceIsNotDrained() {
        let progress = FleetDrainProgress.evaluate([:], expected: [], group: "web", target: "h:1", revision: 10)
        #expect(progress == .waiting([:]))
        #expect(FleetDrainProgress.describe([:]).contains("no live instance has published a view"))
    }

    @Test func drainProgressCountsAnUnreadableViewAsPending() {
        let done = FleetInstanceView(
            id: "a", listeners: [], admin: nil, pid: 1, ready: true, configRevision: 1, configSource: "etcd",
            configErrorRevision: nil, configError: nil, targetsRevision: 10,
            targetGroups: [.init(name: "web", targets: [.init(id: "h:1", state: "draining", health: "healthy", serving: false, inFlight: 0, weight: 1)])]
        )
        // A key whose value does not decode: present, with no view.
        let views: [String: FleetInstanceView?] = ["a": done, "b": nil]
        #expect(views.count == 2)
        let progress = FleetDrainProgress.evaluate(views, expected: ["a", "b"], group: "web", target: "h:1", revision: 10)
        #expect(progress == .waiting(["b": FleetDrainProgress.unreadable]))
        #expect(FleetDrainProgress.describe(["b": FleetDrainProgress.unreadable]) == "b: view unreadable")
    }

    @Test func drainProgressReportsAnInstanceThatWentAway() {
        let done = FleetInstanceView(
            id: "a", listeners: [], admin: nil, pid: 1, ready: true, configRevision: 1, configSource: "etcd",
            configErrorRevision: nil, configError: nil, targetsRevision: 10,
            targetGroups: [.init(name: "web", targets: [.init(id: "h:1", state: "draining", health: "healthy", serving: false, inFlight: 0, weight: 1)])]
        )
        let progress = FleetDrainProgress.evaluate(["a": done], expected: ["a", "gone-1"], group: "web", target: "h:1", revision: 10)
        #expect(progress == .waiting(["gone-1": FleetDrainProgress.gone]))
        #expect(FleetDrainProgress.describe(["gone-1": FleetDrainProgress.gone, "x": 2]) == "gone-1: gone during the wait (stopped, or lost etcd), x: 2 in flight")
        // Everything gone: still not drained, and says which.
        #expect(FleetDrainProgress.evaluate([:], expected: ["a"], group: "web", target: "h:1", revision: 10) == .waiting(["a": FleetDrainProgress.gone]))
    }

    @Test func anUnchangedViewIsNotWrittenAgain() {
        let state = NIOLockedValueBox(FleetMember.State(config: FleetConfigState(appliedRevision: 0), configSource: "etcd"))
        state.withLockedValue { $0.lease = 7 }
        #expect(FleetMember.needsPublishing([1, 2], lease: 7, state: state))
        #expect(!FleetMember.needsPublishing([1, 2], lease: 7, state: state))
        #expect(FleetMember.needsPublishing([1, 3], lease: 7, state: state))
        // A view computed under an older lease is not written under the new one.
        state.withLockedValue {
            $0.lease = 8
            $0.published = nil
        }
        #expect(!FleetMember.needsPublishing([1, 3], lease: 7, state: state))
        #expect(FleetMember.needsPublishing([1, 3], lease: 8, state: state))
    }

    @Test func viewJSONUsesSnakeCase() throws {
        let view = FleetInstanceView(
            id: "a", listeners: ["127.0.0.1:1"], admin: "127.0.0.1:2", pid: 3, ready: true, configRevision: 4, configSource: "etcd",
            configErrorRevision: 5, configError: "x", targetsRevision: 6, targetGroups: []
        )
        let text = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
        #expect(text.contains("\"config_revision\":4") && text.contains("\"config_error_revision\":5") && text.contains("\"targets_revision\":6"))
        #expect(try JSONDecoder().decode(FleetInstanceView.self, from: Data(text.utf8)) == view)
    }
}
