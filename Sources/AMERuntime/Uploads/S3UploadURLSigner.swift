import Foundation

/// Presigned S3 `PUT` URLs (Signature Version 4, query signing), computed locally from the
/// credentials: signing makes no request to S3.
///
/// Objects go under the tenant's own prefix, `<endpoint_id>/<part_id>/<objectKey>` (each tenant
/// part percent-encoded, so no tenant's prefix is a prefix of another's), so a URL handed to one
/// tenant can never write over another tenant's object. With an endpoint URL (a local S3 such as
/// moto_server) the URL is path-style, `<endpoint>/<bucket>/<key>`; on AWS it is virtual-hosted,
/// `https://<bucket>.s3.<region>.amazonaws.com/<key>`.
public struct S3UploadURLSigner: UploadURLSigning {
    /// S3 refuses presigned URLs valid for longer than seven days.
    public static let expirationRange = 1...604_800
    /// S3's limit on an object key, in UTF-8 bytes.
    public static let maxKeyBytes = 1024

    public var bucket: String
    public var signer: SigV4Signer
    /// `http(s)://host[:port]` of a non-AWS S3 endpoint; `nil` for AWS.
    public var endpoint: URL?
    /// Seconds a URL stays valid.
    public var expiration: Int

    public init(bucket: String, credentials: AWSCredentials, region: String, endpoint: URL? = nil, expiration: Int) {
        self.bucket = bucket
        self.signer = SigV4Signer(credentials: credentials, region: region, service: "s3")
        self.endpoint = endpoint
        self.expiration = expiration
    }

    public func presignedUpload(objectKey: String, tenant: Tenant, now: Date) throws(AMEError) -> PresignedUpload {
        let key = try storedKey(objectKey: objectKey, tenant: tenant)
        return PresignedUpload(
            url: presignedURL(method: "PUT", key: key, date: now), objectKey: key, expiration: expiration)
    }

    /// The key the object is stored under: the tenant's prefix and the client's key, checked.
    func storedKey(objectKey: String, tenant: Tenant) throws(AMEError) -> String {
        let problem: String? =
            if objectKey.isEmpty {
                "objectKey must not be empty"
            } else if objectKey.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                "objectKey must not contain control characters"
            } else if objectKey.split(separator: "/", omittingEmptySubsequences: false).contains(where: {
                $0 == "." || $0 == ".."
            }) {
                "objectKey must not contain `.` or `..` path segments"
            } else {
                nil
            }
        if let problem { throw .badUserInput(problem, field: "objectKey") }
        let key = "\(Self.prefixPart(tenant.endpointId))/\(Self.prefixPart(tenant.partId))/\(objectKey)"
        guard key.utf8.count <= Self.maxKeyBytes else {
            throw .badUserInput(
                "objectKey is \(objectKey.utf8.count) bytes; with the tenant's prefix the key may be at most \(Self.maxKeyBytes)",
                field: "objectKey")
        }
        return key
    }

    /// A presigned URL for one request of `method` on `key`, signed at `date`.
    func presignedURL(method: String, key: String, date: Date) -> String {
        let (amzDate, day) = SigV4Signer.timestamps(date)
        let host: String
        let scheme: String
        var path: String
        if let endpoint {
            scheme = endpoint.scheme ?? "https"
            host = endpoint.port.map { "\(endpoint.host ?? ""):\($0)" } ?? (endpoint.host ?? "")
            path = "/" + Self.uriEncode(bucket) + "/"
        } else {
            scheme = "https"
            host = "\(bucket).s3.\(signer.region).amazonaws.com"
            path = "/"
        }
        path += key.split(separator: "/", omittingEmptySubsequences: false).map { Self.uriEncode(String($0)) }
            .joined(separator: "/")
        var query: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(signer.credentials.accessKeyId)/\(signer.scope(day: day))"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expiration)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = signer.credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let canonicalQuery = query.map { (Self.uriEncode($0.0), Self.uriEncode($0.1)) }
            .sorted { $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalRequest = [method, path, canonicalQuery, "host:\(host)\n", "host", "UNSIGNED-PAYLOAD"]
            .joined(separator: "\n")
        let signature = signer.signature(canonicalRequest: canonicalRequest, amzDate: amzDate, day: day)
        return "\(scheme)://\(host)\(path)?\(canonicalQuery)&X-Amz-Signature=\(signature)"
    }

    /// Percent-encodes every byte but the unreserved characters (`A-Z a-z 0-9 - . _ ~`), as
    /// SigV4's canonical form requires.
    static func uriEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF")
                encoded += "%\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
            }
        }
        return encoded
    }

    /// One tenant part in an object key: `/` and `%` percent-encoded, so the prefix is injective.
    static func prefixPart(_ part: String) -> String {
        part.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }
}

extension S3UploadURLSigner {
    /// The signer set by `AME_UPLOAD_BUCKET` (`nil` when unset: uploads are off),
    /// `AME_UPLOAD_URL_EXPIRATION`, `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`), `AWS_REGION` and
    /// the AWS credentials.
    public static func fromEnvironment(_ environment: [String: String]) throws(StoreError) -> S3UploadURLSigner? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let bucket = value("AME_UPLOAD_BUCKET") else { return nil }
        guard let accessKey = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw StoreError.invalidRequest(
                "AME_UPLOAD_BUCKET needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to sign upload URLs")
        }
        var endpoint: URL?
        if let text = value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL") {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw StoreError.invalidRequest("AWS_ENDPOINT_URL_S3 `\(text)` is not an http(s) URL")
            }
            endpoint = url
        }
        let expiration = value("AME_UPLOAD_URL_EXPIRATION").flatMap(Int.init) ?? defaultExpiration
        guard expirationRange.contains(expiration) else {
            throw StoreError.invalidRequest(
                "AME_UPLOAD_URL_EXPIRATION must be from \(expirationRange.lowerBound) to \(expirationRange.upperBound) seconds"
            )
        }
        return S3UploadURLSigner(
            bucket: bucket,
            credentials: AWSCredentials(
                accessKeyId: accessKey, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN")),
            region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1", endpoint: endpoint,
            expiration: expiration)
    }

    /// Seconds an upload URL stays valid unless `AME_UPLOAD_URL_EXPIRATION` says otherwise.
    public static let defaultExpiration = 3600
}
