import Crypto
import Foundation

/// AWS Signature Version 4: DynamoDB's JSON protocol (`POST /`, signed headers) here, S3's
/// presigned URLs (signed query) in ``S3UploadURLSigner``.
///
/// Signs `content-type`, `host`, `x-amz-date`, `x-amz-security-token` (when there is a session
/// token) and `x-amz-target`, as AWS SDKs do for DynamoDB.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String = "dynamodb") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to send with a request: the given ones plus `X-Amz-Date`,
    /// `X-Amz-Security-Token` and `Authorization`.
    public func sign(host: String, target: String, body: [UInt8], date: Date) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var headers: [(String, String)] = [
            ("content-type", "application/x-amz-json-1.0"),
            ("host", host),
            ("x-amz-date", amzDate),
        ]
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers.append(("x-amz-target", target))
        let signedHeaders = headers.map(\.0).joined(separator: ";")
        let canonicalRequest = [
            "POST", "/", "",
            headers.map { "\($0.0):\($0.1)" }.joined(separator: "\n") + "\n",
            signedHeaders,
            Self.hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")
        let scope = scope(day: day)
        let signature = signature(canonicalRequest: canonicalRequest, amzDate: amzDate, day: day)
        headers.append(
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
            ))
        return headers
    }

    /// The credential scope of a day: `20261126/us-east-1/dynamodb/aws4_request`.
    func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    /// The signature of a canonical request: the string to sign, HMAC'd with the day's derived key.
    func signature(canonicalRequest: String, amzDate: String, day: String) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope(day: day), Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let day = pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2)
        return (day + "T" + pad(parts.hour, 2) + pad(parts.minute, 2) + pad(parts.second, 2) + "Z", day)
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// AWS credentials, from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}
