// Kotlin-friendly wrapper over the generated bindings: a StateFlow of the bridge's picture, a
// Flow of updates that completes when the bridge closes, suspend functions, and the host link
// (the app's own BLE stack) as a first-class way in. Pure Kotlin + coroutines (no Android
// API), so it is compiled and tested on the JVM in CI.
package glass.mentra.bridge

import glass.mentra.bridge.ffi.BridgeListener
import glass.mentra.bridge.ffi.BridgeSettings
import glass.mentra.bridge.ffi.BridgeSnapshot
import glass.mentra.bridge.ffi.BridgeUpdate
import glass.mentra.bridge.ffi.GattProfile
import glass.mentra.bridge.ffi.HostLinkHandle
import glass.mentra.bridge.ffi.HostTransport
import glass.mentra.bridge.ffi.LinkSpec
import glass.mentra.bridge.ffi.MentraBridge
import glass.mentra.bridge.ffi.Wifi
import glass.mentra.bridge.ffi.WifiNetworkRecord
import glass.mentra.bridge.ffi.gattProfiles
import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.withContext

/**
 * One bridge. [state] always holds the latest picture (conflated: a slow reader sees the
 * newest); [updates] is every update in order, first a Snapshot, and completes when the bridge
 * closes. Nothing here blocks the calling thread: [close] returns at once, [shutdown] suspends
 * until the bridge has closed.
 */
class MentraBridgeClient private constructor(private val bridge: MentraBridge) : AutoCloseable {
    private val _state = MutableStateFlow(bridge.snapshot())

    /** Set once the app closed this client (the Rust object is released then). */
    private val released = AtomicBoolean(false)

    /** The current picture, updated from a bridge thread. */
    val state: StateFlow<BridgeSnapshot> = _state.asStateFlow()

    private val stateSubscription = bridge.subscribe(object : BridgeListener {
        override fun onUpdate(update: BridgeUpdate) {
            if (!released.get()) _state.value = bridge.snapshot()
        }

        override fun onClosed() {}
    })

    /**
     * Every update in order; collecting subscribes, cancelling unsubscribes, and the flow
     * completes when the bridge closes. Overflow policy: [UPDATE_BUFFER] updates are buffered
     * per collector; a collector slower than that makes the bridge's listener thread wait
     * (nothing is dropped), and one that falls further behind is resynced by the bridge with a
     * fresh Snapshot.
     */
    val updates: Flow<BridgeUpdate> = callbackFlow {
        val listener = object : BridgeListener {
            override fun onUpdate(update: BridgeUpdate) {
                trySendBlocking(update)
            }

            override fun onClosed() {
                channel.close()
            }
        }
        // Collected after close: there is nothing more to say, so the flow just completes.
        val handle = if (released.get()) null else runCatching { bridge.subscribe(listener) }.getOrNull()
        if (handle == null) channel.close()
        awaitClose { handle?.cancel() }
    }.buffer(UPDATE_BUFFER)

    /** Where the app reports its BLE stack's events ([withHostLink] bridges only). */
    val hostLink: HostLinkHandle? = bridge.hostLink()

    /** True once the bridge has closed, or [close] was called. */
    val isClosed: Boolean get() = released.get() || bridge.isClosed()

    /** The glasses' Wi-Fi networks, strongest first. */
    suspend fun scanWifi(): List<WifiNetworkRecord> = bridge.scanWifi()

    /** The glasses' Wi-Fi. */
    suspend fun wifiStatus(): Wifi = bridge.wifiStatus()

    /** Sends Wi-Fi credentials; refused over an unencrypted link unless allowed. */
    suspend fun setWifi(ssid: String, password: String, security: String = "wpa2", allowUnencrypted: Boolean = false) =
        bridge.setWifi(ssid, password, security, allowUnencrypted)

    /** A new core token (the old one expired): used from the next cloud connection on. */
    suspend fun updateToken(coreToken: String) = bridge.updateToken(coreToken)

    /** The phone's network changed, or the app came to the foreground: dial the cloud now. */
    suspend fun reconnectNow() = bridge.reconnectNow()

    /** Closes the bridge and suspends until it has (never blocks a thread). */
    suspend fun shutdown() {
        if (released.get()) return
        bridge.shutdownAndWait()
        close()
    }

    /** Starts closing the bridge and returns at once; [updates] completes when it has closed. */
    override fun close() {
        if (released.getAndSet(true)) return
        stateSubscription.cancel()
        bridge.shutdown()
        bridge.close()
    }

    companion object {
        /** Updates buffered per collector of [updates]. */
        const val UPDATE_BUFFER = 256

        /** The GATT profiles to scan for and connect to: ours, then Mentra Live's. */
        val gatt: List<GattProfile> get() = gattProfiles()

        private fun settings(cloudUrl: String, coreToken: String) =
            BridgeSettings(cloudUrl = cloudUrl, coreToken = coreToken, startTimeoutSecs = 30u, cloudGraceSecs = 60u)

        /** Starts a bridge to the cloud at [cloudUrl] over [link] (TCP, or a simulator). */
        fun start(cloudUrl: String, coreToken: String, link: LinkSpec): MentraBridgeClient =
            MentraBridgeClient(MentraBridge(settings(cloudUrl, coreToken), link))

        /**
         * Starts a bridge over the app's own BLE stack: [transport] writes packets; report the
         * stack's events through [hostLink]. [writeWindow]: writes the app may hold before it
         * reports them with `writeCompleted` (1 for Android's one GATT operation at a time; 0
         * when the app does not report completions).
         */
        fun withHostLink(
            cloudUrl: String,
            coreToken: String,
            transport: HostTransport,
            writeWindow: UInt = 1u,
        ): MentraBridgeClient =
            MentraBridgeClient(MentraBridge.withHostLink(settings(cloudUrl, coreToken), transport, writeWindow))

        /** [start], off the calling thread: safe from the main thread. */
        suspend fun open(cloudUrl: String, coreToken: String, link: LinkSpec): MentraBridgeClient =
            withContext(Dispatchers.Default) { start(cloudUrl, coreToken, link) }

        /** [withHostLink], off the calling thread: safe from the main thread. */
        suspend fun openWithHostLink(
            cloudUrl: String,
            coreToken: String,
            transport: HostTransport,
            writeWindow: UInt = 1u,
        ): MentraBridgeClient = withContext(Dispatchers.Default) { withHostLink(cloudUrl, coreToken, transport, writeWindow) }
    }
}
