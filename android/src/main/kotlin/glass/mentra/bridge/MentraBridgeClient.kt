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

    /** Set once the app called [close]. */
    private val released = AtomicBoolean(false)

    /** Set once the bridge said it closed (the state subscription's onClosed). */
    private val bridgeClosed = AtomicBoolean(false)

    /** Set once the native object is freed: after [close] and after the bridge closed. */
    private val destroyed = AtomicBoolean(false)

    /** The current picture, updated from a bridge thread; its last value is the closed one. */
    val state: StateFlow<BridgeSnapshot> = _state.asStateFlow()

    private val stateSubscription = bridge.subscribe(object : BridgeListener {
        override fun onUpdate(update: BridgeUpdate) {
            if (!destroyed.get()) runCatching { bridge.snapshot() }.onSuccess { _state.value = it }
        }

        override fun onClosed() {
            bridgeClosed.set(true)
            releaseIfDone()
        }
    })

    /** Frees the native object once the app is done with it and the bridge has closed. */
    private fun releaseIfDone() {
        if (released.get() && bridgeClosed.get() && destroyed.compareAndSet(false, true)) {
            bridge.close()
        }
    }

    /**
     * Every update in order; collecting subscribes, cancelling unsubscribes, and the flow
     * completes when the bridge closes. Overflow policy: [UPDATE_BUFFER] updates are buffered
     * per collector and the bridge's threads never wait for a collector; one that falls
     * further behind gets a fresh Snapshot in place of the updates it missed (state is never
     * lost; only intermediate updates are).
     */
    val updates: Flow<BridgeUpdate> = callbackFlow {
        val behind = AtomicBoolean(false)
        val listener = object : BridgeListener {
            override fun onUpdate(update: BridgeUpdate) {
                if (behind.get()) {
                    val snapshot = runCatching { bridge.snapshot() }.getOrNull() ?: return
                    if (trySend(BridgeUpdate.Snapshot(snapshot)).isSuccess) behind.set(false)
                    return // the snapshot already holds this update
                }
                if (!trySend(update).isSuccess) behind.set(true)
            }

            override fun onClosed() {
                channel.close()
            }
        }
        // Collected after close: there is nothing more to say, so the flow just completes.
        val handle = if (destroyed.get()) null else runCatching { bridge.subscribe(listener) }.getOrNull()
        if (handle == null) channel.close()
        awaitClose { handle?.cancel() }
    }.buffer(UPDATE_BUFFER)

    /** Where the app reports its BLE stack's events ([withHostLink] bridges only). */
    val hostLink: HostLinkHandle? = bridge.hostLink()

    /** True once the bridge has closed. */
    val isClosed: Boolean get() = bridgeClosed.get() || destroyed.get() || runCatching { bridge.isClosed() }.getOrDefault(true)

    /** The flight recorder as JSON Lines (redacted): attach it to a bug report. */
    fun exportDiagnostics(): String = bridge.exportDiagnostics()

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
        if (!destroyed.get()) bridge.shutdownAndWait()
        close()
    }

    /**
     * Starts closing the bridge and returns at once; [state] gets its last value and
     * [updates] completes when it has closed, and the native object is freed then.
     */
    override fun close() {
        if (released.getAndSet(true)) return
        bridge.shutdown()
        releaseIfDone()
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
