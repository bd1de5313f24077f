import AMERuntime
import Foundation
import Testing

/// The signer matches an independent implementation: the expected values were produced by
/// botocore's `SigV4Auth` for the same request.
@Suite struct SigV4SignerTests {
    @Test func signsADynamoDBRequestAsBotocoreDoes() {
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                sessionToken: "session-token-example"),
            region: "us-east-1")
        // 2026-11-26T20:49:20Z
        let date = Date(timeIntervalSince1970: 1_795_726_160)
        let headers = signer.sign(
            host: "dynamodb.us-east-1.amazonaws.com", target: "DynamoDB_20120810.DescribeTable",
            body: Array(#"{"TableName":"ame-places"}"#.utf8), date: date)
        let byName = Dictionary(uniqueKeysWithValues: headers)
        #expect(byName["x-amz-date"] == "20261126T204920Z")
        #expect(byName["x-amz-security-token"] == "session-token-example")
        #expect(
            byName["authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=717d47fb7ad0175d10f50e7461ffe0ec6fcfea1dbf669b278d2885de6608b73f"
        )
    }
}
