// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vae",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vae", targets: ["vae"]),
        .library(name: "VAEModel", targets: ["VAEModel"]),
        .library(name: "VAERun", targets: ["VAERun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, each behind exactly one Swift file.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Leaves: no dependency on any other module of the package.
        .target(name: "SeededRandom"),
        .target(name: "FileErrors"),
        .target(name: "Batches", dependencies: ["SeededRandom"]),
        .target(name: "ImageIO", dependencies: ["CPNG", "FileErrors"]),
        .target(name: "SafeTensors", dependencies: ["FileErrors"]),
        .target(name: "MNISTData", dependencies: ["CZlib", "SeededRandom", "Batches", "FileErrors"],
                resources: [.copy("Resources/mnist-mini")]),

        // The stack: vae → VAERun → VAEModel → NN → TensorCore.
        .target(name: "TensorCore", dependencies: ["COpenBLAS"]),
        // -fno-math-errno: Swift's square root goes through a C shim (LibcShims.h) that glibc's errno
        // convention compiles to a scalar sqrt plus a branch per lane; without errno, Adam's SIMD8 square
        // root is one vector instruction (IEEE sqrt either way, so results are the same bytes).
        .target(name: "NN", dependencies: ["TensorCore", "SeededRandom"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-fno-math-errno"])]),
        .target(name: "VAEModel", dependencies: ["NN", "TensorCore", "SeededRandom", "Batches"]),
        .target(name: "VAERun", dependencies: [
            "VAEModel", "NN", "TensorCore", "SeededRandom", "Batches", "MNISTData", "ImageIO", "SafeTensors", "FileErrors",
        ]),
        .executableTarget(name: "vae", dependencies: [
            "VAERun", "VAEModel", "NN", "TensorCore", "SeededRandom", "Batches", "MNISTData", "ImageIO", "FileErrors",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the tests: mutation fuzzing and peak-memory measurement.
        .target(name: "FuzzSupport", dependencies: ["SeededRandom"]),

        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "SeededRandom"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TensorCore", "SeededRandom"]),
        .testTarget(name: "MNISTDataTests", dependencies: ["MNISTData", "Batches", "SeededRandom", "FuzzSupport"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "SeededRandom", "FuzzSupport"]),
        .testTarget(name: "VAEModelTests", dependencies: ["VAEModel", "NN", "TensorCore", "SeededRandom", "Batches", "MNISTData"]),
        .testTarget(name: "VAERunTests", dependencies: ["VAERun", "VAEModel", "MNISTData", "SeededRandom", "ImageIO", "SafeTensors",
                                                   "NN", "FuzzSupport", "FileErrors"]),
        .testTarget(name: "vaeTests", dependencies: ["ImageIO", "SafeTensors"]),
    ]
)
