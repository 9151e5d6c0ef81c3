extension ProxyConfiguration {
    /// The configuration used when no file is given: HTTPS on `0.0.0.0:443`, forwarding
    /// everything to `127.0.0.1:8080`, with the development certificate that `portcullis certs`
    /// writes to `certs/`.
    ///
    /// The target is checked with TCP connects rather than `GET /`, since nothing is known about
    /// the application behind it.
    public static let embeddedDefaultYAML = """
        # Portcullis built-in configuration, used when no configuration file is given.
        listeners:
          - name: https
            bind: "0.0.0.0:443"
            protocol: https
            tls:
              certificates:
                - cert: certs/localhost.pem
                  key: certs/localhost-key.pem
            routes:
              - name: default
                forward: app
        target_groups:
          app:
            policy: round_robin
            targets: ["127.0.0.1:8080"]
            health_check:
              protocol: tcp

        """

    /// The parsed ``embeddedDefaultYAML``, with file name `<embedded default>`.
    ///
    /// The certificate files are not required to exist yet: `portcullis run` creates them
    /// before it loads them.
    ///
    /// - Parameter baseDirectory: The directory that holds `certs/`, usually the current directory.
    public static func embeddedDefault(baseDirectory: String) throws(ConfigValidationError) -> ProxyConfiguration {
        try Self.parse(
            yaml: Self.embeddedDefaultYAML,
            file: "<embedded default>",
            baseDirectory: baseDirectory,
            checkFilesExist: false
        )
    }
}
