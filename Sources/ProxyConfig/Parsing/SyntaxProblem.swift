/// A message saying why a piece of text could not be used, before it is tied to a key and a line.
struct SyntaxProblem: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
