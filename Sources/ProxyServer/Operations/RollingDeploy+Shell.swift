extension RollingDeploy {
    /// A deploy step that runs `/bin/sh -c command` with `{target}` replaced by the target's
    /// `host:port` (and `{host}`, `{port}`), with `PORTCULLIS_TARGET`, `PORTCULLIS_TARGET_HOST`
    /// and `PORTCULLIS_TARGET_PORT` in its environment. A non-zero exit fails the step.
    public static func shellStep(_ command: String) -> @Sendable (Step) async throws -> Void {
        { step in
            let expanded = command
                .replacingAll("{target}", with: step.target)
                .replacingAll("{host}", with: step.host)
                .replacingAll("{port}", with: String(step.port))
            let shell = ShellCommand(
                expanded,
                environment: [
                    ("PORTCULLIS_TARGET", step.target), ("PORTCULLIS_TARGET_HOST", step.host),
                    ("PORTCULLIS_TARGET_PORT", String(step.port)),
                ]
            )
            let termination: ShellCommand.Termination
            do {
                termination = try await shell.run()
            } catch {
                throw RollingDeployError(target: step.target, message: "\(error)")
            }
            guard termination == .exited(0) else {
                throw RollingDeployError(target: step.target, message: "`\(expanded)` \(termination)")
            }
        }
    }
}

extension String {
    fileprivate func replacingAll(_ token: String, with value: String) -> String {
        self.split(separator: token, omittingEmptySubsequences: false).joined(separator: value)
    }
}
