/// A complete, validated Portcullis configuration.
///
/// Get one from ``load(path:)``, ``parse(yaml:file:baseDirectory:checkFilesExist:)`` or
/// ``embeddedDefault(baseDirectory:)``. Every value in it has passed validation: ports are in
/// range, every route names an existing target group, every target group has targets, and
/// certificate paths are absolute (and, unless told otherwise, point at readable files).
///
/// Configuration keys at the top level:
/// - `global` (mapping, optional): see ``GlobalSettings``.
/// - `listeners` (list, required, at least one): see ``ListenerConfiguration``.
/// - `target_groups` (mapping from name to group, optional when every route answers itself): see
///   ``TargetGroupConfiguration``.
/// - `admin` (mapping, optional): see ``AdminConfiguration``.
public struct ProxyConfiguration: Sendable, Equatable {
    public var global: GlobalSettings
    public var admin: AdminConfiguration
    public var listeners: [ListenerConfiguration]
    /// In file order.
    public var targetGroups: [TargetGroupConfiguration]
    /// The file name the configuration was read from, as given, or `<embedded default>`.
    public var sourceFile: String
    /// Problems that do not stop the configuration from being used, such as a route that can
    /// never match. `portcullis check` prints them.
    public var warnings: [ConfigDiagnostic]

    public init(
        global: GlobalSettings = GlobalSettings(),
        admin: AdminConfiguration = AdminConfiguration(),
        listeners: [ListenerConfiguration],
        targetGroups: [TargetGroupConfiguration],
        sourceFile: String,
        warnings: [ConfigDiagnostic] = []
    ) {
        self.global = global
        self.admin = admin
        self.listeners = listeners
        self.targetGroups = targetGroups
        self.sourceFile = sourceFile
        self.warnings = warnings
    }

    /// The target group called `name`, if there is one.
    public func targetGroup(named name: String) -> TargetGroupConfiguration? {
        self.targetGroups.first { $0.name == name }
    }
}
