/// A bound on what a request may send, each with its own setting and its own error code, so a
/// client learns which bound it crossed and an operator which setting moves it.
public enum InputLimit: String, Sendable, CaseIterable {
    /// The request body (`AME_MAX_BODY_BYTES`).
    case bodyBytes
    /// The query text, in bytes (`AME_MAX_QUERY_LENGTH`).
    case queryBytes
    /// Tokens of the query document (`AME_MAX_QUERY_TOKENS`).
    case queryTokens
    /// Nesting of `{`, `[` and `(` in the query document (`AME_MAX_QUERY_NESTING`).
    case queryNesting
    /// One string, in a JSON body or a query literal, in bytes (`AME_MAX_STRING_BYTES`).
    case stringBytes
    /// Nesting of arrays and objects in a JSON body (`AME_MAX_JSON_DEPTH`).
    case jsonDepth
    /// Object members in a JSON body, all objects together (`AME_MAX_JSON_KEYS`).
    case jsonKeys

    public var code: String {
        switch self {
        case .bodyBytes: "BODY_TOO_LARGE"
        case .queryBytes: "QUERY_TOO_LONG"
        case .queryTokens: "QUERY_TOO_MANY_TOKENS"
        case .queryNesting: "QUERY_TOO_NESTED"
        case .stringBytes: "STRING_TOO_LONG"
        case .jsonDepth: "JSON_TOO_DEEP"
        case .jsonKeys: "JSON_TOO_MANY_KEYS"
        }
    }

    public var setting: String {
        switch self {
        case .bodyBytes: "AME_MAX_BODY_BYTES"
        case .queryBytes: "AME_MAX_QUERY_LENGTH"
        case .queryTokens: "AME_MAX_QUERY_TOKENS"
        case .queryNesting: "AME_MAX_QUERY_NESTING"
        case .stringBytes: "AME_MAX_STRING_BYTES"
        case .jsonDepth: "AME_MAX_JSON_DEPTH"
        case .jsonKeys: "AME_MAX_JSON_KEYS"
        }
    }

    /// What is measured, for messages: "the query nests 40 levels; the limit is 32".
    func message(actual: Int?, maximum: Int) -> String {
        let measured: String
        switch self {
        case .bodyBytes: measured = actual.map { "the request body is \($0) bytes" } ?? "the request body is too large"
        case .queryBytes: measured = "the query is \(actual ?? maximum + 1) bytes"
        case .queryTokens: measured = "the query has more than \(maximum) tokens"
        case .queryNesting: measured = "the query nests \(actual ?? maximum + 1) levels of `{`, `[` or `(`"
        case .stringBytes: measured = "a string is \(actual.map { "\($0) bytes" } ?? "too long")"
        case .jsonDepth: measured = "the JSON body nests deeper than \(maximum) levels"
        case .jsonKeys: measured = "the JSON body has more than \(maximum) object members"
        }
        return "\(measured); the limit is \(maximum) (\(setting))"
    }
}
