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

    def on_update(self, update):
        with self.lock:
            self.updates.append(update)
            self.threads.add(threading.current_thread().name)

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


def bridge_with(cloud):
    settings = mb.BridgeSettings(cloud_url=cloud.url(), core_token="py-token",
                                 start_timeout_secs=30, cloud_grace_secs=60)
    return mb.MentraBridge(settings, mb.LinkSpec.SIMULATOR(mtu=185))


def test_a_stream_to_simulated_mentra_live_glasses():
    cloud = mb.SimulatedCloud()
    settings = mb.BridgeSettings(cloud_url=cloud.url(), core_token="py-token",
                                 start_timeout_secs=30, cloud_grace_secs=60)
    bridge = mb.MentraBridge(settings, mb.LinkSpec.SIMULATOR(
        mtu=185, dialect=mb.GlassesDialect.MENTRA_LIVE))
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


def test_logging_is_idempotent_and_redacted():
    lines = []

    class Sink(mb.LogSink):
        def log(self, level, line):
            lines.append(line)

    mb.init_logging(mb.LogLevel.INFO, Sink())
    mb.init_logging(mb.LogLevel.TRACE, None)  # a second call changes nothing
    cloud = mb.SimulatedCloud()
    bridge = bridge_with(cloud)
    try:
        wait(lambda: isinstance(bridge.snapshot().glasses, mb.GlassesState.CONNECTED),
             what="glasses connected")
        cloud.start_stream("spy3")
        wait(lambda: any("spy3" in l for l in lines), what="a log line about the stream")
        assert not any("spy3-key" in l for l in lines), "stream key redacted"
        assert not any("py-token" in l for l in lines), "token never logged"
    finally:
        bridge.shutdown()


def main():
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
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
