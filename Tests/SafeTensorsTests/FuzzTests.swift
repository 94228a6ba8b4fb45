import Foundation
import FuzzSupport
import Testing
@testable import SafeTensors

/// Valid files to damage: every dtype, scalars, empty tensors, metadata.
private let fuzzBases: [Data] = [
    SafeTensorsFile(tensors: [NamedTensor(name: "w", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
                              NamedTensor(name: "b", shape: [3], floats: [0.5, -1, 2])],
                    metadata: ["format": "vae-checkpoint-1", "vae_config": #"{"latent":2,"hidden":[3]}"#]).encoded(),
    SafeTensorsFile(tensors: [NamedTensor(name: "step", shape: [1], int64s: [42]),
                              NamedTensor(name: "state", shape: [4], uint64s: [1, 2, .max, 0]),
                              NamedTensor(name: "d", shape: [2], doubles: [1e300, -0.0]),
                              NamedTensor(name: "i", shape: [1, 1], values: .int32([-7])),
                              NamedTensor(name: "h", shape: [2], values: .float16Bits([0x3C00, 0x7E00])),
                              NamedTensor(name: "g", shape: [1], values: .bfloat16Bits([0x3F80])),
                              NamedTensor(name: "u", shape: [3], values: .uint8([0, 128, 255]))]).encoded(),
    SafeTensorsFile(tensors: [NamedTensor(name: "scalar", shape: [], floats: [3]),
                              NamedTensor(name: "empty", shape: [0, 5], floats: [])],
                    metadata: ["epochs_completed": "7"]).encoded(),
]

/// Header length of a safetensors file (its first 8 bytes), 0 when too short.
private func declaredHeaderLength(_ bytes: [UInt8]) -> Int {
    guard bytes.count >= 8 else { return 0 }
    return Int(truncatingIfNeeded: bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
}

/// The file with one number in its header replaced by an extreme value and the length prefix rewritten,
/// so the damage reaches the checks behind the JSON parser.
private func withExtremeHeaderNumber(_ bytes: [UInt8], mutator: inout Mutator) -> [UInt8] {
    let length = declaredHeaderLength(bytes)
    guard length > 0, 8 + length <= bytes.count else { return bytes }
    let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
    let changed = Array(mutator.replaceNumber(in: header).utf8)
    var result = withUnsafeBytes(of: UInt64(changed.count).littleEndian) { Array($0) }
    result += changed
    result += bytes[(8 + length)...]
    return result
}

@Suite("safetensors reader fuzzing")
struct SafeTensorsFuzzTests {
    @Test("mutation fuzzer: damaged files never crash, hang or allocate beyond their size; what is accepted re-encodes")
    func fuzz() throws {
        let iterations = try fuzzIterations(standard: 10_000)
        let report = try FuzzSupport.fuzz("safetensors fuzzer", iterations: iterations, seed: 1313, makeInput: { mutator in
            var bytes = [UInt8](mutator.pick(fuzzBases))
            switch mutator.below(4) {
            case 0: mutator.overwriteLittleEndianUInt64(&bytes, at: 0)
            case 1: bytes = withExtremeHeaderNumber(bytes, mutator: &mutator)
            default: break
            }
            if mutator.below(3) != 0 { bytes = mutator.mutateBytes(bytes) }
            return bytes
        }, read: { bytes, iteration in
            do {
                let file = try SafeTensorsFile(data: Data(bytes), sourceName: "fuzz.safetensors")
                // Whatever is accepted is self-consistent: shapes match values, and it survives a round trip.
                for tensor in file.tensors {
                    try #require(tensor.shape.reduce(1, *) == tensor.values.count, "iteration \(iteration): \(tensor.name)")
                }
                let again = try SafeTensorsFile(data: file.encoded(), sourceName: "again")
                try #require(again.names.sorted() == file.names.sorted() && again.metadata == file.metadata,
                             "iteration \(iteration): the round trip changed the file")
                return .accepted
            } catch let error as SafeTensorsError {
                try #require(error.description.contains("fuzz.safetensors") && !error.description.contains("\n"),
                             "iteration \(iteration): \(error)")
                return .refused
            }
        })
        #expect(report.violations.isEmpty, "\(report.violations.joined(separator: "; "))")
        #expect(report.accepted > 0, "some mutations (in values or metadata text) leave a valid file")
        print(report)
    }
}
