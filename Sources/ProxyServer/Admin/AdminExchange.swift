/// One admin API request, read in full.
struct AdminRequest: Sendable {
    var method: String
    var path: String
    var authorization: String?
    var body: [UInt8]
}

/// One admin API response.
struct AdminResponse: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []

    static func json(_ status: Int, _ text: String) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> AdminResponse {
        AdminResponse(status: status, contentType: contentType, body: Array(text.utf8))
    }

    static func problem(_ status: Int, _ message: String) -> AdminResponse {
        .json(status, "{\"error\": \(ConfigurationJSON.quoted(message))}\n")
    }
}

/// Answers admin API requests; the ``AdminHandler`` only moves bytes.
protocol AdminResponder: Sendable {
    func respond(to request: AdminRequest) async -> AdminResponse
}
