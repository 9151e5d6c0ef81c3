import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A command line run as `/bin/sh -c <command>` in a child process.
///
/// The child is started with `posix_spawn` (not Foundation's `Process`, which learns of the
/// child's exit through a libdispatch source that stalls when the cooperative pool is busy). It
/// gets `/dev/null` as standard input, shares the proxy's standard output and error (so its
/// output lands in the proxy's log), inherits no other file descriptor (so a long-running hook
/// never holds a listening socket open), and starts with default signal handling and an empty
/// signal mask, whatever the proxy set up for itself.
///
/// ``run()`` reaps the child by polling `waitpid(WNOHANG)` between event-loop timers, so no
/// thread blocks for as long as the command runs.
struct ShellCommand: Sendable {
    /// How the child ended.
    enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// Why the child could not be started or waited for.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var command: String
    /// Added to the proxy's own environment, replacing variables of the same name.
    var environment: [(String, String)]

    init(_ command: String, environment: [(String, String)] = []) {
        self.command = command
        self.environment = environment
    }

    /// Starts the child and waits for it to end, without blocking a thread.
    ///
    /// Cancelling the calling task does not stop the child, nor the wait: a child must be reaped.
    func run() async throws(Failure) -> Termination {
        let pid = try self.spawn()
        return try await Self.waitForExit(of: pid)
    }

    /// Starts `/bin/sh -c command`.
    ///
    /// - Returns: The child's process id.
    func spawn() throws(Failure) -> pid_t {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var flags = CInt(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        #if canImport(Darwin)
        // Close everything but the three standard descriptors in the child.
        flags |= CInt(POSIX_SPAWN_CLOEXEC_DEFAULT)
        posix_spawn_file_actions_addinherit_np(&actions, 1)
        posix_spawn_file_actions_addinherit_np(&actions, 2)
        #else
        // NIO's sockets are not close-on-exec; without this a hook would inherit the listeners.
        Self.closeInheritedDescriptors(in: &actions)
        #endif
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        sigdelset(&defaultSignals, SIGKILL)
        sigdelset(&defaultSignals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(truncatingIfNeeded: flags))

        let arguments: [String] = ["/bin/sh", "-c", self.command]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?] = self.mergedEnvironment().map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw Failure(description: "cannot start /bin/sh: \(String(cString: strerror(result)))")
        }
        return pid
    }

    #if !canImport(Darwin)
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), looked up at run time:
    /// the Glibc module Swift imports does not declare GNU extensions.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, CInt) -> CInt

    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Adds actions that close every descriptor above standard error in the child: one
    /// `closefrom` where glibc has it, otherwise one `close` per descriptor listed in `/proc/self/fd`.
    private static func closeInheritedDescriptors(in actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom = Self.addCloseFrom, addCloseFrom(&actions, 3) == 0 {
            return
        }
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let own = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let descriptor = CInt(name), descriptor > 2, descriptor != own {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
    }
    #endif

    /// The proxy's environment as `NAME=value` entries, with ``environment`` replacing or adding
    /// variables.
    func mergedEnvironment() -> [String] {
        let added = Set(self.environment.map(\.0))
        var entries: [String] = []
        #if canImport(Darwin)
        var cursor = _NSGetEnviron().pointee
        #else
        var cursor: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        #endif
        while let entry = cursor?.pointee {
            let text = String(cString: entry)
            let name = text.prefix(while: { $0 != "=" })
            if !added.contains(String(name)) {
                entries.append(text)
            }
            cursor = cursor?.advanced(by: 1)
        }
        return entries + self.environment.map { "\($0.0)=\($0.1)" }
    }

    /// Waits for the child `pid` to end and reaps it.
    ///
    /// Polls `waitpid(WNOHANG)`, sleeping on an event-loop timer in between (5 ms at first, then
    /// doubling up to 250 ms). The timer is not tied to task cancellation, so a cancelled caller
    /// still reaps its child instead of spinning.
    static func waitForExit(of pid: pid_t) async throws(Failure) -> Termination {
        var delay = TimeAmount.milliseconds(5)
        while true {
            var status: CInt = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                return Self.termination(fromWaitStatus: status)
            }
            if result < 0 {
                let code = errno
                if code == EINTR { continue }
                throw Failure(description: "cannot wait for process \(pid): \(String(cString: strerror(code)))")
            }
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            try? await loop.scheduleTask(in: delay) {}.futureResult.get()
            delay = min(delay * 2, .milliseconds(250))
        }
    }

    /// Decodes a `waitpid` status (`WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` are C macros Swift cannot import).
    static func termination(fromWaitStatus status: CInt) -> Termination {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}
