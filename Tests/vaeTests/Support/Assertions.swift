import Foundation
import ImageIO
import Testing

/// The PNG colour type byte from the IHDR chunk (0 gray, 2 RGB, …), or nil when `data` is not a PNG.
func pngColorType(_ data: Data) -> UInt8? {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    let bytes = [UInt8](data.prefix(26))
    guard bytes.count == 26, Array(bytes[0..<8]) == signature, bytes[12...15].elementsEqual("IHDR".utf8) else { return nil }
    return bytes[25]
}

/// Reads a PNG written by `vae` as grayscale, requiring it to be an 8-bit gray PNG of the given size.
@discardableResult
func expectGrayPNG(_ sandbox: Sandbox, _ relative: String, width: Int, height: Int,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> GrayImage {
    let data = try sandbox.data(relative)
    #expect(pngColorType(data) == 0, "\(relative) should be a grayscale PNG", sourceLocation: sourceLocation)
    let image = try GrayImage.decodePNG(data)
    #expect(image.width == width && image.height == height,
            "\(relative) is \(image.width)×\(image.height), expected \(width)×\(height)", sourceLocation: sourceLocation)
    return image
}

/// Checks that a command failed cleanly: a non-zero exit (not a signal, not a timeout), exactly one
/// `Error:` line on stderr that contains every one of `fragments`, and no "Saved"/"Wrote" claim on stdout.
func expectCleanFailure(_ result: CommandResult, mentioning fragments: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.crashed, "vae crashed (signal \(result.status))\n\(result)", sourceLocation: sourceLocation)
    #expect(!result.timedOut, "vae timed out\n\(result)", sourceLocation: sourceLocation)
    #expect(result.status != 0, "vae should have failed\n\(result)", sourceLocation: sourceLocation)
    let errorLines = result.errorLines.filter { $0.hasPrefix("Error:") }
    #expect(errorLines.count == 1, "expected exactly one 'Error:' line on stderr\n\(result)", sourceLocation: sourceLocation)
    let line = errorLines.first ?? ""
    for fragment in fragments {
        #expect(line.contains(fragment), "the error line should mention '\(fragment)'\n\(result)", sourceLocation: sourceLocation)
    }
    #expect(!result.stdout.contains("Saved ") && !result.stdout.contains("Wrote "),
            "a failed command should not claim to have written anything\n\(result)", sourceLocation: sourceLocation)
    #expect(!result.output.contains("Fatal error") && !result.output.contains("Stack dump"),
            "vae should fail with a message, not a trap\n\(result)", sourceLocation: sourceLocation)
}

/// Runs a failing command and checks it changed no file in the sandbox.
@discardableResult
func expectFailureWritesNothing(_ sandbox: Sandbox, _ arguments: [String], mentioning fragments: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
    let before = try snapshot(sandbox)
    let result = try sandbox.vae(arguments: arguments)
    expectCleanFailure(result, mentioning: fragments, sourceLocation: sourceLocation)
    let after = try snapshot(sandbox)
    #expect(after.keys.sorted() == before.keys.sorted(),
            "files changed: before \(before.keys.sorted()), after \(after.keys.sorted())\n\(result)",
            sourceLocation: sourceLocation)
    for (path, data) in before where after[path] != data {
        Issue.record("\(path) was modified by a failing command\n\(result)", sourceLocation: sourceLocation)
    }
    return result
}

/// Every file in the sandbox with its bytes.
func snapshot(_ sandbox: Sandbox) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for path in sandbox.allFiles() { files[path] = try sandbox.data(path) }
    return files
}
