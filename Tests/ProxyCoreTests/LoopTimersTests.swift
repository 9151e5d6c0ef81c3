import NIOCore
import NIOEmbedded
import Testing

@testable import ProxyCore

/// The shared timer heap behind every connection timeout of a loop.
struct LoopTimersTests {
    final class Fired { var order: [Int] = [] }

    @Test func timersFireInDeadlineOrderAtTheirDeadline() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        let fired = Fired()
        let delays = [50, 10, 30, 20, 40, 10]
        let all = delays.enumerated().map { index, _ in LazyTimer(timers: timers) { fired.order.append(index) } }
        for (timer, delay) in zip(all, delays) { timer.arm(in: .milliseconds(Int64(delay))) }
        #expect(timers.count == 6)
        loop.advanceTime(by: .milliseconds(9))
        #expect(fired.order.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(Set(fired.order) == [1, 5])
        loop.advanceTime(by: .milliseconds(40))
        #expect(fired.order.dropFirst(2) == [3, 2, 4, 0])
        #expect(timers.count == 0)
        #expect(all.allSatisfy { !$0.isArmed })
    }

    @Test func movingAndDisarmingKeepTheRestInOrder() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        let fired = Fired()
        let all = (0..<100).map { index in LazyTimer(timers: timers) { fired.order.append(index) } }
        for (index, timer) in all.enumerated() { timer.arm(in: .milliseconds(Int64(1000 + index))) }
        // Move every even timer earlier (reverse order), disarm every multiple of 3.
        for index in stride(from: 0, to: 100, by: 2) { all[index].arm(in: .milliseconds(Int64(500 - index))) }
        for index in stride(from: 0, to: 100, by: 3) { all[index].disarm() }
        loop.advanceTime(by: .seconds(2))
        let evensDescending = stride(from: 98, through: 0, by: -2).filter { $0 % 3 != 0 }
        let oddsAscending = stride(from: 1, to: 100, by: 2).filter { $0 % 3 != 0 }
        #expect(fired.order == evensDescending + oddsAscending)
        #expect(timers.count == 0)
    }

    @Test func aTimerMovedLaterWaitsAndOneArmedFromItsCallbackFiresAgain() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        var count = 0
        var timer: LazyTimer?
        timer = LazyTimer(timers: timers) {
            count += 1
            if count == 1 { timer?.arm(in: .seconds(1)) }
        }
        timer?.arm(in: .seconds(1))
        loop.advanceTime(by: .milliseconds(500))
        timer?.arm(in: .seconds(1))  // keep-alive traffic pushes the idle timeout back
        loop.advanceTime(by: .milliseconds(600))
        #expect(count == 0)
        loop.advanceTime(by: .milliseconds(400))
        #expect(count == 1)
        loop.advanceTime(by: .seconds(1))
        #expect(count == 2)
        timer?.disarm()
        loop.advanceTime(by: .seconds(5))
        #expect(count == 2)
        #expect(timers.count == 0)
    }

    @Test func disarmedTimersFireNothingAndLeaveTheHeapWhenTheirOldPlaceComesDue() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        let fired = Fired()
        let all = (0..<1000).map { index in LazyTimer(timers: timers) { fired.order.append(index) } }
        for timer in all { timer.arm(in: .seconds(60)) }
        for timer in all { timer.disarm() }
        #expect(all.allSatisfy { !$0.isArmed })
        #expect(timers.count == 1000)  // lazily: no heap operation per disarm
        loop.advanceTime(by: .seconds(120))
        #expect(fired.order.isEmpty)
        #expect(timers.count == 0)
    }

    @Test func cancelledTimersLeaveTheHeapAtOnce() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        let fired = Fired()
        let all = (0..<100).map { index in LazyTimer(timers: timers) { fired.order.append(index) } }
        for timer in all { timer.arm(in: .seconds(60)) }
        for timer in all where timer !== all[7] { timer.cancel() }
        #expect(timers.count == 1)
        loop.advanceTime(by: .seconds(60))
        #expect(fired.order == [7])
        #expect(timers.count == 0)
    }

    /// The keep-alive pattern: header timeout armed and disarmed, idle timeout pushed later, on
    /// every request. The timer keeps its first place and fires exactly when last wanted.
    @Test func aTimerPushedLaterOnEveryRequestStaysPutAndFiresWhenLastWanted() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        var fires: [NIODeadline] = []
        let timer = LazyTimer(timers: timers) { fires.append(loop.now) }
        let start = loop.now
        timer.arm(in: .seconds(10))
        let place = timer.deadline
        for _ in 0..<50 {
            loop.advanceTime(by: .milliseconds(100))
            timer.disarm()  // a head arrived
            timer.arm(in: .seconds(30))  // its response was written: idle from now
            #expect(timer.deadline == place)  // no heap operation
        }
        // 5 s in; the old place comes due at 10 s and the timer moves to its wanted deadline, 35 s.
        loop.advanceTime(by: .seconds(10))
        #expect(fires.isEmpty)
        #expect(timer.isArmed && timers.count == 1)
        loop.advanceTime(by: .milliseconds(19_999))
        #expect(fires.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(fires == [start + .seconds(35)])
        #expect(!timer.isArmed && timers.count == 0)
    }

    /// Armed earlier than its place, a timer moves at once.
    @Test func aTimerArmedEarlierThanItsPlaceMovesAtOnce() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        var count = 0
        let timer = LazyTimer(timers: timers) { count += 1 }
        timer.arm(in: .seconds(300))
        timer.disarm()
        timer.arm(in: .seconds(5))
        loop.advanceTime(by: .seconds(5))
        #expect(count == 1)
        loop.advanceTime(by: .seconds(300))
        #expect(count == 1)
        #expect(timers.count == 0)
    }
}
