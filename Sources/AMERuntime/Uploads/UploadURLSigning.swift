import Foundation

/// Signs the upload URLs that `presignedUploadUrl(objectKey:)` answers: a URL that accepts one
/// HTTP `PUT` of the object, with no other credential, until it expires. The engine holds one
/// when uploads are configured; the S3 implementation is ``S3UploadURLSigner``.
public protocol UploadURLSigning: Sendable {
    /// A presigned `PUT` URL for the client's `objectKey`, stored under the tenant's own prefix so
    /// that no tenant can write over another's objects.
    func presignedUpload(objectKey: String, tenant: Tenant, now: Date) throws(AMEError) -> PresignedUpload
}

/// One presigned upload, as `PresignedUploadUrlType` answers it.
public struct PresignedUpload: Sendable, Equatable {
    /// The URL to `PUT` the object to.
    public var url: String
    /// The object's key in the bucket: the tenant's prefix followed by the client's key.
    public var objectKey: String
    /// Seconds the URL stays valid from the moment it was signed.
    public var expiration: Int

    public init(url: String, objectKey: String, expiration: Int) {
        self.url = url
        self.objectKey = objectKey
        self.expiration = expiration
    }
}
