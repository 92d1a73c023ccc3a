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
    /// The cloud asked for it again since (or while it was stopping): its next live state is
    /// the new stream's.
    restart_pending: bool,
}

/// Checks a trace, one entry at a time.
#[derive(Debug, Default)]
pub struct TraceChecker {
    index: usize,
    streams: BTreeMap<String, Stream>,
    /// Since when the bridge has had no live stream (ms), `None` while one is live — or while
    /// it is not known (a trace whose start the recorder's bounds dropped).
    quiet_since: Option<u64>,
    /// Per glasses stream id, the first time in this quiet spell and on this connection the
    /// glasses said it was live.
    glasses_live_since: BTreeMap<String, u64>,
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

/// Glasses states that mean "this stream is over".
fn glasses_ended(state: &str) -> bool {
    matches!(state, "stopped" | "error" | "reconnect_failed" | "idle")
}

impl TraceChecker {
    /// A checker at the start of a trace the bridge recorded from its start.
    pub fn new() -> Self {
        Self {
            quiet_since: Some(0),
            ..Self::default()
        }
    }

    /// A checker for a trace whose start was dropped: what was live before it is unknown, so
    /// no orphan is judged until the trace shows what the bridge has.
    pub fn for_partial_trace() -> Self {
        Self::default()
    }

    /// Every violation in `entries` (from the bridge's start), in order.
    pub fn check_all(entries: &[Entry]) -> Vec<TraceViolation> {
        Self::check_with(Self::new(), entries)
    }

    /// Every violation in `entries`, with `checker` as the starting point.
    pub fn check_with(mut checker: Self, entries: &[Entry]) -> Vec<TraceViolation> {
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
                self.streams.entry(id.clone()).or_default().restart_pending = true;
                None
            }
            What::CloudOut {
                msg,
                stream_id,
                status,
            } if msg.contains("stream_status") => {
                match stream_id.as_deref().filter(|id| !id.is_empty()) {
                    None => Some((
                        "ids on everything",
                        format!("the cloud was sent a {msg} without a stream id"),
                    )),
                    Some(id) => {
                        // What the cloud is told counts as what the bridge has.
                        if let Some(word) = status.as_deref() {
                            let word = word.to_ascii_lowercase();
                            if live_word(&word)
                                && self.quiet_since.is_none()
                                && !self.streams.contains_key(id)
                            {
                                self.streams.entry(id.to_owned()).or_default().last = Some(word);
                            }
                        }
                        self.settle(t);
                        None
                    }
                }
            }
            What::Stream {
                stream_id, state, ..
            } => self.stream(t, stream_id, state),
            What::Connection { peer, .. } if peer == "glasses" => {
                // A new connection: the bridge stops what it does not own as soon as it is
                // up, so the orphan clock starts again.
                self.glasses_live_since.clear();
                None
            }
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

    /// Whether any stream is live per the bridge now, and since when none is.
    fn settle(&mut self, t: u64) {
        let any_live = self
            .streams
            .values()
            .any(|s| s.last.as_deref().is_some_and(live_word));
        if any_live {
            self.quiet_since = None;
            self.glasses_live_since.clear();
        } else if self.quiet_since.is_none() && !self.streams.is_empty() {
            self.quiet_since = Some(t);
        }
    }

    fn stream(&mut self, t: u64, id: &str, state: &str) -> Option<(&'static str, String)> {
        if id.is_empty() {
            return Some((
                "ids on everything",
                format!("a stream update ({state}) without an id"),
            ));
        }
        let s = self.streams.entry(id.to_owned()).or_default();
        let mut ghost = false;
        if live_word(state) {
            match (s.ended, s.restart_pending) {
                (Some(_), false) => ghost = true,
                (Some(_), true) => s.ended = None, // the new stream under the old id
                (None, _) => {}
            }
            s.restart_pending = false;
        }
        if terminal_word(state) {
            s.ended = Some(t);
        }
        s.last = Some(state.to_owned());
        self.settle(t);
        ghost.then(|| {
            (
                "nothing live after a terminal status",
                format!("{id} reported {state} after its end"),
            )
        })
    }

    fn glasses(&mut self, t: u64, id: &str, state: &str) -> Option<(&'static str, String)> {
        if glasses_ended(state) {
            self.glasses_live_since.remove(id);
            return None;
        }
        if !glasses_live(state) {
            return None; // stopping, or a state this version does not know
        }
        let quiet = self.quiet_since?; // the bridge has (or may have) a live stream
        let since = *self.glasses_live_since.entry(id.to_owned()).or_insert(t);
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
    fn a_trace_missing_its_start_judges_no_orphan_until_it_shows_the_bridge() {
        let trace = [
            glasses(700_000, "s1", "streaming"),
            glasses(720_000, "s1", "streaming"),
        ];
        assert_eq!(
            TraceChecker::check_with(TraceChecker::for_partial_trace(), &trace),
            vec![]
        );
        assert_eq!(TraceChecker::check_all(&trace)[0].rule, "no orphan stream");
    }

    #[test]
    fn a_restart_under_the_same_id_while_it_stops_is_no_ghost() {
        let start = |t_ms| Entry {
            t_ms,
            what: What::CloudIn {
                msg: "start_stream".into(),
                stream_id: Some("s1".into()),
            },
        };
        let trace = [
            stream(0, "s1", "streaming"),
            stream(10, "s1", "stopping"),
            start(20),
            stream(30, "s1", "stopped"),
            stream(40, "s1", "initializing"),
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
