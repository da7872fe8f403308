// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "timmyd",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Protocol", targets: ["Protocol"]),
        .executable(name: "timmyd", targets: ["timmyd"]),
        .executable(name: "timmyctl", targets: ["timmyctl"]),
        .executable(name: "timmy-bench", targets: ["timmy-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // METRICS_LISTEN: swift-prometheus' registry holds the instruments and writes the text format.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // System libraries the user's design card names. Each header adds
        // typed wrappers for the variadic C functions and macros Swift cannot call.
        .systemLibrary(name: "CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        // prctl(2) is variadic: typed wrappers to turn core dumps off (libc only, no package).
        .systemLibrary(name: "CProcessControl"),

        .target(name: "Protocol", dependencies: ["CJansson"]),
        // QR codes for invoices, drawn as SVG (the daemon's web route) and as terminal
        // text (timmyctl). Not in Protocol: third-party callers should not need libqrencode.
        .target(name: "QRCode", dependencies: ["CQRencode"]),
        .executableTarget(
            name: "timmyd",
            dependencies: [
                "Protocol", "QRCode", "CSQLite", "CCurl", "COpenSSL", "CProcessControl",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "timmyctl",
            dependencies: [
                "Protocol", "QRCode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Measures the running daemon beside raw baselines (README, "Performance").
        .executableTarget(name: "timmy-bench", dependencies: ["Protocol", "CSQLite"]),

        .testTarget(name: "ProtocolTests", dependencies: ["Protocol"]),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode"]),
        .testTarget(
            name: "TimmydTests",
            // NIOEmbedded: connection handlers tested on an in-memory channel.
            // NIOTestUtils: NIO's ByteToMessageDecoderVerifier for the line framing.
            dependencies: [
                "timmyd", .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]),
        .testTarget(
            name: "IntegrationTests",
            // Logging: the in-process daemon's logs recorded in memory (RecordingLogHandler).
            dependencies: ["Protocol", "timmyd", "timmyctl", .product(name: "Logging", package: "swift-log")],
            // Run as `nobody` through setpriv by ConnectionHog, not a resource of the tests.
            // Snapshots/: help texts the snapshot tests read by path, not resources.
            exclude: ["Support/connection_hog.py", "Snapshots"]),
    ]
)
