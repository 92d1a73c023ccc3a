// How an Android app drives the bridge over its own BLE stack: the example the README quotes,
// compiled against the generated bindings and the wrapper in CI (bindings/tests/kotlin/run.sh).
// `Gatt` stands for the app's BLE library (Android's BluetoothGatt, Nordic's BleManager, …):
// the only part that differs from app to app.
package glass.mentra.bridge.examples

import glass.mentra.bridge.MentraBridgeClient
import glass.mentra.bridge.ffi.BridgeSnapshot
import glass.mentra.bridge.ffi.DisconnectReason
import glass.mentra.bridge.ffi.GattProfile
import glass.mentra.bridge.ffi.HostTransport
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch

/** The app's BLE library, reduced to what the bridge needs. */
interface Gatt {
    fun write(characteristic: String, value: ByteArray, withResponse: Boolean)
    fun reconnect()
}

/** Writes the bridge's packets with the app's stack; the GATT callbacks below report back. */
class GlassesTransport(private val gatt: Gatt, private val profile: GattProfile) : HostTransport {
    override fun write(packet: ByteArray) =
        gatt.write(profile.writeCharacteristic, packet, profile.writeWithResponse)

    override fun reconnect() = gatt.reconnect()
}

class GlassesConnection(scope: CoroutineScope, gatt: Gatt, cloudUrl: String, coreToken: String, render: (BridgeSnapshot) -> Unit) {
    // Scan for either service; here the glasses turned out to speak Mentra Live's wire.
    private val profile = MentraBridgeClient.gatt.last()
    val bridge = MentraBridgeClient.withHostLink(cloudUrl, coreToken, GlassesTransport(gatt, profile), writeWindow = 1u)

    init {
        scope.launch { bridge.state.collect { render(it) } }
    }

    // From BluetoothGattCallback (any thread; these never throw, even after close):
    fun onServicesReady(mtu: Int) = bridge.hostLink?.connectedAs(mtu.toUShort(), profile.dialect)
    fun onMtuChanged(mtu: Int) = bridge.hostLink?.mtuChanged(mtu.toUShort())
    fun onCharacteristicChanged(value: ByteArray) = bridge.hostLink?.received(value)
    fun onCharacteristicWrite(uuid: String, status: Int) {
        if (uuid.equals(profile.writeCharacteristic, ignoreCase = true)) {
            bridge.hostLink?.writeCompleted(if (status == 0) null else "GATT status $status")
        }
    }
    fun onDisconnected(status: Int) = bridge.hostLink?.disconnectedBecause(DisconnectReason.GattStatus(status))

    // Network changes and foregrounding: dial the cloud now; a refreshed token: pass it on.
    suspend fun onNetworkChanged() = bridge.reconnectNow()
    suspend fun onTokenRefreshed(token: String) = bridge.updateToken(token)

    // onDestroy: returns at once; bridge.updates completes when the bridge has closed.
    fun close() = bridge.close()
}
