/// A rolling deployment of one target group (through an admin API or a fleet's etcd: see
/// ``DeployTargets``), the loop every operator
/// otherwise scripts by hand: for each target (at most `maxUnavailable` at a time) drain it and
/// wait for its requests in flight, run the deploy step (deploy and restart), wait until it
/// passes fresh health checks and an optional sanity request, attach it, go on.
///
/// It stops at the first target that fails: that target stays out of rotation (drained) so a
/// broken version takes no traffic, and the targets not reached yet are left untouched and
/// attached.
public struct RollingDeploy: Sendable {
    public struct Options: Sendable {
        public var group: String
        /// Targets out of rotation at the same time.
        public var maxUnavailable: Int = 1
        /// A path requested straight from the target before it is attached.
        public var checkPath: String?
        public var expectStatus: ClosedRange<Int> = 200...399
        /// How long to wait for requests in flight to finish.
        public var drainTimeout: Duration = .seconds(300)
        /// How long a restarted target may take to pass its health checks.
        public var healthTimeout: Duration = .seconds(120)

        public init(group: String) {
            self.group = group
        }
    }

    /// What the deploy step is given.
    public struct Step: Sendable {
        /// `host:port`.
        public var target: String
        public var host: String
        public var port: Int
    }

    public let targets: any DeployTargets
    public let options: Options
    /// Deploys and restarts one target; throws (or the command exits non-zero) on failure.
    public let deploy: @Sendable (Step) async throws -> Void
    /// One line of progress for people.
    public let progress: @Sendable (String) -> Void

    public init(
        targets: any DeployTargets,
        options: Options,
        deploy: @escaping @Sendable (Step) async throws -> Void,
        progress: @escaping @Sendable (String) -> Void
    ) {
        self.targets = targets
        self.options = options
        self.deploy = deploy
        self.progress = progress
    }

    /// Through one instance's admin API.
    public init(
        admin: AdminClient,
        options: Options,
        deploy: @escaping @Sendable (Step) async throws -> Void,
        progress: @escaping @Sendable (String) -> Void
    ) {
        self.init(targets: AdminDeployTargets(admin: admin), options: options, deploy: deploy, progress: progress)
    }

    /// Runs the deployment. Returns the targets deployed, in order.
    ///
    /// - Throws: ``RollingDeployError`` naming the target that failed and why.
    @discardableResult
    public func run() async throws -> [String] {
        let targets = try await self.targets.list(group: self.options.group)
        guard !targets.isEmpty else {
            throw RollingDeployError(target: nil, message: "target group \(self.options.group) has no targets")
        }
        guard self.options.maxUnavailable >= 1 else {
            throw RollingDeployError(target: nil, message: "--max-unavailable must be at least 1")
        }
        if targets.count > 1 && self.options.maxUnavailable >= targets.count {
            throw RollingDeployError(
                target: nil,
                message: "--max-unavailable \(self.options.maxUnavailable) would take all \(targets.count) targets of \(self.options.group) out at once"
            )
        }
        let serving = targets.filter(\.serving).count
        if serving - min(self.options.maxUnavailable, serving) < 1 && targets.count > 1 {
            self.progress("warning: only \(serving) of \(targets.count) targets are serving; requests may fail during the deploy")
        }
        self.progress("deploying \(targets.count) target(s) of \(self.options.group), \(self.options.maxUnavailable) at a time")
        var done: [String] = []
        var index = 0
        while index < targets.count {
            let batch = Array(targets[index..<min(index + self.options.maxUnavailable, targets.count)])
            // Every target of the batch finishes its own steps (a failure elsewhere does not
            // cancel them half-way, which would leave them drained); then a failure stops the deploy.
            let outcomes = await withTaskGroup(of: Result<String, any Error>.self) { tasks in
                for target in batch {
                    tasks.addTask {
                        do { return .success(try await self.roll(target)) } catch { return .failure(error) }
                    }
                }
                var outcomes: [Result<String, any Error>] = []
                for await outcome in tasks { outcomes.append(outcome) }
                return outcomes
            }
            for outcome in outcomes {
                if case .success(let id) = outcome { done.append(id) }
            }
            if let failure = outcomes.lazy.compactMap({ outcome -> (any Error)? in
                if case .failure(let error) = outcome { return error }
                return nil
            }).first {
                throw failure
            }
            index += batch.count
            self.progress("\(done.count)/\(targets.count) done")
        }
        return done
    }

    private func roll(_ target: DeployTarget) async throws -> String {
        let id = target.id
        let group = self.options.group
        func fail(_ message: String) -> RollingDeployError {
            RollingDeployError(target: id, message: message)
        }

        self.progress("\(id): draining")
        let drained = try await self.targets.drain(group: group, target: id, timeout: self.options.drainTimeout)
        guard drained.drained else {
            // Not restarted: it still runs the old version, so it may serve again once its
            // health checks pass.
            try? await self.targets.attach(group: group, target: id, immediately: false)
            throw fail("\(drained.inFlight) request(s) still in flight after \(Self.seconds(self.options.drainTimeout))s; re-attached it, not deployed")
        }
        self.progress("\(id): drained in \(AdminClient.seconds(drained.waitedSeconds)); deploying")

        do {
            try await self.deploy(Step(target: id, host: target.host, port: target.port))
        } catch {
            throw fail("deploy step failed: \(error); left drained")
        }

        self.progress("\(id): deployed; waiting for health checks")
        try await self.targets.recheck(group: group, target: id)
        let deadline = ContinuousClock.now + self.options.healthTimeout
        var last = "unknown"
        while true {
            guard let current = try await self.targets.health(group: group, target: id) else {
                throw fail("it was deregistered during the deploy")
            }
            last = current.detail
            if current.healthy { break }
            if ContinuousClock.now >= deadline {
                throw fail("not healthy after \(Self.seconds(self.options.healthTimeout))s (last probe: \(last)); left drained")
            }
            try await Task.sleep(for: .milliseconds(200))
        }

        if let path = self.options.checkPath {
            let client = PlainHTTPClient(host: target.host, port: target.port, timeout: .seconds(5))
            do {
                let response = try await client.request("GET", path)
                guard self.options.expectStatus.contains(response.status) else {
                    throw fail("check GET \(path) answered \(response.status), expected \(self.options.expectStatus.lowerBound)-\(self.options.expectStatus.upperBound); left drained")
                }
            } catch let error as RollingDeployError {
                throw error
            } catch {
                throw fail("check GET \(path) failed: \(error); left drained")
            }
            self.progress("\(id): healthy, GET \(path) passed; attaching")
        } else {
            self.progress("\(id): healthy; attaching")
        }
        try await self.targets.attach(group: group, target: id, immediately: true)
        self.progress("\(id): attached")
        return id
    }

    static func seconds(_ duration: Duration) -> Int64 {
        duration.components.seconds
    }
}

/// A rolling deploy stopped.
public struct RollingDeployError: Error, CustomStringConvertible {
    /// The target that failed, or `nil` when the deploy could not start.
    public var target: String?
    public var message: String

    public var description: String {
        self.target.map { "\($0): \(self.message)" } ?? self.message
    }
}
