import Foundation

extension AdminClient {
    /// `GET /certificates`, as JSON text.
    public func certificatesJSON() async throws -> String {
        String(decoding: try await self.call("GET", "/certificates"), as: UTF8.self)
    }

    /// `GET /certificates` as a table: one row per certificate, then its error (if any) and files.
    public func certificatesTable() async throws -> String {
        let document = try self.decode(AdminModels.Certificates.self, try await self.call("GET", "/certificates"))
        return Self.table(document.certificates)
    }

    static func table(_ certificates: [AdminModels.Certificate]) -> String {
        guard !certificates.isEmpty else { return "no certificates (no https listener)" }
        var rows = [["LISTENER", "NAMES", "SOURCE", "NOT AFTER", "EXPIRES IN", "OCSP", "NEXT RENEWAL", "ISSUER"]]
        for certificate in certificates {
            let days = certificate.expiresInSeconds.map { String(format: "%.1f days", $0 / 86_400) } ?? "-"
            rows.append([
                certificate.listener, certificate.names.joined(separator: ","), certificate.source, certificate.notAfter ?? "-", days,
                certificate.ocsp.status, certificate.nextRenewal ?? "-", certificate.issuer,
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        for certificate in certificates {
            let label = "\(certificate.listener) \(certificate.names.first ?? certificate.certificateFile)"
            if let error = certificate.lastError { lines.append("\(label): error: \(error)") }
            if let error = certificate.ocsp.lastError { lines.append("\(label): OCSP: \(error)") }
        }
        return lines.joined(separator: "\n")
    }
}
