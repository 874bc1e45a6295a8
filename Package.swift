// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "reconcile",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "reconcile", targets: ["reconcile"]),
        .library(name: "ReconcileCore", targets: ["ReconcileCore"]),
        .library(name: "ReconcileCDB", targets: ["ReconcileCDB"]),
        .library(name: "ReconcileJSON", targets: ["ReconcileJSON"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYaml",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "ReconcileYAML", dependencies: ["CYaml"]),
        .target(name: "CSystemCalls"),
        .target(name: "ReconcileCDB"),
        .target(name: "ReconcileTOML"),
        .target(name: "ReconcileJSON"),
        .target(
            name: "ReconcileCore",
            dependencies: [
                "ReconcileYAML",
                "ReconcileCDB",
                "ReconcileTOML",
                "ReconcileJSON",
                "CSystemCalls",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "ReconcileProviders",
            dependencies: ["ReconcileCore", "ReconcileCDB", "ReconcileJSON", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "ReconcileCLI",
            dependencies: [
                "ReconcileCore",
                "ReconcileProviders",
                "ReconcileJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "reconcile", dependencies: ["ReconcileCLI"]),
        .testTarget(name: "ReconcileYAMLTests", dependencies: ["ReconcileYAML"]),
        .testTarget(name: "ReconcileCDBTests", dependencies: ["ReconcileCDB"]),
        .testTarget(name: "ReconcileTOMLTests", dependencies: ["ReconcileTOML"]),
        .testTarget(name: "ReconcileJSONTests", dependencies: ["ReconcileJSON"]),
        .testTarget(
            name: "ReconcileCoreTests",
            dependencies: ["ReconcileCore", "ReconcileProviders", "ReconcileJSON"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ReconcileCLITests",
            dependencies: ["ReconcileCLI", "ReconcileCore", "ReconcileProviders", "ReconcileJSON"],
            // Read from the source tree (so RECORD_SNAPSHOTS=1 can rewrite them), not bundled.
            exclude: ["Snapshots"]
        ),
    ]
)
