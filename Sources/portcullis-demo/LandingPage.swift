/// The new property's landing page. Each render carries a fresh hidden `id`, so every signup is
/// unique and one recorded twice (say, a retried POST) would show up in the store.
enum LandingPage {
    static func html(formID: String, instanceName: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>The Gatehouse — opening soon</title>
          <style>
            body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; }
            form { display: flex; gap: .5rem; margin-top: 1.5rem; }
            input[type=email] { flex: 1; padding: .5rem; }
            button { padding: .5rem 1rem; }
            footer { margin-top: 3rem; color: #888; font-size: .8rem; }
          </style>
        </head>
        <body>
          <h1>The Gatehouse</h1>
          <p>Twelve rooms behind an old castle gate, opening next spring.</p>
          <p>Join the waitlist for a fee of 500, credited against your first stay.</p>
          <form method="post" action="/waitlist">
            <input type="hidden" name="id" value="\(escaped(formID))">
            <input type="email" name="email" placeholder="you@example.com" required>
            <button type="submit">Join the waitlist</button>
          </form>
          <footer>Served by \(escaped(instanceName))</footer>
        </body>
        </html>

        """
    }

    private static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
