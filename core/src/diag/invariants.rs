//! The behaviour contract's invariants that a trace alone can decide, checked entry by entry.
//! The whole-bridge simulation runs this same checker over its bridge's recorder, and
//! `mentra-bridge diagnose` over an exported trace, so a failure seen in the field and one
//! found by a seed are named, and found, the same way.

use std::collections::BTreeMap;

use super::{Entry, What};

/// How long the glasses may go on reporting a live stream after the bridge has none: a stop
/// reaches a reachable camera within a few seconds (sent again every 5 s until confirmed).
pub const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// A broken invariant, at an entry of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceViolation {
    /// The entry's position in the trace (0-based).
    pub index: usize,
    /// The entry's time, ms since the bridge started.
    pub t_ms: u64,
    /// The invariant, as the simulation names it.
    pub rule: &'static str,
    /// What was seen.
    pub what: String,
}

#[derive(Debug, Default)]
struct Stream {
    /// The last state the bridge reported.
    last: Option<String>,
    /// When it last reached a terminal state.
    ended: Option<u64>,
    /// When the cloud last asked for it.
    started: Option<u64>,
}

/// Checks a trace, one entry at a time.
#[derive(Debug, Default)]
pub struct TraceChecker {
    index: usize,
    streams: BTreeMap<String, Stream>,
    /// Since when the bridge has had no live stream (ms), `None` while one is live.
    quiet_since: Option<u64>,
    /// The first time, in this quiet spell, the glasses said a stream was live.
    glasses_live_since: Option<u64>,
    /// Rules already reported (each once: the first violation is the finding).
    reported: Vec<&'static str>,
}

/// Bridge states that mean "this stream is on".
fn live_word(state: &str) -> bool {
    !terminal_word(state) && state != "stopping"
}

fn terminal_word(state: &str) -> bool {
    matches!(state, "stopped" | "error" | "timeout" | "reconnect_failed")
}

/// Glasses states that mean "the camera is pushing, or about to".
fn glasses_live(state: &str) -> bool {
    matches!(
        state,
        "initializing" | "streaming" | "reconnecting" | "reconnected"
    )
}

impl TraceChecker {
    /// A checker at the start of a trace.
    pub fn new() -> Self {
        Self {
            quiet_since: Some(0),
            ..Self::default()
        }
    }

    /// Every violation in `entries`, in order.
    pub fn check_all(entries: &[Entry]) -> Vec<TraceViolation> {
        let mut checker = Self::new();
        entries.iter().filter_map(|e| checker.observe(e)).collect()
    }

    /// Feeds the next entry; returns the violation it shows, if any (each rule is reported
    /// once, at its first violation).
    pub fn observe(&mut self, entry: &Entry) -> Option<TraceViolation> {
        let index = self.index;
        self.index += 1;
        let t = entry.t_ms;
        let found = match &entry.what {
            What::CloudIn {
                msg,
                stream_id: Some(id),
            } if msg.starts_with("start") => {
                self.streams.entry(id.clone()).or_default().started = Some(t);
                None
            }
            What::CloudOut { msg, stream_id, .. } if msg.contains("stream_status") => {
                stream_id.as_deref().is_none_or(str::is_empty).then(|| {
                    (
                        "ids on everything",
                        format!("the cloud was sent a {msg} without a stream id"),
                    )
                })
            }
            What::Stream {
                stream_id, state, ..
            } => self.stream(t, stream_id, state),
            What::GlassesIn {
                stream_id,
                state: Some(state),
                ..
            } => self.glasses(t, stream_id.as_deref().unwrap_or(""), state),
            _ => None,
        };
        let (rule, what) = found?;
        if self.reported.contains(&rule) {
            return None;
        }
        self.reported.push(rule);
        Some(TraceViolation {
            index,
            t_ms: t,
            rule,
            what,
        })
    }

    fn stream(&mut self, t: u64, id: &str, state: &str) -> Option<(&'static str, String)> {
        if id.is_empty() {
            return Some((
                "ids on everything",
                format!("a stream update ({state}) without an id"),
            ));
        }
        let s = self.streams.entry(id.to_owned()).or_default();
        let restarted = |s: &Stream| s.started.zip(s.ended).is_some_and(|(st, en)| st >= en);
        let ghost = live_word(state) && s.ended.is_some() && !restarted(s);
        s.last = Some(state.to_owned());
        if terminal_word(state) {
            s.ended = Some(t);
        }
        // Is any stream live per the bridge now?
        let any_live = self
            .streams
            .values()
            .any(|s| s.last.as_deref().is_some_and(live_word));
        match (any_live, self.quiet_since) {
            (true, _) => {
                self.quiet_since = None;
                self.glasses_live_since = None;
            }
            (false, None) => self.quiet_since = Some(t),
            (false, Some(_)) => {}
        }
        ghost.then(|| {
            (
                "nothing live after a terminal status",
                format!("{id} reported {state} after its end"),
            )
        })
    }

    fn glasses(&mut self, t: u64, id: &str, state: &str) -> Option<(&'static str, String)> {
        let Some(quiet) = self.quiet_since else {
            return None; // the bridge has a live stream: the camera is meant to be on
        };
        if !glasses_live(state) {
            self.glasses_live_since = None;
            return None;
        }
        let since = *self.glasses_live_since.get_or_insert(t);
        let grace = u64::try_from(ORPHAN_GRACE.as_millis()).unwrap_or(u64::MAX);
        let on_for = t.saturating_sub(since.max(quiet));
        (on_for > grace).then(|| {
            (
                "no orphan stream",
                format!(
                    "the glasses still report {id:?} {state} {:.1} s after the bridge had no stream",
                    on_for as f64 / 1000.0
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(t_ms: u64, id: &str, state: &str) -> Entry {
        Entry {
            t_ms,
            what: What::Stream {
                stream_id: id.into(),
                state: state.into(),
                problem: None,
                sentence: None,
            },
        }
    }

    fn glasses(t_ms: u64, id: &str, state: &str) -> Entry {
        Entry {
            t_ms,
            what: What::GlassesIn {
                msg: "stream_status".into(),
                message_id: 1,
                reply_to: 0,
                size: 20,
                stream_id: Some(id.into()),
                state: Some(state.into()),
            },
        }
    }

    #[test]
    fn a_camera_left_on_after_the_bridge_stopped_is_an_orphan() {
        let trace = [
            stream(0, "s1", "initializing"),
            glasses(100, "s1", "streaming"),
            stream(200, "s1", "streaming"),
            stream(5_000, "s1", "stopped"),
            glasses(6_000, "s1", "streaming"),
            glasses(21_000, "s1", "streaming"),
            glasses(21_001, "s1", "streaming"),
        ];
        let found = TraceChecker::check_all(&trace);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "no orphan stream");
        assert_eq!(found[0].index, 6, "the first report past the grace");
    }

    #[test]
    fn a_stop_that_takes_effect_within_the_grace_is_fine() {
        let trace = [
            stream(0, "s1", "streaming"),
            stream(5_000, "s1", "stopped"),
            glasses(6_000, "s1", "streaming"),
            glasses(9_000, "s1", "stopped"),
            glasses(40_000, "s2", "idle"),
        ];
        assert_eq!(TraceChecker::check_all(&trace), vec![]);
    }

    #[test]
    fn a_live_state_after_the_end_is_a_ghost_unless_the_cloud_started_it_again() {
        let ghost = [
            stream(0, "s1", "streaming"),
            stream(1, "s1", "stopped"),
            stream(2, "s1", "streaming"),
        ];
        assert_eq!(
            TraceChecker::check_all(&ghost)[0].rule,
            "nothing live after a terminal status"
        );
        let restart = [
            stream(0, "s1", "streaming"),
            stream(1, "s1", "stopped"),
            Entry {
                t_ms: 2,
                what: What::CloudIn {
                    msg: "start_stream".into(),
                    stream_id: Some("s1".into()),
                },
            },
            stream(3, "s1", "initializing"),
        ];
        assert_eq!(TraceChecker::check_all(&restart), vec![]);
    }
}
