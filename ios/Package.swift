// swift-tools-version:5.9
// Mentra Bridge for iOS: the Rust library as a binary XCFramework (built by
// build-xcframework.sh), the generated UniFFI Swift, and an async/await wrapper.
import PackageDescription

let package = Package(
    name: "MentraBridge",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "MentraBridge", targets: ["MentraBridge"]),
    ],
    targets: [
        .binaryTarget(name: "MentraBridgeFFIC", path: "MentraBridgeFFIC.xcframework"),
        .target(
            name: "MentraBridge",
            dependencies: ["MentraBridgeFFIC"],
            path: "Sources/MentraBridge"
        ),
    ]
)
