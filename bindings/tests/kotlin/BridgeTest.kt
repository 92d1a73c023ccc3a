// Kotlin binding tests on the JVM (JNA + JUnit 5): the generated bindings and the android/
// wrapper (MentraBridgeClient) against the host library with simulators.
import glass.mentra.bridge.MentraBridgeClient
import glass.mentra.bridge.ffi.BridgeListener
import glass.mentra.bridge.ffi.BridgeSettings
import glass.mentra.bridge.ffi.BridgeUpdate
import glass.mentra.bridge.ffi.GlassesState
import glass.mentra.bridge.ffi.InternalException
import glass.mentra.bridge.ffi.LinkSpec
import glass.mentra.bridge.ffi.MentraBridge
import glass.mentra.bridge.ffi.MentraException
import glass.mentra.bridge.ffi.SimulatedCloud
import glass.mentra.bridge.ffi.StreamStateKind
import glass.mentra.bridge.ffi.DisconnectReason
import glass.mentra.bridge.ffi.GlassesRadio
import glass.mentra.bridge.ffi.HostLinkHandle
import glass.mentra.bridge.ffi.HostTransport
import glass.mentra.bridge.ffi.SimulatedGlasses
import glass.mentra.bridge.ffi.debugPanic
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import java.util.Collections

class BridgeTest {
    private fun waitFor(what: String, seconds: Long = 15, check: () -> Boolean) {
        val deadline = System.currentTimeMillis() + seconds * 1000
        while (System.currentTimeMillis() < deadline) {
            if (check()) return
            Thread.sleep(20)
        }
        fail<Unit>("timed out waiting for $what")
    }

    @Test
    fun fullStreamReachesTheListenerInOrderOnABridgeThread() {
        val cloud = SimulatedCloud()
        val bridge = MentraBridge(BridgeSettings(cloud.url(), "kt-token", 30u, 60u), LinkSpec.Simulator(185u))
        val updates = Collections.synchronizedList(mutableListOf<BridgeUpdate>())
        val threads = Collections.synchronizedSet(mutableSetOf<String>())
        val handle = bridge.subscribe(object : BridgeListener {
            override fun onUpdate(update: BridgeUpdate) {
                updates.add(update)
                threads.add(Thread.currentThread().name)
            }

            override fun onClosed() {}
        })
        try {
            waitFor("glasses connected") { bridge.snapshot().glasses is GlassesState.Connected }
            assertTrue(cloud.startStream("skt1"))
            fun states() = updates.toList().filterIsInstance<BridgeUpdate.Stream>()
                .filter { it.status.streamId == "skt1" }.map { it.status.state }
            waitFor("streaming") { StreamStateKind.STREAMING in states() }
            assertTrue(cloud.keepAlive("skt1", "a1"))
            waitFor("ack") { "skt1:a1" in cloud.acks() }
            assertTrue(cloud.stopStream("skt1"))
            waitFor("stopped") { StreamStateKind.STOPPED in states() }
            assertTrue(states().indexOf(StreamStateKind.STREAMING) < states().indexOf(StreamStateKind.STOPPED))
            val export = bridge.exportDiagnostics()
            assertTrue(export.contains("\"kind\":\"stream\"") && export.contains("skt1"), "the recorder has the stream")
            assertTrue(!export.contains("kt-token") && !export.contains("skt1-key"), "and no secret")
            assertTrue(updates.first() is BridgeUpdate.Snapshot)
            assertTrue(Thread.currentThread().name !in threads)
        } finally {
            handle.cancel()
            bridge.shutdown()
        }
    }

    @Test
    fun theWrapperGivesAStateFlowAndSuspendFunctions() = runBlocking {
        val cloud = SimulatedCloud()
        val client = MentraBridgeClient.open(cloud.url(), "kt-token", LinkSpec.Simulator(185u))
        try {
            waitFor("the state flow to show the glasses connected") {
                client.state.value.glasses is GlassesState.Connected
            }
            // A new collector's first update is the whole picture.
            val first = withTimeout(5_000) { client.updates.first() }
            assertTrue(first is BridgeUpdate.Snapshot)
            assertTrue((first as BridgeUpdate.Snapshot).snapshot.glasses is GlassesState.Connected)
            val networks = client.scanWifi()
            assertEquals(1, networks.size)
            client.setWifi("home", "correct horse")
            assertEquals("home", client.wifiStatus().ssid)
        } finally {
            client.shutdown()
        }
    }

    @Test
    fun errorsAreTypedAndPanicsAreExceptions() {
        try {
            MentraBridge(BridgeSettings("http://nope", "t", 30u, 60u), LinkSpec.Simulator(185u))
            fail<Unit>("no error")
        } catch (e: MentraException.InvalidArgument) {
            assertTrue(e.message!!.contains("ws://"))
        }
        try {
            debugPanic("boom")
            fail<Unit>("no exception")
        } catch (e: InternalException) {
            assertTrue(e.message!!.contains("boom"))
        }
    }

    /** The app's BLE stack: writes go to the simulated glasses, notifications come back. */
    private class FakeBle : HostTransport {
        lateinit var glasses: SimulatedGlasses
        lateinit var host: HostLinkHandle
        val writes = AtomicInteger(0)
        @Volatile var throwOn = -1

        override fun write(packet: ByteArray) {
            if (writes.incrementAndGet() == throwOn) throw IllegalStateException("the app's BLE stack threw (simulated)")
            glasses.write(packet)
            host.writeCompleted(null)
        }

        override fun reconnect() {
            host.disconnectedBecause(DisconnectReason.ClosedByApp)
            host.connected(23u)
        }
    }

    private fun hostLinkClient(cloud: SimulatedCloud, ble: FakeBle): MentraBridgeClient {
        val client = MentraBridgeClient.withHostLink(cloud.url(), "kt-token", ble, writeWindow = 1u)
        ble.host = client.hostLink!!
        ble.glasses = SimulatedGlasses(object : GlassesRadio {
            override fun notify(packet: ByteArray) = ble.host.received(packet)
        })
        ble.glasses.connect(23u)
        ble.host.connected(23u)
        return client
    }

    @Test
    fun aFullStreamOverAHostLinkInKotlinWithAnMtuChangeMidStream() = runBlocking {
        val cloud = SimulatedCloud()
        val ble = FakeBle()
        val client = hostLinkClient(cloud, ble)
        try {
            waitFor("glasses connected") { client.state.value.glasses is GlassesState.Connected }
            assertTrue(cloud.startStream("skhost"))
            waitFor("streaming") { "skhost:streaming" in cloud.statuses() }
            ble.glasses.setMtu(247u)
            ble.host.mtuChanged(247u)
            waitFor("the new MTU") { (client.state.value.glasses as? GlassesState.Connected)?.mtu == 247.toUShort() }
            assertTrue(cloud.keepAlive("skhost", "k1"))
            waitFor("the keep-alive after the change acked") { "skhost:k1" in cloud.acks() }
            assertTrue(cloud.stopStream("skhost"))
            waitFor("stopped") { "skhost:stopped" in cloud.statuses() }
            assertEquals(1u, ble.glasses.hellos(), "no new session for the MTU change")
        } finally {
            client.shutdown()
        }
    }

    @Test
    fun aThrowingAppCallbackIsReportedAndTheBridgeKeepsRunning() = runBlocking {
        val cloud = SimulatedCloud()
        val ble = FakeBle()
        val client = hostLinkClient(cloud, ble)
        val warnings = Collections.synchronizedList(mutableListOf<String>())
        val subscribed = CompletableDeferred<Unit>()
        val collector = async(Dispatchers.Default) {
            client.updates.collect {
                subscribed.complete(Unit)
                if (it is BridgeUpdate.Warning) warnings.add(it.code)
            }
        }
        withTimeout(5_000) { subscribed.await() }
        try {
            waitFor("glasses connected") { client.state.value.glasses is GlassesState.Connected }
            ble.throwOn = ble.writes.get() + 1
            assertTrue(cloud.startStream("skthrow"))
            waitFor("the exception reported") { "glasses_write_failed" in warnings }
            waitFor("streaming after the exception") { "skthrow:streaming" in cloud.statuses() }
        } finally {
            client.shutdown()
        }
        // The flow completed with the bridge: the collector ends by itself.
        withTimeout(10_000) { collector.await() }
    }

    @Test
    fun callsAfterShutdownDoNotThrowAndFlowsComplete() = runBlocking {
        val cloud = SimulatedCloud()
        val ble = FakeBle()
        val client = hostLinkClient(cloud, ble)
        waitFor("glasses connected") { client.state.value.glasses is GlassesState.Connected }
        val subscribed = CompletableDeferred<Unit>()
        val all = async(Dispatchers.Default) { client.updates.onEach { subscribed.complete(Unit) }.toList() }
        withTimeout(5_000) { subscribed.await() }
        val host = ble.host
        val began = System.nanoTime()
        client.close()
        val tookMs = (System.nanoTime() - began) / 1_000_000.0
        println("close() returned in $tookMs ms")
        val updates = withTimeout(15_000) { all.await() }
        assertTrue(updates.last() is BridgeUpdate.Stopped, "the flow ends with Stopped, then completes")
        // A BLE callback thread reporting after the app closed the bridge: no exception.
        host.received(byteArrayOf(3, 0, 1))
        host.connected(185u)
        host.mtuChanged(247u)
        host.writeCompleted("late")
        host.disconnectedBecause(DisconnectReason.GattStatus(8))
        // Collecting after close completes at once rather than throwing.
        assertEquals(emptyList<BridgeUpdate>(), withTimeout(5_000) { client.updates.toList() })
    }

    @Test
    fun closeReturnsWithoutBlockingWhileAListenerIsBusy() {
        val cloud = SimulatedCloud()
        val bridge = MentraBridge(BridgeSettings(cloud.url(), "kt-token", 30u, 60u), LinkSpec.Simulator(185u))
        val release = java.util.concurrent.CountDownLatch(1)
        val closed = java.util.concurrent.CountDownLatch(1)
        bridge.subscribe(object : BridgeListener {
            override fun onUpdate(update: BridgeUpdate) {
                if (update is BridgeUpdate.Stopped) release.await(20, java.util.concurrent.TimeUnit.SECONDS)
            }

            override fun onClosed() = closed.countDown()
        })
        waitFor("glasses connected") { bridge.snapshot().glasses is GlassesState.Connected }
        val began = System.nanoTime()
        bridge.shutdown()
        println("shutdown() returned in ${(System.nanoTime() - began) / 1_000_000.0} ms")
        assertTrue(!bridge.isClosed(), "returned before the close could finish")
        release.countDown()
        waitFor("closed", 20) { bridge.isClosed() }
        assertTrue(closed.await(10, java.util.concurrent.TimeUnit.SECONDS), "onClosed")
        bridge.close()
    }
}
