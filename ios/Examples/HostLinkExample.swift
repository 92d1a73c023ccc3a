// How an iOS app drives the bridge over its own CoreBluetooth stack: the example the README
// quotes, parsed with tree-sitter-swift in CI (no Swift compiler on our machines).
import CoreBluetooth
import MentraBridge

// CoreBluetooth objects are used from the central's queue only; the bridge calls `write` on
// its own threads, so hop there in a real app (peripheral.writeValue is queue-safe in practice).
final class GlassesTransport: HostTransport, @unchecked Sendable {
    private let peripheral: CBPeripheral
    private let characteristic: CBCharacteristic
    private let profile: GattProfile

    init(peripheral: CBPeripheral, characteristic: CBCharacteristic, profile: GattProfile) {
        self.peripheral = peripheral
        self.characteristic = characteristic
        self.profile = profile
    }

    func write(packet: Data) throws {
        let type: CBCharacteristicWriteType = profile.writeWithResponse ? .withResponse : .withoutResponse
        peripheral.writeValue(packet, for: characteristic, type: type)
    }

    func reconnect() throws {
        // Cancel and connect again with the app's CBCentralManager.
    }
}

final class GlassesConnection: NSObject, CBPeripheralDelegate {
    let bridge: MentraBridgeClient
    private let profile = MentraBridgeClient.gatt.last!

    init(peripheral: CBPeripheral, characteristic: CBCharacteristic, cloudUrl: String, coreToken: String) throws {
        let transport = GlassesTransport(peripheral: peripheral, characteristic: characteristic, profile: profile)
        let window: UInt32 = profile.writeWithResponse ? 1 : 0
        bridge = try MentraBridgeClient.withHostLink(cloudUrl: cloudUrl, coreToken: coreToken, transport: transport, writeWindow: window)
        super.init()
    }

    // From the CoreBluetooth delegates (any queue; these never throw, even after close):
    func servicesReady(mtu: Int) {
        bridge.hostLink?.connectedAs(mtu: UInt16(mtu), dialect: profile.dialect)
    }

    func peripheral(_ peripheral: CBPeripheral, didUpdateValueFor characteristic: CBCharacteristic, error: Error?) {
        if let value = characteristic.value { bridge.hostLink?.received(packet: value) }
    }

    // Writes with response (Mentra Live's profile) finish here, one callback per write; writes
    // without response (ours) have no per-write callback: use writeWindow 0 for that profile.
    func peripheral(_ peripheral: CBPeripheral, didWriteValueFor characteristic: CBCharacteristic, error: Error?) {
        guard characteristic.uuid.uuidString.lowercased() == profile.writeCharacteristic else { return }
        bridge.hostLink?.writeCompleted(error: error?.localizedDescription)
    }

    func disconnected(error: Error?) {
        let code = (error as? CBError)?.code.rawValue ?? 0
        bridge.hostLink?.disconnectedBecause(reason: .coreBluetooth(code: Int64(code), description: error?.localizedDescription ?? "disconnected"))
    }

    // Network changes and foregrounding: dial the cloud now.
    func networkChanged() async throws { try await bridge.reconnectNow() }

    // Returns at once; `bridge.updates` finishes when the bridge has closed.
    func close() { bridge.close() }
}
