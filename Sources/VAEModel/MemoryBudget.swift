import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory a model, a training run or a batch of examples needs, estimated before anything is
/// allocated, against what this machine allows. Every size from a flag or a file goes through here, so a
/// header that claims a billion latent dimensions is refused with the number instead of failing to allocate.
///
/// Estimates count 4-byte floats, with overflow-checked arithmetic (nil means "more than `Int.max` bytes"):
/// - a loaded model: 3 · P (the file's copy, the values, the gradients) for P = the parameter count;
/// - training: (4 + T − 1) · P (values, gradients, Adam's two moments, the other T − 1 workers' gradients)
///   plus 2 · B · A (the workers' recorded graphs for the full and the last partial batch) for batch size
///   B, T threads and A = `activationFloatsPerExample`;
/// - running a loaded model forward on N examples at once: 3 · P + N · F floats, plus N · inputSize bytes of
///   image, for F = `forwardFloatsPerExample` (no gradients are kept).
public enum MemoryBudget {
    /// The environment variable that sets the limit in bytes, with an optional K, M, G or T suffix
    /// (powers of 1000), e.g. `VAE_MEMORY_LIMIT=8G`.
    public static let limitVariable = "VAE_MEMORY_LIMIT"

    /// Physical memory in bytes: `sysconf(_SC_PHYS_PAGES) · sysconf(_SC_PAGESIZE)`, or the control
    /// group's `memory.max` when that is lower (a container's share).
    public static var physicalMemory: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        var bytes = pages > 0 && pageSize > 0 ? checkedProduct([pages, pageSize]) ?? Int.max : Int.max
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let groupLimit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), groupLimit > 0 {
            bytes = min(bytes, groupLimit)
        }
        return bytes
    }

    /// The most one process of the tool may plan to use: `VAE_MEMORY_LIMIT` when set, else 3/4 of the
    /// physical memory (the rest is left to the system, the data and the program itself).
    /// - Throws: `MemoryBudgetError.badLimitSetting` when the variable is set but not a size.
    public static func limit() throws(MemoryBudgetError) -> Int {
        if let text = ProcessInfo.processInfo.environment[limitVariable] {
            guard let bytes = parseByteCount(text), bytes > 0 else { throw .badLimitSetting(text: text) }
            return bytes
        }
        return physicalMemory / 4 * 3
    }

    /// Parses "123", "500M", "8G", "1.5T" (powers of 1000) into bytes; nil when it is not such a size.
    static func parseByteCount(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [Character: Double] = ["K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12]
        var number = Substring(trimmed), scale = 1.0
        if let last = trimmed.last?.uppercased().first, let unit = units[last] {
            number = trimmed.dropLast()
            scale = unit
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * scale < 9e18 else { return nil }
        return Int(value * scale)
    }

    /// Floats one example occupies in a recorded training graph: each layer's output and its gradient,
    /// the input, labels and their concatenation, and μ, log σ², ε, z with gradients.
    /// A = 4 · Σ hidden + 12 · latent + 6 · inputSize + 4 · classes (nil on overflow).
    public static func activationFloatsPerExample(_ c: VAEConfiguration) -> Int? {
        guard let hiddenTotal = checkedSum(c.hidden), let a = checkedProduct([4, hiddenTotal]),
              let b = checkedProduct([12, c.latent]), let d = checkedProduct([6, c.inputSize]),
              let e = checkedProduct([4, c.classes]) else { return nil }
        return checkedSum([a, b, d, e])
    }

    /// Floats one example occupies in a forward pass: input, labels, every hidden layer of the encoder
    /// and decoder, μ, log σ², z, the logits and the output.
    /// F = 3 · inputSize + classes + 2 · Σ hidden + 3 · latent (nil on overflow).
    public static func forwardFloatsPerExample(_ c: VAEConfiguration) -> Int? {
        guard let hiddenTotal = checkedSum(c.hidden), let a = checkedProduct([3, c.inputSize]),
              let b = checkedProduct([2, hiddenTotal]), let d = checkedProduct([3, c.latent]) else { return nil }
        return checkedSum([a, c.classes, b, d])
    }

    /// Bytes to read a model with this configuration from a file: 3 · P floats (nil on overflow).
    public static func loadedModelBytes(_ c: VAEConfiguration) -> Int? {
        guard let parameters = c.checkedParameterCount else { return nil }
        return checkedProduct([3, parameters, 4])
    }

    /// Bytes to train this model: (4 + T − 1) · P + 2 · B · A floats (nil on overflow).
    public static func trainingBytes(_ c: VAEConfiguration, batchSize: Int, threads: Int) -> Int? {
        guard let parameters = c.checkedParameterCount, let perExample = activationFloatsPerExample(c),
              let copies = checkedSum([3, max(threads, 1)]), let model = checkedProduct([copies, parameters]),
              let graphs = checkedProduct([2, max(batchSize, 1), perExample]),
              let floats = checkedSum([model, graphs]) else { return nil }
        return checkedProduct([floats, 4])
    }

    /// Bytes to run a loaded model forward on `examples` examples at once and keep them as images:
    /// (3 · P + N · F) floats + N · inputSize bytes (nil on overflow).
    public static func inferenceBytes(_ c: VAEConfiguration, examples: Int) -> Int? {
        guard let parameters = c.checkedParameterCount, let perExample = forwardFloatsPerExample(c),
              let model = checkedProduct([3, parameters]), let rows = checkedProduct([max(examples, 0), perExample]),
              let floats = checkedSum([model, rows]), let floatBytes = checkedProduct([floats, 4]),
              let pixels = checkedProduct([max(examples, 0), c.inputSize]) else { return nil }
        return checkedSum([floatBytes, pixels])
    }

    /// Why `bytes` for `purpose` cannot be had, or nil when they fit the limit. The sentence gives the
    /// number, the limit and `advice`.
    /// - Parameters:
    ///   - bytes: the estimate (nil: it overflowed).
    ///   - atLeast: whether the estimate is a lower bound (said so in the sentence); default false.
    ///   - purpose: what needs them, e.g. "training this 784-400-20 model with batch size 128 on 4 threads".
    ///   - advice: what to change, e.g. "use a smaller --batch-size".
    public static func problem(bytes: Int?, atLeast: Bool = false, purpose: String, advice: String) -> String? {
        let limit: Int
        do { limit = try self.limit() } catch { return error.sentence }
        if let bytes, bytes <= limit { return nil }
        let needed = bytes.map { (atLeast ? "at least " : "") + formatBytes($0) } ?? "more than \(formatBytes(Int.max))"
        let origin = ProcessInfo.processInfo.environment[limitVariable] != nil
            ? "set by \(limitVariable)" : "3/4 of this machine's \(formatBytes(physicalMemory)); \(limitVariable) changes it"
        return "\(purpose) would need \(needed) of memory, more than the \(formatBytes(limit)) allowed (\(origin)); \(advice)"
    }

    /// Bytes in decimal units with three significant digits: "512 bytes", "23.4 GB", "9.22 EB".
    public static func formatBytes(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) bytes" }
        var value = Double(bytes)
        for unit in ["kB", "MB", "GB", "TB", "PB", "EB"] {
            value /= 1000
            if value < 999.5 || unit == "EB" {
                let decimals = value < 9.995 ? 2 : value < 99.95 ? 1 : 0
                return String(format: "%.\(decimals)f \(unit)", value)
            }
        }
        return "\(bytes) bytes"
    }
}

/// The memory limit cannot be read.
public enum MemoryBudgetError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// `VAE_MEMORY_LIMIT` is set to something that is not a size.
    case badLimitSetting(text: String)

    /// The problem as a clause without a final period, to join with others.
    public var sentence: String {
        switch self {
        case let .badLimitSetting(text):
            return "\(MemoryBudget.limitVariable)='\(text)' is not a size such as 8G or 500M; set it to the bytes a run may use, or unset it"
        }
    }

    public var description: String { sentence + "." }

    public var errorDescription: String? { description }
}
