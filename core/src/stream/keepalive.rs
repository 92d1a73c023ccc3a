//! The keep-alive window: the last few keep-alive ids relayed to the glasses, in order, each
//! with its ack deadline. A late ack for any id still in the window counts; a streak of misses
//! is reported once (the stream is not stopped for it: the glasses' own watchdog decides).
//! And the [`Cadence`] the requester actually sends keep-alives at, which sets the ack
//! deadline and the pace of the bridge's own keep-alives while the cloud is away.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Gaps shorter than this are duplicates or bursts, not a cadence.
const MIN_GAP: Duration = Duration::from_secs(1);
/// Gaps longer than this are outages, not a cadence.
const MAX_GAP: Duration = Duration::from_secs(60);

/// The interval between a requester's keep-alives, as observed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cadence {
    last: Option<Instant>,
    interval: Option<Duration>,
}

impl Cadence {
    /// A keep-alive arrived now.
    pub(crate) fn observe(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let gap = now.saturating_duration_since(last);
            if (MIN_GAP..=MAX_GAP).contains(&gap) {
                self.interval = Some(gap);
            }
        }
        self.last = Some(now);
    }

    /// The observed interval, or `assumed` before two keep-alives were seen.
    pub(crate) fn interval(&self, assumed: Duration) -> Duration {
        self.interval.unwrap_or(assumed)
    }

    /// When the last keep-alive arrived.
    pub(crate) fn last(&self) -> Option<Instant> {
        self.last
    }

    /// How long an ack may take: `max`, or two thirds of the observed interval when shorter
    /// (an ack must be back before the next keep-alive is due).
    pub(crate) fn ack_timeout(&self, max: Duration) -> Duration {
        match self.interval {
            Some(i) => max.min(i * 2 / 3),
            None => max,
        }
    }
}

#[derive(Debug, Clone)]
struct Tracked {
    ack_id: String,
    /// The stream id the cloud used (the ack goes back with it).
    cloud_stream_id: String,
    deadline: Instant,
    missed: bool,
}

/// What a keep-alive ack meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AckOutcome {
    /// A tracked id: relay it with the cloud's stream id.
    Known { cloud_stream_id: String },
    /// Not in the window (too old, or never sent by us).
    Unknown,
}

/// Ordered window of outstanding keep-alive ids.
#[derive(Debug, Clone)]
pub(crate) struct AckWindow {
    tracked: VecDeque<Tracked>,
    capacity: usize,
    streak: u32,
    reported: bool,
}

impl AckWindow {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            tracked: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            streak: 0,
            reported: false,
        }
    }

    /// A keep-alive was relayed.
    pub(crate) fn sent(&mut self, ack_id: String, cloud_stream_id: String, deadline: Instant) {
        if self.tracked.len() == self.capacity {
            if let Some(old) = self.tracked.pop_front() {
                if !old.missed {
                    self.streak += 1;
                }
            }
        }
        self.tracked.push_back(Tracked {
            ack_id,
            cloud_stream_id,
            deadline,
            missed: false,
        });
    }

    /// An ack arrived: a known id (even late) ends the streak.
    pub(crate) fn acked(&mut self, ack_id: &str) -> AckOutcome {
        match self.tracked.iter().position(|t| t.ack_id == ack_id) {
            Some(i) => {
                let t = self.tracked.remove(i);
                self.streak = 0;
                self.reported = false;
                AckOutcome::Known {
                    cloud_stream_id: t.map(|t| t.cloud_stream_id).unwrap_or_default(),
                }
            }
            None => AckOutcome::Unknown,
        }
    }

    /// Marks overdue ids as missed. Returns the streak if it just reached `report_at` (once per
    /// streak).
    pub(crate) fn expire(&mut self, now: Instant, report_at: u32) -> Option<u32> {
        for t in self
            .tracked
            .iter_mut()
            .filter(|t| !t.missed && t.deadline <= now)
        {
            t.missed = true;
            self.streak += 1;
        }
        if self.streak >= report_at && !self.reported {
            self.reported = true;
            return Some(self.streak);
        }
        None
    }

    /// The earliest ack deadline not yet passed.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.tracked
            .iter()
            .filter(|t| !t.missed)
            .map(|t| t.deadline)
            .min()
    }

    /// Current streak of misses.
    #[cfg(test)]
    pub(crate) fn streak(&self) -> u32 {
        self.streak
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cadence_follows_the_observed_interval() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut c = Cadence::default();
        assert_eq!(c.interval(15 * s), 15 * s, "assumed until observed");
        assert_eq!(c.ack_timeout(10 * s), 10 * s);
        c.observe(t0);
        c.observe(t0 + 5 * s);
        assert_eq!(c.interval(15 * s), 5 * s);
        assert_eq!(c.ack_timeout(10 * s), 5 * s * 2 / 3);
        c.observe(t0 + 5 * s + Duration::from_millis(10));
        assert_eq!(c.interval(15 * s), 5 * s, "a duplicate is not a cadence");
        c.observe(t0 + 300 * s);
        assert_eq!(c.interval(15 * s), 5 * s, "an outage is not a cadence");
        c.observe(t0 + 315 * s);
        assert_eq!(c.interval(15 * s), 15 * s);
        assert_eq!(c.ack_timeout(10 * s), 10 * s);
    }

    #[test]
    fn late_acks_count_and_a_streak_is_reported_once() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut w = AckWindow::new(3);
        w.sent("a1".into(), "s".into(), t0 + 10 * s);
        assert_eq!(w.expire(t0 + 11 * s, 3), None);
        // a1 is overdue but still in the window: its late ack counts.
        assert_eq!(
            w.acked("a1"),
            AckOutcome::Known {
                cloud_stream_id: "s".into()
            }
        );
        assert_eq!(w.streak(), 0);
        for (i, id) in ["a2", "a3", "a4"].iter().enumerate() {
            w.sent((*id).into(), "s".into(), t0 + (20 + 15 * i as u32) * s);
        }
        assert_eq!(w.expire(t0 + 60 * s, 3), Some(3));
        w.sent("a5".into(), "s".into(), t0 + 70 * s);
        assert_eq!(w.expire(t0 + 80 * s, 3), None, "reported once per streak");
        assert_eq!(
            w.acked("a2"),
            AckOutcome::Unknown,
            "pushed out of the window"
        );
        assert!(matches!(w.acked("a5"), AckOutcome::Known { .. }));
        assert_eq!(w.streak(), 0);
    }
}
