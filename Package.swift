// swift-tools-version: 6.0
// Sprig: a compiler from small neural networks (model.json) to fixed-point C for host, Cortex-M and HLS.
import PackageDescription

let package = Package(
    name: "sprig",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gen", targets: ["gen"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // GNU Scientific Library (BLAS through GSL's CBLAS interface): the float64 reference.
        .systemLibrary(name: "CGSL", path: "Sources/CGSL"),
        // Leaf: diagnostics with source locations, the located JSON reader, fixed-point helpers.
        .target(name: "GenSupport"),
        // Toolchains/*.json -> TargetDescription.
        .target(name: "GenTarget", dependencies: ["GenSupport"]),
        // Stages 1-2: model.json -> Graph (shapes inferred, batchnorm folded); data sets; float executor.
        .target(
            name: "GenModel",
            dependencies: ["GenSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // Stage 1-2 for ONNX: a sequential ONNX graph -> the same Graph (code generated from Schemas/onnx.proto).
        .target(
            name: "GenONNX",
            dependencies: ["GenSupport", "GenModel", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // Training: forward/backward for every layer, Adam/SGD with fixed masks (BLAS through GSL's CBLAS).
        .target(name: "GenLearn", dependencies: ["CGSL", "GenModel", "GenSupport"]),
        // Stage 3: pruning (EDP's SVD through GSL), calibration, quantization -> QuantizedGraph.
        .target(name: "GenCompress", dependencies: ["CGSL", "GenSupport", "GenModel", "GenTarget"]),
        // Stage 4: QuantizedGraph -> Program (tables, steps, arena) and its bit-exact simulator.
        .target(name: "GenLowering", dependencies: ["GenSupport", "GenModel", "GenCompress", "GenTarget"]),
        // Stage 5: Program -> C files, through Templates/.
        .target(
            name: "GenEmitC",
            dependencies: [
                "GenSupport", "GenModel", "GenLowering", "GenTarget",
                .product(name: "Mustache", package: "swift-mustache"),
            ]),
        // Pipeline, reports, file output.
        .target(
            name: "GenDriver",
            dependencies: [
                "GenSupport", "GenTarget", "GenModel", "GenONNX", "GenLearn", "GenCompress", "GenLowering", "GenEmitC",
            ]),
        // The float64 reference forward pass through GSL (used by the tests, independent of the engine).
        .target(name: "GenReference", dependencies: ["CGSL", "GenModel"]),
        // libFuzzer targets (Scripts/fuzz.sh); ordinary builds make corpus-replay tools of them.
        .executableTarget(name: "FuzzModelReader", dependencies: ["GenModel", "GenSupport"]),
        .executableTarget(name: "FuzzDataReader", dependencies: ["GenModel", "GenSupport"]),
        // Training throughput benchmark (Scripts/bench_train.py).
        .executableTarget(name: "sprig-train-bench", dependencies: ["GenLearn", "GenModel", "GenSupport"]),
        .executableTarget(
            name: "gen",
            dependencies: ["GenDriver", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "GenSupportTests", dependencies: ["GenSupport"]),
        .testTarget(name: "GenModelTests", dependencies: ["GenModel", "GenSupport"]),
        .testTarget(name: "GenCompressTests", dependencies: ["GenCompress", "GenModel", "GenSupport"]),
        .testTarget(name: "GenLearnTests", dependencies: ["GenLearn", "GenModel", "GenSupport"]),
        .testTarget(name: "GenLoweringTests", dependencies: ["GenLowering", "GenTarget", "GenSupport"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["GenCompress", "GenDriver", "GenEmitC", "GenReference", "GenLowering", "GenModel", "GenSupport", "gen"]),
    ]
)
