// swift-tools-version:6.0
// A separate package, so the benchmark executable stays out of the product: it depends on
// the repository's ReconcileCDB library by path.
import PackageDescription

let package = Package(
    name: "cdb-bench",
    dependencies: [.package(name: "reconcile", path: "../..")],
    targets: [
        .executableTarget(
            name: "cdb-bench",
            dependencies: [.product(name: "ReconcileCDB", package: "reconcile")]
        ),
    ]
)
