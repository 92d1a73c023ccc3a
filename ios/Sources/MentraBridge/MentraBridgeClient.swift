// Swift-friendly wrapper over the generated bindings: async/await methods, an AsyncStream of
// updates that finishes when the bridge closes, and the host link (the app's CoreBluetooth
// stack) as a first-class way in. The bridge calls listeners on its own threads; `updates`
// hands each one to whoever iterates the stream, and `onMain` hops to the main actor.
import Foundation

public final class MentraBridgeClient {
    private let bridge: MentraBridge

    /// Where the app reports its BLE stack's events (`withHostLink` bridges only).
    public let hostLink: HostLinkHandle?

    private init(bridge: MentraBridge) {
        self.bridge = bridge
        self.hostLink = bridge.hostLink()
    }

    private static func settings(_ cloudUrl: String, _ coreToken: String) -> BridgeSettings {
        BridgeSettings(cloudUrl: cloudUrl, coreToken: coreToken, startTimeoutSecs: 30, cloudGraceSecs: 60)
    }

    /// Starts a bridge to the cloud at `cloudUrl` over `link` (its own BLE, TCP, a simulator).
    public convenience init(cloudUrl: String, coreToken: String, link: LinkSpec) throws {
        self.init(bridge: try MentraBridge(settings: MentraBridgeClient.settings(cloudUrl, coreToken), link: link))
    }

    /// Starts a bridge over the app's own CoreBluetooth stack: `transport` writes packets;
    /// report the stack's events through `hostLink`. `writeWindow`: writes the app may hold
    /// before it reports them with `writeCompleted` (from `peripheralIsReady(toSendWriteWithoutResponse:)`
    /// or `didWriteValueFor`); 0 when the app does not report completions.
    public static func withHostLink(
        cloudUrl: String,
        coreToken: String,
        transport: HostTransport,
        writeWindow: UInt32 = 1
    ) throws -> MentraBridgeClient {
        let bridge = try MentraBridge.withHostLink(
            settings: settings(cloudUrl, coreToken),
            transport: transport,
            writeWindow: writeWindow
        )
        return MentraBridgeClient(bridge: bridge)
    }

    /// `init(cloudUrl:coreToken:link:)` off the calling thread: safe from the main actor.
    public static func open(cloudUrl: String, coreToken: String, link: LinkSpec) async throws -> MentraBridgeClient {
        try await Task.detached {
            try MentraBridgeClient(cloudUrl: cloudUrl, coreToken: coreToken, link: link)
        }.value
    }

    /// `withHostLink` off the calling thread: safe from the main actor.
    public static func openWithHostLink(
        cloudUrl: String,
        coreToken: String,
        transport: HostTransport,
        writeWindow: UInt32 = 1
    ) async throws -> MentraBridgeClient {
        try await Task.detached {
            try MentraBridgeClient.withHostLink(
                cloudUrl: cloudUrl, coreToken: coreToken, transport: transport, writeWindow: writeWindow)
        }.value
    }

    /// The GATT profiles to scan for and connect to: ours, then Mentra Live's.
    public static var gatt: [GattProfile] { gattProfiles() }

    /// The current picture.
    public var snapshot: BridgeSnapshot { bridge.snapshot() }

    /// True once the bridge has closed.
    public var isClosed: Bool { bridge.isClosed() }

    /// Every update in order, starting with a snapshot; finishes when the bridge closes.
    /// Ending the iteration unsubscribes. Buffering: unbounded per iterator (the bridge resyncs
    /// a subscriber that falls far behind with a fresh snapshot, so memory stays bounded).
    public var updates: AsyncStream<BridgeUpdate> {
        AsyncStream { continuation in
            let listener = Listener(
                deliver: { continuation.yield($0) },
                closed: { continuation.finish() }
            )
            let handle = bridge.subscribe(listener: listener)
            continuation.onTermination = { _ in handle.cancel() }
        }
    }

    /// Runs `body` on the main actor for each update (for UI state).
    public func onMain(_ body: @escaping @MainActor (BridgeUpdate) -> Void) -> Task<Void, Never> {
        let stream = updates
        return Task {
            for await update in stream {
                await MainActor.run { body(update) }
            }
        }
    }

    /// The flight recorder as JSON Lines (redacted): attach it to a bug report.
    public func exportDiagnostics() -> String { bridge.exportDiagnostics() }

    public func scanWifi() async throws -> [WifiNetworkRecord] { try await bridge.scanWifi() }
    public func wifiStatus() async throws -> Wifi { try await bridge.wifiStatus() }
    public func setWifi(ssid: String, password: String, security: String = "wpa2", allowUnencrypted: Bool = false) async throws {
        try await bridge.setWifi(ssid: ssid, password: password, security: security, allowUnencryptedLink: allowUnencrypted)
    }

    /// A new core token (the old one expired): used from the next cloud connection on.
    public func updateToken(_ coreToken: String) async throws { try await bridge.updateToken(coreToken: coreToken) }

    /// The phone's network changed, or the app came to the foreground: dial the cloud now.
    public func reconnectNow() async throws { try await bridge.reconnectNow() }

    /// Closes the bridge and waits until it has, without blocking a thread.
    public func shutdown() async { await bridge.shutdownAndWait() }

    /// Starts closing the bridge and returns at once (safe on the main thread); `updates`
    /// finishes when it has closed.
    public func close() { bridge.shutdown() }
}

// The closures are the AsyncStream's continuation, which is thread-safe.
private final class Listener: BridgeListener, @unchecked Sendable {
    private let deliver: (BridgeUpdate) -> Void
    private let closed: () -> Void
    init(deliver: @escaping (BridgeUpdate) -> Void, closed: @escaping () -> Void) {
        self.deliver = deliver
        self.closed = closed
    }
    func onUpdate(update: BridgeUpdate) { deliver(update) }
    func onClosed() { closed() }
}
