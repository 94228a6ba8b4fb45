import Foundation

/// MD5 message digest (RFC 1321), used only to check downloads against published checksums.
///
/// Incremental: `update` with any number of chunks, then `finalize()`. MD5 is not a security
/// measure here; it detects damaged or wrong files.
public struct MD5: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    private var buffer = [UInt8](repeating: 0, count: 64)
    private var buffered = 0
    private var totalBytes: UInt64 = 0

    /// A fresh digest.
    public init() {}

    /// Per-round left-rotation amounts.
    private static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    /// K[i] = floor(2^32 · |sin(i + 1)|).
    private static let constants: [UInt32] = (0..<64).map { UInt32((abs(sin(Double($0 + 1))) * 4_294_967_296).rounded(.down)) }

    /// Adds `bytes` to the message.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// Adds the bytes in `raw` to the message.
    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        totalBytes &+= UInt64(raw.count)
        var offset = 0
        if buffered > 0 {
            let take = min(64 - buffered, raw.count)
            for i in 0..<take { buffer[buffered + i] = raw[i] }
            buffered += take
            offset = take
            if buffered == 64 {
                let block = buffer
                block.withUnsafeBytes { process(block: $0.baseAddress!) }
                buffered = 0
            }
        }
        while raw.count - offset >= 64 {
            process(block: raw.baseAddress! + offset)
            offset += 64
        }
        for i in offset..<raw.count { buffer[buffered] = raw[i]; buffered += 1 }
    }

    /// The 16-byte digest; the digest value ends the message.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var padding: [UInt8] = [0x80]
        let afterPad = (buffered + 1) % 64
        padding += [UInt8](repeating: 0, count: afterPad <= 56 ? 56 - afterPad : 120 - afterPad)
        for i in 0..<8 { padding.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        let savedTotal = totalBytes
        padding.withUnsafeBytes { update($0) }
        totalBytes = savedTotal
        precondition(buffered == 0, "MD5 padding must end on a block boundary")
        var digest: [UInt8] = []
        for word in [state.0, state.1, state.2, state.3] {
            for i in 0..<4 { digest.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))) }
        }
        return digest
    }

    /// The digest as 32 lowercase hexadecimal digits.
    public mutating func finalizeHex() -> String {
        finalize().map { hexByte($0).lowercased() }.joined()
    }

    /// The hexadecimal MD5 of `bytes`, e.g. `md5Hex("abc")` = `900150983cd24fb0d6963f7d28e17f72`.
    public static func hex<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        var digest = MD5()
        digest.update(bytes)
        return digest.finalizeHex()
    }

    private mutating func process(block: UnsafeRawPointer) {
        var m = [UInt32](repeating: 0, count: 16)
        for i in 0..<16 {
            let p = block + 4 * i
            m[i] = UInt32(p.load(fromByteOffset: 0, as: UInt8.self))
                | UInt32(p.load(fromByteOffset: 1, as: UInt8.self)) << 8
                | UInt32(p.load(fromByteOffset: 2, as: UInt8.self)) << 16
                | UInt32(p.load(fromByteOffset: 3, as: UInt8.self)) << 24
        }
        var a = state.0, b = state.1, c = state.2, d = state.3
        for i in 0..<64 {
            var f: UInt32
            let g: Int
            switch i {
            case 0..<16: f = (b & c) | (~b & d); g = i
            case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
            case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * i) % 16
            }
            f = f &+ a &+ Self.constants[i] &+ m[g]
            a = d
            d = c
            c = b
            let s = Self.shifts[i]
            b = b &+ ((f << s) | (f >> (32 - s)))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
