import Foundation
import Testing
@testable import SafeTensors

@Test(arguments: [
    (UInt16(0x3C00), Float(1.0)),
    (0xC000, -2.0),
    (0x3800, 0.5),
    (0x7BFF, 65504),
    (0x0001, 0x1p-24),           // smallest subnormal
    (0x03FF, 1023 * 0x1p-24),    // largest subnormal
    (0x0400, 0x1p-14),           // smallest normal
    (0x3555, 0.333251953125),
    (0x7C00, .infinity),
    (0xFC00, -.infinity),
])
func halfPrecisionDecodesKnownValues(bits: UInt16, expected: Float) {
    #expect(floatFromHalfBits(bits) == expected)
}

@Test func halfPrecisionSignedZeroAndNaN() {
    #expect(floatFromHalfBits(0x8000).bitPattern == (-0.0 as Float).bitPattern)
    #expect(floatFromHalfBits(0x0000).bitPattern == (0.0 as Float).bitPattern)
    #expect(floatFromHalfBits(0x7E00).isNaN)
    #expect(floatFromHalfBits(0x8001) == -0x1p-24)
}

@Test(arguments: [
    (UInt16(0x3F80), Float(1.0)),
    (0xC000, -2.0),
    (0x3F00, 0.5),
    (0x477F, 65280),             // 65504 is not representable in bfloat16
    (0x0001, 0x1p-133),          // smallest subnormal
    (0x8000, -0.0),
    (0x7F80, .infinity),
])
func bfloat16DecodesKnownValues(bits: UInt16, expected: Float) {
    #expect(floatFromBFloat16Bits(bits) == expected)
}

@Test func halfPrecisionTensorsReadFromAFileConvertToFloat() throws {
    let header = #"{"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]},"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]}}"#
    let data = handMadeFile(header: header, buffer: littleEndianHalfBytes([0x3C00, 0xC000, 0x0001, 0x3F00, 0xBF80]))
    let file = try SafeTensorsFile(data: data)
    #expect(try file.floatValues(named: "h", expectedShape: [3]) == [1, -2, 0x1p-24])
    #expect(try file.floatValues(named: "b") == [0.5, -1])
    #expect(try file.doubleValues(named: "b") == [0.5, -1])
    #expect(try file.tensor(named: "h").values == .float16Bits([0x3C00, 0xC000, 0x0001]))
}

@Test func integerTensorsReadFromAFile() throws {
    let header = #"{"i":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"U8","shape":[2,1],"data_offsets":[8,10]}}"#
    let data = handMadeFile(header: header, buffer: [0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00, 200, 3])
    let file = try SafeTensorsFile(data: data)
    #expect(try file.int64Values(named: "i") == [-1, 2])
    #expect(try file.int64Values(named: "u", expectedShape: [2, 1]) == [200, 3])
    #expect(try file.tensor(named: "u").values == .uint8([200, 3]))
}

@Test func uint64ValuesReinterpretsInt64BitPatterns() throws {
    let file = SafeTensorsFile(tensors: [NamedTensor(name: "state", shape: [2], int64s: [-1, 5])])
    #expect(try file.uint64Values(named: "state") == [UInt64.max, 5])
}

@Test func accessorsRefuseMissingTensorsWrongDTypesAndShapes() {
    let file = SafeTensorsFile(
        tensors: [
            NamedTensor(name: "w", shape: [2, 2], floats: [1, 2, 3, 4]),
            NamedTensor(name: "step", shape: [1], int64s: [3]),
        ],
        sourceName: "ckpt.safetensors")
    #expect(throws: SafeTensorsError.tensorNotFound(source: "ckpt.safetensors", name: "v", available: ["w", "step"])) {
        try file.floatValues(named: "v")
    }
    #expect(throws: SafeTensorsError.dtypeMismatch(source: "ckpt.safetensors", name: "step", actual: .int64, requested: "Float")) {
        try file.floatValues(named: "step")
    }
    #expect(throws: SafeTensorsError.dtypeMismatch(source: "ckpt.safetensors", name: "w", actual: .float32, requested: "Int64")) {
        try file.int64Values(named: "w")
    }
    #expect(throws: SafeTensorsError.dtypeMismatch(source: "ckpt.safetensors", name: "w", actual: .float32, requested: "UInt64")) {
        try file.uint64Values(named: "w")
    }
    #expect(throws: SafeTensorsError.shapeMismatch(source: "ckpt.safetensors", name: "w", actual: [2, 2], expected: [4])) {
        try file.floatValues(named: "w", expectedShape: [4])
    }
    #expect(file.contains(tensorNamed: "w"))
    #expect(!file.contains(tensorNamed: "v"))
}

@Test func doubleValuesAreExactForF64AndWidenF32() throws {
    let file = SafeTensorsFile(tensors: [
        NamedTensor(name: "d", shape: [1], doubles: [0.1]),
        NamedTensor(name: "f", shape: [1], floats: [0.1]),
    ])
    #expect(try file.doubleValues(named: "d") == [0.1])
    #expect(try file.doubleValues(named: "f") == [Double(Float(0.1))])
    #expect(try file.floatValues(named: "d") == [Float(0.1)])
}
