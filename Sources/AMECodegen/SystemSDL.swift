/// The GraphQL of the runtime's own tables, present in every schema: versioned dynamic
/// attributes (`AttributeValue`), the audit trail (`ActivityHistory`) and presigned uploads,
/// with the original API's names, arguments and scalars (AME's additions beside them).
struct SystemSDL {
    /// The scalar of key arguments and fields (`id_scalar`).
    let idScalar: String

    var types: [String] {
        [
            """
            \"\"\"
            One version of one dynamic attribute of an entity's `data`.
            \"\"\"
            type AttributeValueType {
              "`<dataType>-<attributeName>`, e.g. `contact-industry`."
              dataTypeAttributeName: String
              valueVersionUuid: \(idScalar)!
              "The key of the entity the attribute belongs to."
              dataIdentity: \(idScalar)
              "The tenant, `<endpointId>#<partId>`."
              partitionKey: String
              "The value as text (a string as it is, any other value as JSON text)."
              value: String
              "`active` (the value in `data`) or `inactive` (an earlier version)."
              status: String
              updatedBy: String
              updatedAt: DateTime
              createdAt: DateTime
              dataType: String
              attributeName: String
              "The value as stored, as JSON."
              jsonValue: JSON
            }
            """,
            """
            type AttributeValueListType {
              attributeValueList: [AttributeValueType!]!
              pageSize: Int
              pageNumber: Int
              total: Int
              nextToken: String
            }
            """,
            "type InsertUpdateAttributeValue {\n  attributeValue: AttributeValueType\n}",
            "type DeleteAttributeValue {\n  ok: Boolean\n}",
            """
            \"\"\"
            One audit record: a change to an entity, written with the change.
            \"\"\"
            type ActivityHistoryType {
              "The key of the entity that changed."
              id: \(idScalar)!
              "Seconds since 1970-01-01 UTC, as a string of digits."
              timestamp: Decimal
              log: String
              "Old and new value of each changed field."
              dataDiff: JSONCamelCase
              "The entity type, e.g. `ContactProfile`."
              type: String
              updatedBy: String
              updatedAt: DateTime
            }
            """,
            """
            type ActivityHistoryListType {
              activityHistoryList: [ActivityHistoryType!]!
              pageSize: Int
              pageNumber: Int
              total: Int
              nextToken: String
            }
            """,
            "type InsertActivityHistory {\n  activityHistory: ActivityHistoryType\n}",
            "type DeleteActivityHistory {\n  ok: Boolean\n}",
            """
            \"\"\"
            A URL that accepts one HTTP `PUT` of an object until it expires.
            \"\"\"
            type PresignedUploadUrlType {
              url: String
              "The object's key in the bucket: the tenant's prefix, then the key asked for."
              objectKey: String
              "Seconds the URL stays valid."
              expiration: Int
            }
            """,
        ]
    }

    var queryFields: [String] {
        [
            "presignedUploadUrl(objectKey: String!): PresignedUploadUrlType!",
            "attributeValue(dataTypeAttributeName: String, valueVersionUuid: \(idScalar)!): AttributeValueType!",
            "attributeValueList(pageNumber: Int = 1, limit: Int = 100, nextToken: String, dataTypeAttributeName: String, dataType: String, attributeName: String, dataIdentity: \(idScalar), value: String, status: String, statuses: [String]): AttributeValueListType",
            "activityHistory(id: \(idScalar)!, timestamp: Int!): ActivityHistoryType!",
            "activityHistoryList(pageNumber: Int = 1, limit: Int = 100, nextToken: String, id: \(idScalar), type: String, activityType: String, activityTypes: [String], log: String, from: DateTime, to: DateTime): ActivityHistoryListType",
        ]
    }

    var mutationFields: [String] {
        [
            "insertUpdateAttributeValue(dataIdentity: \(idScalar)!, dataTypeAttributeName: String, dataType: String, attributeName: String, status: String, value: String, jsonValue: JSON, valueVersionUuid: \(idScalar), updatedBy: String!): InsertUpdateAttributeValue",
            "deleteAttributeValue(dataTypeAttributeName: String, valueVersionUuid: \(idScalar)!, updatedBy: String): DeleteAttributeValue",
            "insertActivityHistory(id: \(idScalar)!, type: String, log: String, dataDiff: JSONCamelCase, updatedBy: String!): InsertActivityHistory",
            "deleteActivityHistory(id: \(idScalar)!, timestamp: Int!, updatedBy: String): DeleteActivityHistory",
        ]
    }
}
