import Foundation
import Testing
@testable import SafeTensors

/// Parses `text` with the header parser.
private func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    let bytes = Array(text.utf8)
    let parsed = bytes.withUnsafeBytes { buffer in Result { () throws(JSONParseError) in try JSONParser.parse(buffer) } }
    return try parsed.get()
}

@Suite("header JSON parser")
struct HeaderJSONTests {
    @Test("values of every kind, escapes and padding parse exactly")
    func values() throws {
        #expect(try parse(#"  {"a": [1, -2, 0, 2.5, -1e-3, 9223372036854775807], "b": {"c": null, "d": true, "e": false}}   "#)
                == .object(["a": .array([.integer(1), .integer(-2), .integer(0), .number(2.5), .number(-0.001), .integer(.max)]),
                            "b": .object(["c": .null, "d": .bool(true), "e": .bool(false)])]))
        #expect(try parse(#""q\"b\\s\/n\nt\tu\u00e9\ud83d\ude00""#) == .string("q\"b\\s/n\nt\tué😀"))
        #expect(try parse("\"é漢\"") == .string("é漢"))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([:]))
        // An integer beyond Int is kept as a Double; 1e2 is a Double too (it has an exponent).
        #expect(try parse("18446744073709551616") == .number(18446744073709551616))
        #expect(try parse("1e2") == .number(100))
    }

    @Test("every malformation is refused with the byte where it was found",
          arguments: ["", "   ", "{", "}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "{\"a\":1}{}", "tru", "nul", "True",
                      "01", "-", "1.", ".5", "1e", "+1", "1e400", "-1e400", "\"abc", "\"a\u{01}b\"", "\"\\x\"", "\"\\u12\"",
                      "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "{\"a\":1,\"a\":2}", "NaN", "Infinity",
                      String(repeating: "[", count: 65) + String(repeating: "]", count: 65)])
    func malformed(text: String) {
        #expect(throws: JSONParseError.self, "\(text.debugDescription) should be refused") { try parse(text) }
    }

    @Test("nesting up to the limit parses; 100,000 levels are refused without deep recursion")
    func nesting() throws {
        let depth = JSONParser.maximumDepth
        #expect(throws: Never.self) { try parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) }
        let error = try #require(throws: JSONParseError.self) {
            try parse(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        }
        #expect(error.offset == depth)
    }

    @Test("a refused header says what and where")
    func message() throws {
        let error = try #require(throws: JSONParseError.self) { try parse(#"{"a": [1, 2}"#) }
        #expect(error.description == "expected ',' or ']' in an array (found '}') at byte 11 of the header")
    }
}
