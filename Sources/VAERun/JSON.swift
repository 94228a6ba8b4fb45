import Foundation

/// Compact, key-sorted JSON (stable bytes for identical values): model metadata and metrics lines.
public func encodeJSON<T: Encodable>(_ value: T) -> String { encode(value, formatting: [.sortedKeys]) }

/// Indented, key-sorted JSON for files people read (config.json).
public func encodeJSONPretty<T: Encodable>(_ value: T) -> String { encode(value, formatting: [.sortedKeys, .prettyPrinted]) }

/// Non-finite floats become the strings "NaN", "Infinity" and "-Infinity".
private func encode<T: Encodable>(_ value: T, formatting: JSONEncoder.OutputFormatting) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = formatting
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    // Encoding the tool's own plain value types cannot fail: a failure is a programming error.
    guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
        preconditionFailure("encodeJSON: \(T.self) failed to encode")
    }
    return text
}
