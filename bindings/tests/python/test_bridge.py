"""Python binding tests: the generated bindings against the host library with simulators.

Run through bindings/test.sh (it generates the bindings first). Prints `N passed, N failed`.
"""

import asyncio
import sys
import threading
import time
import traceback

import mentra_bridge as mb


class Recorder(mb.BridgeListener):
    def __init__(self):
        self.updates = []
        self.threads = set()
        self.lock = threading.Lock()
        self.closed = threading.Event()

    def on_update(self, update):
        with self.lock:
            self.updates.append(update)
            self.threads.add(threading.current_thread().name)

    def on_closed(self):
        self.closed.set()

    def warnings(self):
        with self.lock:
            return [u.code for u in self.updates if isinstance(u, mb.BridgeUpdate.WARNING)]

    def streams(self):
        with self.lock:
            return [(u.status.stream_id, u.status.state) for u in self.updates
                    if isinstance(u, mb.BridgeUpdate.STREAM)]


def wait(predicate, seconds=15.0, what="condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


# Every bridge a test made: shutdown() returns at once and the bridge closes on a thread of
# its own, which still logs (into Python's sink) for a moment; the process must not exit
# while one does, or the interpreter's finalisation kills that thread mid-call.
BRIDGES = []


def tracked(bridge):
    BRIDGES.append(bridge)
    return bridge


def wait_all_closed():
    for b in BRIDGES:
        b.shutdown()
        wait(b.is_closed, seconds=20, what="every bridge closed before exit")


def bridge_with(cloud):
    settings = mb.BridgeSettings(cloud_url=cloud.url(), core_token="py-token",
                                 start_timeout_secs=30, cloud_grace_secs=60)
    return tracked(mb.MentraBridge(settings, mb.LinkSpec.SIMULATOR(mtu=185)))


def test_a_stream_to_simulated_mentra_live_glasses():
    cloud = mb.SimulatedCloud()
    settings = mb.BridgeSettings(cloud_url=cloud.url(), core_token="py-token",
                                 start_timeout_secs=30, cloud_grace_secs=60)
    bridge = tracked(mb.MentraBridge(settings, mb.LinkSpec.SIMULATOR(
        mtu=185, dialect=mb.GlassesDialect.MENTRA_LIVE)))
    rec = Recorder()
    handle = bridge.subscribe(rec)
    try:
        assert cloud.wait_connected(10)
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        glasses = bridge.snapshot().glasses
        assert glasses.model == "Mentra Live", glasses
        assert cloud.start_stream("spylive")
        wait(lambda: ("spylive", mb.StreamStateKind.STREAMING) in rec.streams(), what="streaming")
        assert cloud.stop_stream("spylive")
        wait(lambda: ("spylive", mb.StreamStateKind.STOPPED) in rec.streams(), what="stopped")
    finally:
        handle.cancel()
        bridge.shutdown()


def test_full_stream_reaches_the_listener_in_order():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    rec = Recorder()
    handle = bridge.subscribe(rec)
    try:
        assert cloud.wait_connected(10)
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        assert cloud.start_stream("spy1")
        wait(lambda: ("spy1", mb.StreamStateKind.STREAMING) in rec.streams(), what="streaming")
        assert cloud.keep_alive("spy1", "a1")
        wait(lambda: "spy1:a1" in cloud.acks(), what="keep-alive ack")
        assert cloud.stop_stream("spy1")
        wait(lambda: ("spy1", mb.StreamStateKind.STOPPED) in rec.streams(), what="stopped")
        states = [s for (i, s) in rec.streams() if i == "spy1"]
        assert states.index(mb.StreamStateKind.STREAMING) < states.index(mb.StreamStateKind.STOPPED)
        assert isinstance(rec.updates[0], mb.BridgeUpdate.SNAPSHOT), "snapshot first"
        assert threading.main_thread().name not in rec.threads, "called on a bridge thread"
        assert "spy1:streaming" in cloud.statuses() and "spy1:stopped" in cloud.statuses()
    finally:
        handle.cancel()
        bridge.shutdown()


def test_async_wifi_calls():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    try:
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        networks = asyncio.run(bridge.scan_wifi())
        assert len(networks) == 1 and networks[0].requires_password
        asyncio.run(bridge.set_wifi("home", "correct horse", "wpa2", False))
        status = asyncio.run(bridge.wifi_status())
        assert status.connected and status.ssid == "home"
    finally:
        bridge.shutdown()


def test_errors_are_typed():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    try:
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        try:
            asyncio.run(bridge.set_wifi("home", "pw", "wep", False))
            raise AssertionError("no error")
        except mb.MentraError.InvalidArgument as e:
            assert "security" in str(e)
        try:
            mb.MentraBridge(mb.BridgeSettings(cloud_url="http://nope", core_token="t",
                                              start_timeout_secs=30, cloud_grace_secs=60),
                            mb.LinkSpec.SIMULATOR(mtu=185))
            raise AssertionError("no error")
        except mb.MentraError.InvalidArgument as e:
            assert "ws://" in str(e)
    finally:
        bridge.shutdown()


def test_a_panic_becomes_an_exception():
    try:
        mb.debug_panic("boom")
        raise AssertionError("no exception")
    except mb.InternalError as e:
        assert "boom" in str(e)


def test_cancelled_subscription_stops_calling():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    rec = Recorder()
    handle = bridge.subscribe(rec)
    try:
        wait(lambda: len(rec.updates) > 0, what="first update")
        handle.cancel()
        time.sleep(0.3)
        count = len(rec.updates)
        assert cloud.start_stream("spy2")
        time.sleep(1.5)
        assert len(rec.updates) == count, "no updates after cancel"
        assert handle.is_finished()
    finally:
        bridge.shutdown()


def test_shutdown_is_the_last_update_and_says_it_was_asked_for():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    rec = Recorder()
    handle = bridge.subscribe(rec)
    wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
         what="glasses connected")
    assert bridge.snapshot().streams == [], "no live streams yet"
    bridge.shutdown()
    wait(lambda: any(isinstance(u, mb.BridgeUpdate.STOPPED) for u in rec.updates),
         what="the stopped update")
    last = rec.updates[-1]
    assert isinstance(last, mb.BridgeUpdate.STOPPED), f"last update: {last}"
    assert not last.fatal and last.reason is None
    handle.cancel()


class Sink(mb.LogSink):
    """The process's one log sink (init_logging takes the first call only)."""

    def __init__(self):
        self.lines = []
        self.lock = threading.Lock()

    def log(self, level, line):
        with self.lock:
            self.lines.append((level, line))

    def at(self, level):
        with self.lock:
            return [l for (lv, l) in self.lines if lv == level]

    def all(self):
        with self.lock:
            return [l for (_, l) in self.lines]


SINK = Sink()


def test_logging_is_idempotent_and_redacted():
    mb.init_logging(mb.LogLevel.TRACE, None)  # a second call changes nothing
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    try:
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        cloud.start_stream("spy3")
        wait(lambda: any("spy3" in l for l in SINK.all()), what="a log line about the stream")
        assert not any("spy3-key" in l for l in SINK.all()), "stream key redacted"
        assert not any("py-token" in l for l in SINK.all()), "token never logged"
        assert not SINK.at(mb.LogLevel.TRACE), "the first call's level (INFO) holds"
    finally:
        bridge.shutdown()


def test_each_log_line_reaches_the_sink_at_its_own_level():
    mb.debug_log(mb.LogLevel.WARN, "level-check warn")
    mb.debug_log(mb.LogLevel.ERROR, "level-check error")
    mb.debug_log(mb.LogLevel.INFO, "level-check info")
    mb.debug_log(mb.LogLevel.DEBUG, "level-check debug")
    assert any("level-check warn" in l for l in SINK.at(mb.LogLevel.WARN))
    assert any("level-check error" in l for l in SINK.at(mb.LogLevel.ERROR))
    assert any("level-check info" in l for l in SINK.at(mb.LogLevel.INFO))
    assert not any("level-check" in l for l in SINK.at(mb.LogLevel.INFO)
                   if "info" not in l), "no line at another level"
    assert not any("level-check debug" in l for l in SINK.all()), "below INFO: not logged"


def test_a_panic_reaches_the_log_sink_before_it_becomes_an_exception():
    try:
        mb.debug_panic("hook-check sk-live-123")
        raise AssertionError("no exception")
    except mb.InternalError:
        pass
    errors = [l for l in SINK.at(mb.LogLevel.ERROR) if "hook-check" in l]
    assert errors, f"no ERROR line for the panic: {SINK.all()[-5:]}"
    assert "panic" in errors[0]


def test_a_throwing_log_sink_does_not_stop_the_bridge():
    # The sink is installed once; make it throw for a while and stream meanwhile.
    original = Sink.log

    def throwing(self, level, line):
        raise RuntimeError("the app's logger broke")

    Sink.log = throwing
    try:
        cloud = mb.SimulatedCloud()
        bridge = bridge_with(cloud)
        rec = Recorder()
        handle = bridge.subscribe(rec)
        try:
            assert cloud.wait_connected(10)
            wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
                 what="glasses connected")
            assert cloud.start_stream("spylog")
            wait(lambda: ("spylog", mb.StreamStateKind.STREAMING) in rec.streams(),
                 what="streaming while every log call throws")
        finally:
            handle.cancel()
            bridge.shutdown()
    finally:
        Sink.log = original


class FakeBle(mb.HostTransport):
    """The app's BLE stack: writes go to the glasses, notifications come back through the
    host link; reports each write done, as a GATT write callback would."""

    def __init__(self):
        self.glasses = None
        self.host = None
        self.throw_on_write = set()
        self.writes = 0
        self.lock = threading.Lock()

    def write(self, packet):
        with self.lock:
            self.writes += 1
            n = self.writes
        if n in self.throw_on_write:
            raise RuntimeError("the app's BLE stack threw (simulated)")
        self.glasses.write(packet)
        self.host.write_completed(None)

    def reconnect(self):
        self.glasses.disconnect()
        self.host.disconnected_because(mb.DisconnectReason.CLOSED_BY_APP())
        self.glasses.connect(23)
        self.host.connected(23)


class Radio(mb.GlassesRadio):
    def __init__(self, ble):
        self.ble = ble

    def notify(self, packet):
        self.ble.host.received(packet)


def host_link_rig(cloud, ble):
    settings = mb.BridgeSettings(cloud_url=cloud.url(), core_token="py-token",
                                 start_timeout_secs=30, cloud_grace_secs=60)
    bridge = tracked(mb.MentraBridge.with_host_link(settings, ble, 1))
    ble.host = bridge.host_link()
    ble.glasses = mb.SimulatedGlasses(Radio(ble))
    ble.glasses.connect(23)
    ble.host.connected(23)
    return bridge


def test_a_full_stream_over_a_host_link_in_python_with_an_mtu_change_mid_stream():
    cloud = mb.SimulatedCloud()
    ble = FakeBle()
    bridge = host_link_rig(cloud, ble)
    rec = Recorder()
    handle = bridge.subscribe(rec)
    try:
        assert cloud.wait_connected(10)
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected over the app's stack")
        assert bridge.snapshot().glasses.mtu == 23
        assert cloud.start_stream("sphost")
        wait(lambda: ("sphost", mb.StreamStateKind.STREAMING) in rec.streams(), what="streaming")
        # Android's requestMtu while live: both ends move to 247, the session goes on.
        ble.glasses.set_mtu(247)
        ble.host.mtu_changed(247)
        wait(lambda: getattr(bridge.snapshot().glasses, "mtu", 0) == 247, what="the new MTU")
        assert cloud.keep_alive("sphost", "h1")
        wait(lambda: "sphost:h1" in cloud.acks(), what="the keep-alive after the change acked")
        assert cloud.stop_stream("sphost")
        wait(lambda: ("sphost", mb.StreamStateKind.STOPPED) in rec.streams(), what="stopped")
        assert ble.glasses.hellos() == 1, "no new session for the MTU change"
        assert not ble.glasses.camera_on()
    finally:
        handle.cancel()
        bridge.shutdown()


def test_a_throwing_app_callback_is_reported_and_the_bridge_keeps_running():
    cloud = mb.SimulatedCloud()
    ble = FakeBle()
    bridge = host_link_rig(cloud, ble)
    rec = Recorder()
    handle = bridge.subscribe(rec)
    try:
        assert cloud.wait_connected(10)
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        with ble.lock:
            ble.throw_on_write = {ble.writes + 1}  # the start's write throws
        assert cloud.start_stream("spthrow")
        wait(lambda: "glasses_write_failed" in rec.warnings(), what="the app's exception reported")
        wait(lambda: ("spthrow", mb.StreamStateKind.STREAMING) in rec.streams(),
             what="streaming after the exception")
    finally:
        handle.cancel()
        bridge.shutdown()


def test_host_link_calls_after_shutdown_do_not_throw():
    cloud = mb.SimulatedCloud()
    ble = FakeBle()
    bridge = host_link_rig(cloud, ble)
    host = ble.host
    asyncio.run(bridge.shutdown_and_wait())
    assert bridge.is_closed()
    # A BLE callback thread reporting after the app closed the bridge: dropped, no exception.
    host.received(bytes([3, 0, 1]))
    host.connected(185)
    host.mtu_changed(247)
    host.write_completed("late")
    host.disconnected_because(mb.DisconnectReason.GATT_STATUS(8))


def test_subscriptions_complete_when_the_bridge_closes():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    rec = Recorder()
    bridge.subscribe(rec)
    wait(lambda: len(rec.updates) > 0, what="first update")
    bridge.shutdown()
    assert rec.closed.wait(10), "onClosed after the bridge closed"
    assert isinstance(rec.updates[-1], mb.BridgeUpdate.STOPPED)
    late = Recorder()
    bridge.subscribe(late)
    assert late.closed.wait(5), "a subscription to a closed bridge closes at once"


def test_shutdown_returns_at_once_even_while_a_listener_is_busy():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    release = threading.Event()

    class Busy(Recorder):
        def on_update(self, update):
            super().on_update(update)
            if isinstance(update, mb.BridgeUpdate.STOPPED):
                release.wait(20)  # the app's listener is stuck on something

    busy = Busy()
    bridge.subscribe(busy)
    wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
         what="glasses connected")
    began = time.monotonic()
    bridge.shutdown()
    took = time.monotonic() - began
    print(f"       shutdown() returned in {took * 1000:.1f} ms")
    # It returned although closing cannot finish until the listener lets go.
    wait(lambda: any(isinstance(u, mb.BridgeUpdate.STOPPED) for u in busy.updates),
         what="the listener holding the Stopped update")
    assert not bridge.is_closed(), "shutdown() returned before the close finished"
    release.set()
    wait(lambda: bridge.is_closed(), seconds=20, what="the bridge closed")
    assert busy.closed.wait(10)


def test_a_listener_that_throws_keeps_its_subscription():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)

    class Throws(Recorder):
        def on_update(self, update):
            super().on_update(update)
            raise ValueError("the app's listener broke")

    rec = Throws()
    handle = bridge.subscribe(rec)
    try:
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        assert cloud.start_stream("spythrows")
        wait(lambda: ("spythrows", mb.StreamStateKind.STREAMING) in rec.streams(),
             what="updates after the listener threw")
        assert any("a listener threw" in l for l in SINK.at(mb.LogLevel.WARN))
    finally:
        handle.cancel()
        bridge.shutdown()


def test_version_says_what_the_library_is():
    v = mb.version()
    assert v.library and v.git_revision
    assert v.protocol_version == 1
    assert v.dialects == ["mentra-proto", "mentra-live"]
    assert "simulators" in v.features and v.cloud_generations == ["2025", "2026"]


def test_the_diagnostics_export_and_link_quality_after_a_stream():
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    rec = Recorder()
    handle = bridge.subscribe(rec)
    try:
        assert cloud.wait_connected(10)
        assert cloud.start_stream("spydiag")
        wait(lambda: ("spydiag", mb.StreamStateKind.STREAMING) in rec.streams(), what="streaming")
        assert cloud.stop_stream("spydiag")
        wait(lambda: ("spydiag", mb.StreamStateKind.STOPPED) in rec.streams(), what="stopped")
        wait(lambda: bridge.snapshot().link.glasses_rtt_ms is not None, what="a glasses round trip")
        assert any(isinstance(u, mb.BridgeUpdate.LINK_QUALITY) for u in rec.updates)
        export = bridge.export_diagnostics()
        lines = export.splitlines()
        assert '"format":"mentra-bridge-diagnostics"' in lines[0]
        assert any('"kind":"stream"' in l and "spydiag" in l and '"state":"stopped"' in l for l in lines)
        assert "spydiag-key" not in export and "py-token" not in export, "no secret in the export"
    finally:
        handle.cancel()
        bridge.shutdown()


def test_gatt_profiles_of_both_dialects_are_exported():
    profiles = mb.gatt_profiles()
    assert [p.dialect for p in profiles] == [mb.GlassesDialect.MENTRA_PROTO,
                                             mb.GlassesDialect.MENTRA_LIVE]
    assert profiles[1].service == "00004860-0000-1000-8000-00805f9b34fb"
    assert profiles[1].write_with_response and not profiles[0].write_with_response


def main():
    mb.init_logging(mb.LogLevel.INFO, SINK)
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print(f"ok     {t.__name__}")
        except Exception:
            failed += 1
            print(f"FAILED {t.__name__}")
            traceback.print_exc()
    wait_all_closed()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
