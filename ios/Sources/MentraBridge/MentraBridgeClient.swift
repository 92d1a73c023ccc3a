// Swift-friendly wrapper over the generated bindings: async/await methods and an AsyncStream
// of updates. The bridge calls listeners on its own threads; `updates` hands each one to
// whoever iterates the stream, and `onMain` hops to the main actor for UI code.
import Foundation

public final class MentraBridgeClient {
    private let bridge: MentraBridge

    /// Starts a bridge to the cloud at `cloudUrl` over `link`.
    public init(cloudUrl: String, coreToken: String, link: LinkSpec) throws {
        bridge = try MentraBridge(
            settings: BridgeSettings(cloudUrl: cloudUrl, coreToken: coreToken, startTimeoutSecs: 30, cloudGraceSecs: 60),
            link: link
        )
    }

    /// The current picture.
    public var snapshot: BridgeSnapshot { bridge.snapshot() }

    /// Every update in order, starting with a snapshot. Ending the iteration unsubscribes.
    public var updates: AsyncStream<BridgeUpdate> {
        AsyncStream { continuation in
            let listener = Listener { continuation.yield($0) }
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

    public func scanWifi() async throws -> [WifiNetworkRecord] { try await bridge.scanWifi() }
    public func wifiStatus() async throws -> Wifi { try await bridge.wifiStatus() }
    public func setWifi(ssid: String, password: String, security: String = "wpa2", allowUnencrypted: Bool = false) async throws {
        try await bridge.setWifi(ssid: ssid, password: password, security: security, allowUnencryptedLink: allowUnencrypted)
    }

    /// Stops the bridge (blocks up to 5 s: call it off the main thread).
    public func shutdown() { bridge.shutdown() }
}

private final class Listener: BridgeListener {
    private let deliver: (BridgeUpdate) -> Void
    init(_ deliver: @escaping (BridgeUpdate) -> Void) { self.deliver = deliver }
    func onUpdate(update: BridgeUpdate) { deliver(update) }
}
