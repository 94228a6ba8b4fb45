import Foundation

/// Compact, key-sorted JSON (stable bytes for identical values): model metadata and metrics lines.
/// Slashes are written as they are (`data/mnist`, not `data\/mnist`).
public func encodeJSON<T: Encodable>(_ value: T) -> String { encode(value, formatting: [.sortedKeys, .withoutEscapingSlashes]) }

/// Indented, key-sorted JSON for files people read (config.json), slashes as they are.
public func encodeJSONPretty<T: Encodable>(_ value: T) -> String {
    encode(value, formatting: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
}

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
