//! The checks made on every regular look at the world: links and how long they have been
//! healthy, the camera against the stream limits and the glasses' health, start outcomes and
//! stops, the bridge's queues and dials, and the snapshot. Each check names its rule.

use std::time::Duration;

use tokio::time::Instant;

use super::{Checker, Health, REQUESTED_BITRATE, Seen, Tracked};
use crate::glasses::{CameraPhase, CameraView};

impl Checker {
    /// A regular look at the world.
    pub fn sample(&mut self, now: Instant, seen: &Seen<'_>) {
        let dt = self
            .last_sample
            .map(|l| now.saturating_duration_since(l))
            .unwrap_or_default();
        self.last_sample = Some(now);
        self.track_links(now, seen.health);
        let link_for = self
            .link_healthy_since
            .map(|s| now.saturating_duration_since(s))
            .unwrap_or_default();
        if !seen.bridge_running {
            let what = "the bridge stopped by itself".into();
            self.fail(now, "events keep flowing", what);
        }
        self.check_camera(now, seen.camera, dt, link_for);
        self.check_health(now, seen.camera, seen.health, link_for);
        self.camera = seen.camera.clone();
        self.check_outcomes(now);
        self.check_orphans(now, seen.camera);
        self.check_bounds(now, seen);
        self.check_liveness(now, link_for);
        // The snapshot shows a live stream while one is live.
        let live: Vec<&String> = self
            .streams
            .iter()
            .filter(|(_, t)| t.last.is_some_and(|s| !s.is_terminal()))
            .map(|(id, _)| id)
            .collect();
        if !live.is_empty() && seen.snapshot.stream.is_none() {
            let what = format!("the UI snapshot shows no stream while {live:?} live");
            self.fail(now, "the snapshot tells the truth", what);
        }
    }

    fn track_links(&mut self, now: Instant, health: Health) {
        let since = |up: bool, s: Option<Instant>| if up { s.or(Some(now)) } else { None };
        self.link_healthy_since = since(health.link_healthy, self.link_healthy_since);
        self.link_reachable_since = since(health.link_reachable, self.link_reachable_since);
        self.link_out_since = since(!health.link_reachable, self.link_out_since);
        self.cloud_healthy_since = since(health.cloud_healthy, self.cloud_healthy_since);
    }

    /// Duration limits, and the glasses' own watchdog.
    fn check_camera(
        &mut self,
        now: Instant,
        camera: &CameraView,
        dt: Duration,
        link_for: Duration,
    ) {
        if let (true, Some(id)) = (camera.phase.is_on(), &camera.stream_id) {
            // A shared stream runs under one viewer's id while others still watch it: its
            // time counts against that viewer only while it runs for that viewer alone.
            let shared = self.others_live(id);
            // Mentra Live firmware takes no duration limit: across a link outage only its own
            // liveness (the 60 s keep-alive watchdog of 2025, the 10 s lease of 2026) ends a
            // stream the bridge cannot reach.
            let reach = self.slack.stop_reaches_camera
                + if self.firmware_throttles {
                    self.slack.watchdog
                } else {
                    Duration::ZERO
                };
            let over = self.streams.get_mut(id).filter(|_| !shared).and_then(|t| {
                t.camera_on += dt;
                let limit = Duration::from_secs(u64::from(t.plan.as_ref()?.duration_limit?));
                (t.camera_on > limit + reach).then_some((t.camera_on, limit))
            });
            if let Some((on, limit)) = over {
                let what = format!("{id} on the camera for {on:?}, limit {limit:?}");
                self.fail(now, "duration limit counts across restarts", what);
            }
        }
        // The glasses' own watchdog must never have to end a stream the bridge supervises.
        if camera.watchdog_fired > self.camera.watchdog_fired
            && link_for > self.slack.watchdog + Duration::from_secs(5)
        {
            let what = format!(
                "the glasses' keep-alive watchdog ended {:?} although the link was healthy for {:?}",
                self.camera.stream_id, link_for
            );
            self.fail(now, "the bridge keeps the glasses fed", what);
        }
        // Nor may the Mentra Live controller lease (10 s without an accepted probe answer).
        if camera.lease_expired > self.camera.lease_expired && link_for > Duration::from_secs(15) {
            let what = format!(
                "the glasses' controller lease ended {:?} although the link was healthy for {:?}",
                self.camera.stream_id, link_for
            );
            self.fail(now, "the bridge keeps the glasses fed", what);
        }
    }

    /// Heat and battery stop or throttle the camera in time.
    fn check_health(
        &mut self,
        now: Instant,
        camera: &CameraView,
        health: Health,
        link_for: Duration,
    ) {
        let since = |on: bool, s: Option<Instant>| if on { s.or(Some(now)) } else { None };
        let t = camera.temperature_c;
        self.hot_since = since(t >= 80.5, self.hot_since);
        self.critical_since = since(t >= 88.5, self.critical_since);
        self.cool_since = since(t < 84.0, self.cool_since);
        self.camera_off_since = since(!camera.phase.is_on(), self.camera_off_since);
        let floor = if health.charging { 4.0 } else { 15.0 };
        let low = camera.battery_percent < floor - 0.5;
        self.low_battery_since = since(low, self.low_battery_since);
        let react = self.slack.health_reaction;
        let lasted = |since: Option<Instant>| {
            since.is_some_and(|s| now.saturating_duration_since(s) > react) && link_for > react
        };
        if camera.phase.is_on() && lasted(self.critical_since) {
            let what = format!("the camera streams at {t:.1} °C");
            self.fail(now, "health stops streams", what);
        }
        if camera.phase.is_on() && lasted(self.low_battery_since) {
            let what = format!(
                "the camera streams at {:.1} % battery",
                camera.battery_percent
            );
            self.fail(now, "health stops streams", what);
        }
        if camera.phase == CameraPhase::Streaming
            && !self.firmware_throttles
            && lasted(self.hot_since)
            && camera.bitrate_bps > REQUESTED_BITRATE * 3 / 4
        {
            let what = format!(
                "the camera streams at {} bps at {t:.1} °C",
                camera.bitrate_bps
            );
            self.fail(now, "hot streams are throttled", what);
        }
    }

    /// Every start gets `streaming` or an end in time.
    fn check_outcomes(&mut self, now: Instant) {
        let due: Vec<String> = self
            .streams
            .iter()
            .filter(|(_, t)| t.outcome_due.is_some_and(|d| now > d))
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            // A faulty link moves the bound: while the glasses are out of reach, the stream is
            // given up once their watchdog has run out; once they are back, the session and
            // the start get their own time again.
            let excused = self.excused_until(now);
            if let Some(t) = self.streams.get_mut(&id) {
                t.outcome_due = excused;
                if excused.is_some() {
                    continue;
                }
            }
            let what = format!(
                "{id} got neither streaming nor an end in time (link out since {:?}, back since {:?})",
                self.link_out_since.map(|t| t.duration_since(self.t0)),
                self.link_reachable_since.map(|t| t.duration_since(self.t0)),
            );
            self.fail(now, "every start ends", what);
        }
    }

    /// What the bridge ended or the cloud stopped leaves the camera once it can be told.
    fn check_orphans(&mut self, now: Instant, camera: &CameraView) {
        let (true, Some(id)) = (camera.phase.is_on(), camera.stream_id.clone()) else {
            return;
        };
        let others_live = self.others_live(&id);
        let shared_end = self.last_shared_end(&id);
        let reach = self.slack.stop_reaches_camera;
        let overdue = |from: Instant, healthy: Option<Instant>| {
            healthy
                .map(|l| l.max(from).max(shared_end.unwrap_or(from)))
                .is_some_and(|s| now.saturating_duration_since(s) > reach)
        };
        let Some(t) = self.streams.get(&id) else {
            return;
        };
        // No orphan: the camera is not left running a stream the bridge said had ended.
        let ended = t.ended.filter(|e| !t.started_since(*e));
        if ended.is_some_and(|e| overdue(e, self.link_healthy_since)) && !others_live {
            let what = format!("{id} ended (the cloud was told) but the camera still streams it");
            self.fail(now, "no orphan stream", what);
        }
        let stopped = self
            .streams
            .get(&id)
            .and_then(Tracked::stopped_and_not_restarted);
        if stopped.is_some_and(|s| overdue(s, self.link_healthy_since)) && !others_live {
            let what = format!("{id} still on the camera after its stop");
            self.fail(now, "a stop turns the camera off", what);
        }
    }

    /// Queues stay bounded; reconnects back off.
    fn check_bounds(&mut self, now: Instant, seen: &Seen<'_>) {
        let internals = seen.internals;
        if internals.outbox > self.slack.outbox_capacity
            || internals.in_flight > self.slack.in_flight
            || internals.session_pending > self.slack.in_flight
            || internals.supervisor_tracked > self.slack.tracked
        {
            self.fail(now, "queues stay bounded", format!("{internals:?}"));
        }
        self.dials.push_back((now, seen.dials));
        while self
            .dials
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > Duration::from_secs(60))
        {
            self.dials.pop_front();
        }
        if let Some((_, first)) = self.dials.front() {
            if seen.dials.saturating_sub(*first) > self.slack.dials_per_minute {
                let what = format!("{} cloud connections in a minute", seen.dials - first);
                self.fail(now, "reconnects back off", what);
                self.dials.clear();
            }
        }
    }

    /// Reachable glasses end up connected, and their telemetry keeps coming.
    fn check_liveness(&mut self, now: Instant, link_for: Duration) {
        if self.incompatible {
            return;
        }
        // Measured from the later of the link coming back and the bridge losing the glasses:
        // a drop shorter than a sample apart is seen by the bridge only.
        let session_for = self
            .glasses_lost_at
            .map_or(link_for, |l| link_for.min(now.saturating_duration_since(l)));
        if session_for > Duration::from_secs(45) && self.glasses_ready_since.is_none() {
            let what =
                format!("the link was healthy for {link_for:?}, the glasses never became ready");
            self.fail(now, "the glasses session recovers", what);
            self.link_healthy_since = Some(now);
        }
        if link_for > Duration::from_secs(60) {
            let quiet = self
                .last_telemetry
                .is_none_or(|t| now.saturating_duration_since(t) > Duration::from_secs(40));
            if quiet {
                let what = "no battery or temperature for 40 s".into();
                self.fail(now, "events keep flowing", what);
                self.last_telemetry = Some(now);
            }
        }
    }
}
