/// Checks that need more than one section at a time: names that must be unique, references from
/// routes to target groups, binds that collide, and routes that can never match.
///
/// Each diagnostic points at the *referring* line, such as the route's `forward` or the second
/// listener's `bind`.
struct CrossSectionValidator {
    let listeners: [ParsedListener]
    let targetGroupNames: [Located<String>]

    func validate(into problems: inout DiagnosticCollector) {
        self.checkTargetGroupNames(into: &problems)
        self.checkListenerNames(into: &problems)
        self.checkForwards(into: &problems)
        BindConflicts.check(self.listeners, into: &problems)
        for listener in self.listeners {
            RouteShadowing.check(listener.routes, into: &problems)
        }
    }

    private func checkTargetGroupNames(into problems: inout DiagnosticCollector) {
        // Yams rejects duplicate keys in one mapping, so only names that differ in case can clash.
        var seen: [String: Located<String>] = [:]
        for name in self.targetGroupNames {
            if let first = seen[name.value.lowercased()] {
                problems.report(
                    at: name,
                    "target group \"\(name.value)\" differs from \"\(first.value)\" (line \(first.line)) only in case"
                )
            } else {
                seen[name.value.lowercased()] = name
            }
        }
    }

    private func checkListenerNames(into problems: inout DiagnosticCollector) {
        var seen: [String: Located<String>] = [:]
        for listener in self.listeners {
            if let first = seen[listener.name.value] {
                let hint =
                    listener.nameIsDefault
                    ? "; the name is made from protocol and port, add a \"name\" to tell them apart" : ""
                problems.report(
                    at: listener.name,
                    "duplicate listener name \"\(listener.name.value)\" (first used on line \(first.line))\(hint)"
                )
            } else {
                seen[listener.name.value] = listener.name
            }
        }
    }

    private func checkForwards(into problems: inout DiagnosticCollector) {
        let names = self.targetGroupNames.map(\.value)
        var used: Set<String> = []
        for route in self.listeners.flatMap(\.routes) {
            guard let forward = route.forward else { continue }
            used.insert(forward.value)
            guard !names.contains(forward.value) else { continue }
            var message = "no target group named \"\(forward.value)\""
            if let suggestion = Suggestion.closest(to: forward.value, in: names) {
                message += " (did you mean \"\(suggestion)\"?)"
            } else if !names.isEmpty {
                message += " (target groups: \(names.joined(separator: ", ")))"
            }
            problems.report(at: forward, message)
        }
        for name in self.targetGroupNames where !used.contains(name.value) {
            problems.warn(at: name, "target group \"\(name.value)\" is not used by any route")
        }
    }
}
