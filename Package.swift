// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vae",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vae", targets: ["vae"]),
        .library(name: "VAEModel", targets: ["VAEModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, each behind exactly one Swift file.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "TensorCore", dependencies: ["COpenBLAS"]),
        .target(name: "NN", dependencies: ["TensorCore"]),
        .target(name: "MNISTData", dependencies: ["CZlib", "TensorCore"],
                resources: [.copy("Resources/mnist-mini")]),
        .target(name: "ImageIO", dependencies: ["CPNG"]),
        .target(name: "SafeTensors"),
        .target(name: "VAEModel", dependencies: ["TensorCore", "NN", "MNISTData", "ImageIO", "SafeTensors"]),
        .executableTarget(name: "vae", dependencies: [
            "VAEModel", "MNISTData", "ImageIO", "TensorCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TensorCore"]),
        .testTarget(name: "MNISTDataTests", dependencies: ["MNISTData", "TensorCore"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "VAEModelTests", dependencies: ["VAEModel", "NN", "TensorCore", "MNISTData"]),
        .testTarget(name: "vaeTests", dependencies: ["ImageIO", "SafeTensors"]),
    ]
)
