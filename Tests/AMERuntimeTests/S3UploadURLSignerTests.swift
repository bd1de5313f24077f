import AMEGenerated
import AMERuntime
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Presigned upload URLs: signed as botocore signs them, confined to the tenant's prefix, and
/// accepted by S3 (moto_server behind a front that verifies presigned URLs as S3 does) only while
/// untampered and unexpired.
@Suite struct S3UploadURLSignerTests {
    static let credentials = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    /// 2026-12-01T08:31:40Z
    static let signedAt = Date(timeIntervalSince1970: 1_796_113_900)

    static func query(_ url: String) -> [String: String] {
        let items = URLComponents(string: url)?.percentEncodedQueryItems ?? []
        return Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.value ?? "") })
    }

    // The expected signatures were produced by botocore's `S3SigV4QueryAuth` for the same
    // request, credentials and time.
    @Test func signsAVirtualHostedURLAsBotocoreDoes() throws {
        let signer = S3UploadURLSigner(
            bucket: "uploads", credentials: Self.credentials, region: "us-east-1", expiration: 900)
        let upload = try signer.presignedUpload(
            objectKey: "photos/cat one.jpg", tenant: Tenant(endpointId: "acme"), now: Self.signedAt)
        #expect(upload.objectKey == "acme/default/photos/cat one.jpg")
        #expect(upload.expiration == 900)
        #expect(upload.url.hasPrefix("https://uploads.s3.us-east-1.amazonaws.com/acme/default/photos/cat%20one.jpg?"))
        let query = Self.query(upload.url)
        #expect(query["X-Amz-Credential"] == "AKIDEXAMPLE%2F20261201%2Fus-east-1%2Fs3%2Faws4_request")
        #expect(query["X-Amz-Date"] == "20261201T083140Z")
        #expect(query["X-Amz-Expires"] == "900")
        #expect(query["X-Amz-Signature"] == "3e9188a359044d64f6d949c76ee053f70e85984ee27d128b6c1dc33a6b0613d7")
    }

    @Test func signsAPathStyleURLWithASessionTokenAsBotocoreDoes() throws {
        let signer = S3UploadURLSigner(
            bucket: "uploads",
            credentials: AWSCredentials(
                accessKeyId: Self.credentials.accessKeyId, secretAccessKey: Self.credentials.secretAccessKey,
                sessionToken: "session-token-example"),
            region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:5000"), expiration: 900)
        let upload = try signer.presignedUpload(
            objectKey: "a+b.txt", tenant: Tenant(endpointId: "acme"), now: Self.signedAt)
        #expect(upload.url.hasPrefix("http://127.0.0.1:5000/uploads/acme/default/a%2Bb.txt?"))
        let query = Self.query(upload.url)
        #expect(query["X-Amz-Security-Token"] == "session-token-example")
        #expect(query["X-Amz-Signature"] == "38136ef3e9b8b89c752a18991831a236d6ffffa214968d88900a794413a8a5ac")
    }

    @Test(arguments: [
        ("", "must not be empty"),
        ("a\u{0}b", "control characters"),
        ("a\nb", "control characters"),
        ("../other-tenant/x", "`..`"),
        ("a/./b", "`..`"),
        (String(repeating: "k", count: 1020), "at most 1024"),
    ])
    func refusesAKeyItCannotStoreSafely(key: String, problem: String) {
        let signer = S3UploadURLSigner(bucket: "b", credentials: Self.credentials, region: "us-east-1", expiration: 60)
        #expect {
            try signer.presignedUpload(objectKey: key, tenant: Tenant(endpointId: "acme"), now: Self.signedAt)
        } throws: { error in
            guard case .badUserInput(let message, let field) = error as? AMEError else { return false }
            return field == "objectKey" && message.contains(problem)
        }
    }

    @Test func tenantPrefixesNeverOverlap() throws {
        let signer = S3UploadURLSigner(bucket: "b", credentials: Self.credentials, region: "us-east-1", expiration: 60)
        let one = try signer.presignedUpload(
            objectKey: "x", tenant: Tenant(endpointId: "a/b", partId: "c"), now: Self.signedAt)
        let other = try signer.presignedUpload(
            objectKey: "x", tenant: Tenant(endpointId: "a", partId: "b/c"), now: Self.signedAt)
        #expect(one.objectKey == "a%2Fb/c/x")
        #expect(other.objectKey == "a/b%2Fc/x")
    }

    @Test func isConfiguredFromTheEnvironmentOnlyWhenABucketIsSet() throws {
        #expect(try S3UploadURLSigner.fromEnvironment(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"]) == nil)
        let signer = try #require(
            try S3UploadURLSigner.fromEnvironment([
                "AME_UPLOAD_BUCKET": "uploads", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
                "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "AME_UPLOAD_URL_EXPIRATION": "120",
            ]))
        #expect(signer.bucket == "uploads" && signer.expiration == 120 && signer.endpoint?.port == 9000)
        #expect(throws: StoreError.self) {
            try S3UploadURLSigner.fromEnvironment(["AME_UPLOAD_BUCKET": "uploads"])
        }
        #expect(throws: StoreError.self) {
            try S3UploadURLSigner.fromEnvironment([
                "AME_UPLOAD_BUCKET": "uploads", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
                "AME_UPLOAD_URL_EXPIRATION": "604801",
            ])
        }
    }

    @Test func presignedUploadUrlAnswersTheSignersURLForTheCredentialsTenant() async throws {
        let signer = S3UploadURLSigner(
            bucket: "uploads", credentials: Self.credentials, region: "us-east-1", expiration: 900)
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil), uploadSigner: signer)
        let response = await engine.execute(
            GraphQLRequest(
                query: "query($k: String!) { presignedUploadUrl(objectKey: $k) { url objectKey expiration } }",
                variables: ["k": "photos/cat.jpg"]),
            tenant: Tenant(endpointId: "acme", partId: "eu"))
        #expect(response.errors.isEmpty, "\(response.errors.map(\.error.message))")
        let upload = try #require(response.data?["presignedUploadUrl"])
        #expect(upload["objectKey"] == "acme/eu/photos/cat.jpg")
        #expect(upload["expiration"] == 900)
        let url = try #require(upload["url"]?.stringValue)
        #expect(url.hasPrefix("https://uploads.s3.us-east-1.amazonaws.com/acme/eu/photos/cat.jpg?"))
        #expect(Self.query(url)["X-Amz-SignedHeaders"] == "host")
        #expect(Self.query(url)["X-Amz-Signature"]?.count == 64)
    }

    /// PUTs a file through the URL to S3 and reads it back with boto3; a URL for another key with
    /// the same signature, and an expired URL, are refused and store nothing.
    @Test func anUploadThroughTheURLIsStoredAndATamperedOrExpiredOneIsRefused() async throws {
        guard let moto = try await MotoServer.shared.start() else { return }
        let gatePort = try FreePort.find()
        let gate = Process()
        gate.executableURL = URL(fileURLWithPath: MotoServer.find("python3")!)
        gate.arguments = [
            FreePort.supportScript("s3_presign_gate.py"), String(gatePort), String(moto.port!), "testing",
            String(getpid()),
        ]
        gate.standardOutput = FileHandle.nullDevice
        gate.standardError = FileHandle.nullDevice
        try gate.run()
        defer { gate.terminate() }
        #expect(try await FreePort.waitUntilListening(gatePort, seconds: 30))

        let bucket = "uploads-\(UUID().uuidString.lowercased().prefix(8))"
        let signer = S3UploadURLSigner(
            bucket: bucket, credentials: AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing"),
            region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:\(gatePort)"), expiration: 600)
        let tenant = Tenant(endpointId: "acme")
        let good = try signer.presignedUpload(objectKey: "docs/report 1.txt", tenant: tenant, now: Date())
        let tampered = good.url.replacingOccurrences(of: "/acme/default/", with: "/evil/default/")
        let expired = try signer.presignedUpload(
            objectKey: "docs/old.txt", tenant: tenant, now: Date().addingTimeInterval(-3600)
        ).url
        let script = """
            import sys, urllib.request, urllib.error, boto3
            endpoint, bucket, good, tampered, expired, key = sys.argv[1:7]
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
            s3.create_bucket(Bucket=bucket)
            def put(url, body):
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "text/plain"})) as r:
                        return str(r.status)
                except urllib.error.HTTPError as e:
                    return str(e.code) + " " + e.read().decode().replace("\\n", " ")
            print("good", put(good, b"hello from a presigned url"))
            print("tampered", put(tampered, b"overwrite"))
            print("expired", put(expired, b"late"))
            print("stored", s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())
            keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
            print("keys", ",".join(keys))
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: MotoServer.find("python3")!)
        python.arguments = ["-c", script, moto.absoluteString, bucket, good.url, tampered, expired, good.objectKey]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        let lines = Dictionary(
            uniqueKeysWithValues: text.split(separator: "\n").map {
                let parts = $0.split(separator: " ", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            })
        #expect(python.terminationStatus == 0, "\(text)")
        #expect(lines["good"] == "200")
        #expect(
            lines["tampered"]?.hasPrefix("403") == true && lines["tampered"]?.contains("SignatureDoesNotMatch") == true)
        #expect(lines["expired"]?.hasPrefix("403") == true && lines["expired"]?.contains("Request has expired") == true)
        #expect(lines["stored"] == "hello from a presigned url")
        #expect(lines["keys"] == "acme/default/docs/report 1.txt")
    }
}
