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
import glass.mentra.bridge.ffi.debugPanic
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
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
        val client = MentraBridgeClient.start(cloud.url(), "kt-token", LinkSpec.Simulator(185u))
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
}
