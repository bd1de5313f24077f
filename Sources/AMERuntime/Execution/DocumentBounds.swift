/// The lexical bounds of a GraphQL document, checked in one linear pass before GraphQLSwift
/// parses it. Its parser, its validation and our field collection recurse and trust their input:
/// bounding the document's size, its token count, its nesting (`{`, `[` and `(` in every
/// operation and fragment, selected or not, literals included) and the length of its string
/// literals first means that none of them can exhaust the stack or the CPU.
///
/// Used by ``GraphQLEngine/execute(_:tenant:)`` on every document it has not parsed before.
struct DocumentBounds {
    let limits: QueryLimits

    /// The first bound `query` breaks, or `nil` when it keeps them all.
    func violation(in query: String) -> AMEError? {
        let length = query.utf8.count
        guard length <= limits.maxQueryBytes else {
            return .limitExceeded(.queryBytes, actual: length, maximum: limits.maxQueryBytes)
        }
        var text = query
        return text.withUTF8 { scan($0) }
    }

    private func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> AMEError? {
        var index = 0
        var tokens = 0
        var nesting = 0
        let count = bytes.count
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F
        }
        while index < count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0x2C:  // white space, line terminators, commas
                index += 1
                continue
            case 0x23:  // `#`: a comment to the end of the line
                while index < count, bytes[index] != 0x0A, bytes[index] != 0x0D { index += 1 }
                continue
            case 0xEF where index + 2 < count && bytes[index + 1] == 0xBB && bytes[index + 2] == 0xBF:  // BOM
                index += 3
                continue
            default:
                break
            }
            tokens += 1
            guard tokens <= limits.maxQueryTokens else {
                return .limitExceeded(.queryTokens, actual: nil, maximum: limits.maxQueryTokens)
            }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "("):
                nesting += 1
                guard nesting <= limits.maxQueryNesting else {
                    return .limitExceeded(.queryNesting, actual: nesting, maximum: limits.maxQueryNesting)
                }
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ")"):
                nesting = max(nesting - 1, 0)
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                if index + 2 < count, bytes[index + 1] == 0x22, bytes[index + 2] == 0x22 {
                    // A block string: ends at the next `"""` not preceded by a backslash.
                    index += 3
                    while index < count {
                        if bytes[index] == 0x5C, index + 3 < count, bytes[index + 1] == 0x22, bytes[index + 2] == 0x22,
                            bytes[index + 3] == 0x22
                        {
                            index += 4
                        } else if bytes[index] == 0x22, index + 2 < count, bytes[index + 1] == 0x22,
                            bytes[index + 2] == 0x22
                        {
                            index += 3
                            break
                        } else {
                            index += 1
                        }
                    }
                } else {
                    index += 1
                    while index < count, bytes[index] != 0x22, bytes[index] != 0x0A, bytes[index] != 0x0D {
                        index += bytes[index] == 0x5C ? 2 : 1
                    }
                    index = min(index + 1, count)
                }
                let length = index - start
                guard length <= limits.maxStringBytes + 6 else {
                    return .limitExceeded(.stringBytes, actual: length, maximum: limits.maxStringBytes)
                }
            case UInt8(ascii: "."):
                index += (index + 2 < count && bytes[index + 1] == 0x2E && bytes[index + 2] == 0x2E) ? 3 : 1
            default:
                if isNameByte(byte) || byte == UInt8(ascii: "-") {
                    // A name or a number (digits, `.`, exponents and signs run together lexically).
                    index += 1
                    while index < count,
                        isNameByte(bytes[index]) || bytes[index] == 0x2E || bytes[index] == 0x2B || bytes[index] == 0x2D
                    {
                        index += 1
                    }
                } else {
                    index += 1  // Any other character is one token; the parser reports it.
                }
            }
        }
        return nil
    }
}
