// swift-tools-version:5.9
// Mentra Bridge for iOS and macOS: the Rust library as a binary XCFramework (built by
// build-xcframework.sh with a slice per platform below), the generated UniFFI Swift, and an
// async/await wrapper. The library's own BLE link (btleplug) uses CoreBluetooth.
import PackageDescription

let package = Package(
    name: "MentraBridge",
    // The XCFramework has these slices: iOS devices, the iOS simulator (arm64 + x86_64), and
    // macOS (arm64 + x86_64). Deployment targets match build-xcframework.sh.
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "MentraBridge", targets: ["MentraBridge"]),
    ],
    targets: [
        .binaryTarget(name: "MentraBridgeFFIC", path: "MentraBridgeFFIC.xcframework"),
        .target(
            name: "MentraBridge",
            dependencies: ["MentraBridgeFFIC"],
            path: "Sources/MentraBridge",
            linkerSettings: [
                .linkedFramework("CoreBluetooth"),
                .linkedFramework("Foundation"),
            ]
        ),
    ]
)
