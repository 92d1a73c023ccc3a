// Kotlin-friendly wrapper over the generated bindings: a StateFlow of the bridge's picture,
// a Flow of updates, and suspend functions. Pure Kotlin + coroutines (no Android API), so it is
// compiled and tested on the JVM in CI.
package glass.mentra.bridge

import glass.mentra.bridge.ffi.BridgeListener
import glass.mentra.bridge.ffi.BridgeSettings
import glass.mentra.bridge.ffi.BridgeSnapshot
import glass.mentra.bridge.ffi.BridgeUpdate
import glass.mentra.bridge.ffi.LinkSpec
import glass.mentra.bridge.ffi.MentraBridge
import glass.mentra.bridge.ffi.Wifi
import glass.mentra.bridge.ffi.WifiNetworkRecord
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.withContext

/**
 * One bridge. [state] always holds the latest picture; [updates] is every update in order
 * (the first is a Snapshot). Call [close] when done (it blocks briefly; call it off the main
 * thread).
 */
class MentraBridgeClient private constructor(private val bridge: MentraBridge) : AutoCloseable {
    private val _state = MutableStateFlow(bridge.snapshot())

    /** The current picture, updated from a bridge thread. */
    val state: StateFlow<BridgeSnapshot> = _state.asStateFlow()

    private val stateSubscription = bridge.subscribe(object : BridgeListener {
        override fun onUpdate(update: BridgeUpdate) {
            _state.value = bridge.snapshot()
        }
    })

    /** Every update in order; collecting subscribes, cancelling unsubscribes. */
    val updates: Flow<BridgeUpdate> = callbackFlow {
        val handle = bridge.subscribe(object : BridgeListener {
            override fun onUpdate(update: BridgeUpdate) {
                trySend(update)
            }
        })
        awaitClose { handle.cancel() }
    }.buffer(256)

    /** The glasses' Wi-Fi networks, strongest first. */
    suspend fun scanWifi(): List<WifiNetworkRecord> = bridge.scanWifi()

    /** The glasses' Wi-Fi. */
    suspend fun wifiStatus(): Wifi = bridge.wifiStatus()

    /** Sends Wi-Fi credentials; refused over an unencrypted link unless allowed. */
    suspend fun setWifi(ssid: String, password: String, security: String = "wpa2", allowUnencrypted: Boolean = false) =
        bridge.setWifi(ssid, password, security, allowUnencrypted)

    /** Stops the bridge (waits up to 5 s). */
    suspend fun shutdown() = withContext(Dispatchers.IO) { close() }

    override fun close() {
        stateSubscription.cancel()
        bridge.shutdown()
        bridge.close()
    }

    companion object {
        /** Starts a bridge to the cloud at [cloudUrl] over [link]. */
        fun start(cloudUrl: String, coreToken: String, link: LinkSpec): MentraBridgeClient =
            MentraBridgeClient(
                MentraBridge(
                    BridgeSettings(cloudUrl = cloudUrl, coreToken = coreToken, startTimeoutSecs = 30u, cloudGraceSecs = 60u),
                    link,
                ),
            )
    }
}
