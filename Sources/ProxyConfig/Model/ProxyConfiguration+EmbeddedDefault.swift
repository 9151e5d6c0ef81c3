extension ProxyConfiguration {
    /// The configuration used when no file is given: HTTPS on `0.0.0.0:443`, forwarding
    /// everything to `127.0.0.1:8080`, with the development certificate that `portcullis certs`
    /// writes to `certs/`; plain HTTP on `0.0.0.0:80` redirects every request there (`308`).
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
          - name: http-redirect
            bind: "0.0.0.0:80"
            protocol: http
            routes:
              - name: to-https
                redirect: {scheme: https, status: 308}
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
    /// - Parameter listenOverrides: How many `--listen` options the command line gives: one
    ///   moves the HTTPS listener alone, and the `:80` redirect (which points at port 443) is
    ///   left out; give two to keep it on a port of your choice.
    public static func embeddedDefault(baseDirectory: String, listenOverrides: Int = 0) throws(ConfigValidationError) -> ProxyConfiguration {
        var configuration = try Self.parse(
            yaml: Self.embeddedDefaultYAML,
            file: "<embedded default>",
            baseDirectory: baseDirectory,
            checkFilesExist: false
        )
        if listenOverrides == 1 {
            configuration.listeners.removeAll { $0.name == "http-redirect" }
        }
        return configuration
    }
}
