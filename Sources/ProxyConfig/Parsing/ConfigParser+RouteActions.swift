/// The action of a route: `forward`, `redirect`, `fixed_response` or `static`, exactly one of them.
extension ConfigParser {
    /// Reads the action of the route `fields`, reporting a route with none or several.
    ///
    /// - Returns: The action (a placeholder when there is none; already reported), and the
    ///   `forward` value for the cross-section checks.
    mutating func routeAction(_ fields: MappingFields, routeName: String) -> (RouteAction, Located<String>?) {
        let present = RouteAction.keys.filter { fields[$0] != nil }
        let choices = "\"forward\" (the name of a target group), \"redirect\", \"fixed_response\" or \"static\""
        if present.isEmpty {
            self.problems.report(
                fields.key,
                at: fields.node,
                "route \"\(routeName)\" has no action; add one of \(choices)"
            )
        } else if present.count > 1 {
            let names = present.map { "\"\($0)\"" }.joined(separator: ", ")
            self.problems.report(
                fields.key,
                at: fields.node,
                "route \"\(routeName)\" has more than one action (\(names)); keep exactly one of \(choices)"
            )
        }
        // Every action given is read, so that its mistakes are reported too; the first one counts.
        var actions: [RouteAction] = []
        var forward: Located<String>?
        if let node = fields["forward"], let name = self.string(node, key: fields.key("forward")) {
            forward = Located(name, key: fields.key("forward"), at: node)
            actions.append(.forward(targetGroup: name))
        }
        if let node = fields["redirect"] {
            actions.append(.redirect(self.redirect(node, key: fields.key("redirect"))))
        }
        if let node = fields["fixed_response"] {
            actions.append(.fixedResponse(self.fixedResponse(node, key: fields.key("fixed_response"))))
        }
        if let node = fields["static"] {
            actions.append(.staticFiles(self.staticFiles(node, key: fields.key("static"))))
        }
        return (actions.first ?? .fixedResponse(FixedResponseConfiguration(status: 404)), forward)
    }

    private mutating func redirect(_ node: ConfigNode, key: String) -> RedirectConfiguration {
        var redirect = RedirectConfiguration()
        let parts = ["scheme", "host", "port", "path"]
        guard let fields = self.fields(of: node, key: key, allowed: parts + ["status"]) else { return redirect }
        if !parts.contains(where: { fields[$0] != nil }) {
            self.problems.report(
                key,
                at: node,
                "needs at least one of \"scheme\", \"host\", \"port\" or \"path\" (a redirect to the same URL would loop)"
            )
        }
        if let node = fields["scheme"],
            let scheme = self.choice(node, key: fields.key("scheme"), of: ListenerProtocol.self, noun: "scheme")
        {
            redirect.scheme = scheme.rawValue
        }
        if let node = fields["host"] {
            redirect.host = self.redirectHost(node, key: fields.key("host"))
        }
        if let node = fields["port"], let port = self.integer(node, key: fields.key("port"), in: 1...65535) {
            redirect.port = port
        }
        if let node = fields["path"] {
            redirect.path = self.routePath(node, key: fields.key("path"))
        }
        if let node = fields["status"] {
            let allowed = RedirectConfiguration.allowedStatuses.map(String.init).joined(separator: ", ")
            if case .integer(let status) = node.scalar?.kind, RedirectConfiguration.allowedStatuses.contains(status) {
                redirect.status = status
            } else {
                self.problems.report(
                    fields.key("status"),
                    at: node,
                    "must be one of \(allowed) (got \(node.quotedDescription))"
                )
            }
        }
        return redirect
    }

    private mutating func redirectHost(_ node: ConfigNode, key: String) -> String? {
        guard let text = self.string(node, key: key) else { return nil }
        if text.contains(":") {
            self.problems.report(
                key,
                at: node,
                "must be a host name or IPv4 address without port; set \"port\" for the port (got \"\(text)\")"
            )
            return nil
        }
        if let problem = AddressSyntax.hostProblem(text) {
            self.problems.report(key, at: node, problem)
            return nil
        }
        return text.lowercased()
    }

    private mutating func fixedResponse(_ node: ConfigNode, key: String) -> FixedResponseConfiguration {
        var response = FixedResponseConfiguration()
        let allowed = ["status", "body", "content_type"]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return response }
        if let node = fields["status"], let status = self.integer(node, key: fields.key("status"), in: 100...599) {
            response.status = status
        }
        if let node = fields["body"] {
            if let scalar = node.scalar {
                response.body = node.isNull ? "" : scalar.text
            } else {
                self.problems.report(fields.key("body"), at: node, "expected a string, got \(node.typeName)")
            }
            let status = response.status
            if !response.body.isEmpty, status < 200 || status == 204 || status == 304 {
                self.problems.warn(
                    fields.key("body"),
                    line: node.line,
                    column: node.column,
                    "is not sent: a response with status \(status) has no body"
                )
            }
        }
        if let node = fields["content_type"], let value = self.string(node, key: fields.key("content_type")) {
            if HTTPSyntax.isValidFieldValue(value) {
                response.contentType = value
            } else {
                self.problems.report(
                    fields.key("content_type"),
                    at: node,
                    "must be printable ASCII without line breaks (got \"\(value)\")"
                )
            }
        }
        return response
    }
}
