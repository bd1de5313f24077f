/// The GraphQL of the runtime's own tables, present in every schema: versioned dynamic
/// attributes (`AttributeValue`) and the audit trail (`ActivityHistory`), named as in the
/// original API.
enum SystemSDL {
    static let types = [
        """
        \"\"\"
        One version of one dynamic attribute of an entity's `data`.
        \"\"\"
        type AttributeValueType {
          valueVersionUuid: ID!
          "`<dataType>-<attributeName>`, e.g. `contact-industry`."
          dataTypeAttributeName: String
          dataType: String
          attributeName: String
          "The key of the entity the attribute belongs to."
          dataIdentity: ID
          value: JSON
          "`active` (the value in `data`) or `inactive` (an earlier version)."
          status: String
          updatedBy: String
          createdAt: DateTime
          updatedAt: DateTime
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
          id: ID!
          "The entity type, e.g. `ContactProfile`."
          type: String
          timestamp: DateTime
          log: String
          "Old and new value of each changed field."
          dataDiff: JSON
          updatedBy: String
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
    ]

    static let queryFields = [
        "attributeValue(valueVersionUuid: ID!): AttributeValueType",
        "attributeValueList(dataType: String!, dataIdentity: ID!, attributeName: String, status: String, limit: Int = 100, nextToken: String): AttributeValueListType",
        "activityHistory(id: ID!, timestamp: DateTime!): ActivityHistoryType",
        "activityHistoryList(id: ID, type: String, from: DateTime, to: DateTime, limit: Int = 100, nextToken: String): ActivityHistoryListType",
    ]

    static let mutationFields = [
        "insertUpdateAttributeValue(dataType: String!, dataIdentity: ID!, attributeName: String!, value: JSON, updatedBy: String!): InsertUpdateAttributeValue",
        "deleteAttributeValue(valueVersionUuid: ID!, updatedBy: String): DeleteAttributeValue",
        "insertActivityHistory(id: ID!, type: String!, log: String, dataDiff: JSON, updatedBy: String!): InsertActivityHistory",
    ]
}
