public import NIOHTTP1

/// The status and fields of a static file's response, and the bytes of the file its body is
/// (pure): `ETag`, `Last-Modified`, `Accept-Ranges`, `Cache-Control` as configured,
/// `Content-Encoding` and `Vary` for precompressed siblings, `Content-Range` for `206`/`416`.
public struct StaticResponseHead: Equatable {
    public var status: HTTPResponseStatus
    public var fields: [(String, String)]
    /// The file's bytes sent as the body (`nil`: no body).
    public var body: (offset: Int64, length: Int64)?

    public static func == (lhs: StaticResponseHead, rhs: StaticResponseHead) -> Bool {
        lhs.status == rhs.status && lhs.fields.elementsEqual(rhs.fields, by: ==) && lhs.body?.offset == rhs.body?.offset
            && lhs.body?.length == rhs.body?.length
    }

    public init(plan: ConditionalRequest.Plan, file: OpenedFile, site: StaticSite) {
        let validators = file.validators
        var fields: [(String, String)] = []
        fields.reserveCapacity(9)
        func validatorFields() {
            fields.append(("ETag", validators.etag))
            fields.append(("Last-Modified", validators.lastModifiedText))
            if let cacheControl = site.cacheControl {
                fields.append(("Cache-Control", cacheControl))
            }
            if site.precompressed {
                fields.append(("Vary", "Accept-Encoding"))
            }
        }
        func entityFields(length: Int64) {
            fields.append(("Content-Type", file.contentType))
            if let coding = file.coding {
                fields.append(("Content-Encoding", coding))
            }
            fields.append(("Content-Length", length == validators.size ? validators.sizeText : String(length)))
            fields.append(("Accept-Ranges", "bytes"))
        }
        switch plan {
        case .full:
            self.status = .ok
            entityFields(length: validators.size)
            validatorFields()
            self.body = (0, validators.size)
        case .partial(let offset, let length):
            self.status = .partialContent
            entityFields(length: length)
            fields.append(("Content-Range", "bytes \(offset)-\(offset + length - 1)/\(validators.size)"))
            validatorFields()
            self.body = (offset, length)
        case .notModified:
            self.status = .notModified
            validatorFields()
            self.body = nil
        case .preconditionFailed:
            self.status = .preconditionFailed
            fields.append(("Content-Length", "0"))
            self.body = nil
        case .unsatisfiable:
            self.status = .rangeNotSatisfiable
            fields.append(("Content-Range", "bytes */\(validators.size)"))
            fields.append(("Content-Length", "0"))
            self.body = nil
        }
        self.fields = fields
    }
}
