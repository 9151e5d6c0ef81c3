public import NIOCore

/// Every connection timeout of one event loop in one binary min-heap, behind one NIO task.
///
/// SwiftNIO cancels a scheduled task by scanning all of its loop's scheduled tasks, and each task
/// costs a few allocations; with a task per connection timeout, 10,000 idle keep-alive
/// connections made every open and close of a connection scan 10,000+ entries. Here a
/// ``LazyTimer`` sits in an array-backed heap (O(log n) sifts, no allocation), and the loop's
/// single NIO task is moved only when the earliest deadline moves earlier.
///
/// Timers are lazy, like the kernel's and nginx's: a timer pushed later (the idle timeout after
/// each keep-alive response) or disarmed (the header timeout once a head is in) keeps its place
/// in the heap and only records when it is now wanted. When its old place comes due it is put
/// back at the wanted deadline, or dropped when disarmed. A keep-alive connection thus costs
/// one heap operation per timeout period instead of several per request; ``LazyTimer/cancel()``
/// removes a timer at once, for owners that go away.
///
/// > Important: Event-loop bound: touch it only on ``eventLoop``.
public final class LoopTimers {
    public let eventLoop: any EventLoop
    private var heap: [LazyTimer] = []
    private var task: Scheduled<Void>?
    private var taskDeadline: NIODeadline?
    /// Set while due timers run: timers they arm are scheduled once, after the last one.
    private var firing = false

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Timers in the heap: the armed ones, and disarmed ones whose old deadline has not passed.
    public var count: Int { self.heap.count }

    /// Arms `timer` for `deadline`. A timer already in the heap at or before `deadline` stays
    /// where it is (it is moved when that place comes due); a later or absent one is placed.
    func arm(_ timer: LazyTimer, at deadline: NIODeadline) {
        timer.wanted = deadline
        if timer.heapIndex != nil && timer.deadline <= deadline { return }
        self.set(timer, deadline: deadline)
    }

    /// Places `timer` in the heap at `deadline`, or moves it there.
    private func set(_ timer: LazyTimer, deadline: NIODeadline) {
        timer.deadline = deadline
        if let index = timer.heapIndex {
            self.restore(at: index)
        } else {
            timer.heapIndex = self.heap.count
            self.heap.append(timer)
            self.siftUp(self.heap.count - 1)
        }
        self.scheduleTask()
    }

    /// Takes `timer` out of the heap. The loop's task may then wake early and find nothing due:
    /// harmless.
    func remove(_ timer: LazyTimer) {
        guard let index = timer.heapIndex else { return }
        timer.heapIndex = nil
        let last = self.heap.removeLast()
        if index < self.heap.count {
            self.heap[index] = last
            last.heapIndex = index
            self.restore(at: index)
        }
    }

    private func scheduleTask() {
        guard !self.firing, let first = self.heap.first else { return }
        if let scheduled = self.taskDeadline, scheduled <= first.deadline { return }
        self.task?.cancel()
        self.taskDeadline = first.deadline
        self.task = self.eventLoop.assumeIsolated().scheduleTask(deadline: first.deadline) {
            self.fireDue()
        }
    }

    private func fireDue() {
        self.task = nil
        self.taskDeadline = nil
        let now = self.eventLoop.now
        self.firing = true
        while let first = self.heap.first, first.deadline <= now {
            guard let wanted = first.wanted else {
                self.remove(first)  // disarmed since it was placed
                continue
            }
            if wanted > now {
                self.set(first, deadline: wanted)  // pushed later since it was placed
                continue
            }
            self.remove(first)
            first.wanted = nil
            first.fire()  // may arm this or another timer again
        }
        self.firing = false
        self.scheduleTask()
    }

    // MARK: Heap

    private func restore(at index: Int) {
        if index > 0 && self.heap[index].deadline < self.heap[(index - 1) / 2].deadline {
            self.siftUp(index)
        } else {
            self.siftDown(index)
        }
    }

    private func siftUp(_ start: Int) {
        var index = start
        let timer = self.heap[index]
        while index > 0 {
            let parent = (index - 1) / 2
            guard timer.deadline < self.heap[parent].deadline else { break }
            self.heap[index] = self.heap[parent]
            self.heap[index].heapIndex = index
            index = parent
        }
        self.heap[index] = timer
        timer.heapIndex = index
    }

    private func siftDown(_ start: Int) {
        var index = start
        let timer = self.heap[index]
        let count = self.heap.count
        while true {
            let left = 2 * index + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && self.heap[right].deadline < self.heap[left].deadline ? right : left
            guard self.heap[child].deadline < timer.deadline else { break }
            self.heap[index] = self.heap[child]
            self.heap[index].heapIndex = index
            index = child
        }
        self.heap[index] = timer
        timer.heapIndex = index
    }
}

@available(*, unavailable)
extension LoopTimers: Sendable {}
