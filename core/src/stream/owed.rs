//! What the supervisor still owes the glasses and remembers of ended streams (rule 15):
//! stops owed until the glasses confirm them (delivered on relink, sent again while
//! unanswered), and the ids it told the cloud had ended, so nothing live is reported for them
//! again and the cloud can be told once more after a reconnect. Both are bounded.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::io::StreamUpdate;

/// Stops owed at once, at most (the oldest is forgotten first, with a warning).
const MAX_OWED: usize = 16;
/// Ended streams remembered.
const MAX_ENDED: usize = 32;
/// How often an unconfirmed stop is sent again while the glasses are reachable.
pub(crate) const RESEND_EVERY: Duration = Duration::from_secs(5);
/// How long an ended stream is re-reported to a cloud that reconnects.
pub(crate) const REMEMBER_ENDS: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
struct Owed {
    /// The glasses' id for the stream.
    id: String,
    /// When it was last sent; `None` while the glasses were unreachable.
    sent: Option<Instant>,
    /// When it was first sent.
    first_sent: Option<Instant>,
}

/// Stops the glasses have not confirmed.
#[derive(Debug, Default)]
pub(crate) struct OwedStops {
    owed: VecDeque<Owed>,
}

impl OwedStops {
    /// The glasses must stop `id`. Returns the id forgotten to stay within the bound.
    pub(crate) fn owe(&mut self, id: &str) -> Option<String> {
        if self.owed.iter().any(|o| o.id == id) {
            return None;
        }
        let dropped = (self.owed.len() >= MAX_OWED)
            .then(|| self.owed.pop_front().map(|o| o.id))
            .flatten();
        self.owed.push_back(Owed {
            id: id.to_owned(),
            sent: None,
            first_sent: None,
        });
        dropped
    }

    /// True while `id` is owed a stop.
    pub(crate) fn is_owed(&self, id: &str) -> bool {
        self.owed.iter().any(|o| o.id == id)
    }

    /// True while an owed stop is fresh: not yet sent, or first sent less than `window` ago
    /// (the camera may still be winding it down, or a retry of it may still be on its way).
    /// One the glasses never confirmed for longer is not waited for.
    pub(crate) fn any_fresh(&self, now: Instant, window: Duration) -> bool {
        self.owed
            .iter()
            .any(|o| o.first_sent.is_none_or(|f| now < f + window))
    }

    /// The glasses confirmed `id` is not running.
    pub(crate) fn confirm(&mut self, id: &str) {
        self.owed.retain(|o| o.id != id);
    }

    /// The glasses run nothing at all.
    pub(crate) fn confirm_all(&mut self) {
        self.owed.clear();
    }

    /// Stops to send now: every owed one not sent in the last [`RESEND_EVERY`] (all of them
    /// when `relinked`). Marks them sent.
    pub(crate) fn due(&mut self, now: Instant, relinked: bool) -> Vec<String> {
        self.owed
            .iter_mut()
            .filter(|o| relinked || o.sent.is_none_or(|s| now >= s + RESEND_EVERY))
            .map(|o| {
                o.sent = Some(now);
                o.first_sent.get_or_insert(now);
                o.id.clone()
            })
            .collect()
    }

    /// The link dropped: what was sent is lost with it.
    pub(crate) fn unsent(&mut self) {
        for o in &mut self.owed {
            o.sent = None;
        }
    }

    /// When the next resend is due (only while the glasses are reachable).
    pub(crate) fn next_resend(&self) -> Option<Instant> {
        self.owed
            .iter()
            .filter_map(|o| o.sent.map(|s| s + RESEND_EVERY))
            .min()
    }

    pub(crate) fn len(&self) -> usize {
        self.owed.len()
    }
}

#[derive(Debug, Clone)]
struct Ended {
    /// The cloud's id.
    stream_id: String,
    /// The glasses' id for the stream that carried it.
    glasses_id: String,
    /// What the cloud was told last.
    last: StreamUpdate,
    app_id: Option<String>,
    at: Instant,
}

/// Streams the cloud was told have ended.
#[derive(Debug, Default)]
pub(crate) struct EndedStreams {
    ended: VecDeque<Ended>,
}

impl EndedStreams {
    pub(crate) fn record(
        &mut self,
        glasses_id: &str,
        last: StreamUpdate,
        app_id: Option<String>,
        now: Instant,
    ) {
        self.ended.retain(|e| e.stream_id != last.stream_id);
        if self.ended.len() >= MAX_ENDED {
            self.ended.pop_front();
        }
        self.ended.push_back(Ended {
            stream_id: last.stream_id.clone(),
            glasses_id: glasses_id.to_owned(),
            last,
            app_id,
            at: now,
        });
    }

    /// A new start for `stream_id`: it is alive again.
    pub(crate) fn restarted(&mut self, stream_id: &str) {
        self.ended.retain(|e| e.stream_id != stream_id);
    }

    /// True when the glasses' `glasses_id` carried a stream that ended.
    pub(crate) fn carried(&self, glasses_id: &str) -> bool {
        self.ended.iter().any(|e| e.glasses_id == glasses_id)
    }

    /// The last updates of the streams that ended within [`REMEMBER_ENDS`], oldest first.
    pub(crate) fn recent(&self, now: Instant) -> Vec<(StreamUpdate, Option<String>)> {
        self.ended
            .iter()
            .filter(|e| now.saturating_duration_since(e.at) <= REMEMBER_ENDS)
            .map(|e| (e.last.clone(), e.app_id.clone()))
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.ended.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamState;

    #[test]
    fn owed_stops_are_resent_until_confirmed_and_bounded() {
        let t0 = Instant::now();
        let mut o = OwedStops::default();
        o.owe("s1");
        o.owe("s1");
        assert_eq!(o.len(), 1);
        assert_eq!(o.due(t0, false), ["s1"]);
        assert!(o.due(t0 + Duration::from_secs(1), false).is_empty());
        assert_eq!(o.next_resend(), Some(t0 + RESEND_EVERY));
        assert_eq!(o.due(t0 + RESEND_EVERY, false), ["s1"]);
        o.unsent();
        assert_eq!(o.next_resend(), None, "nothing to resend while unreachable");
        assert_eq!(
            o.due(t0 + RESEND_EVERY, true),
            ["s1"],
            "all of them on relink"
        );
        o.confirm("s1");
        assert_eq!(o.len(), 0);
        for n in 0..MAX_OWED {
            assert_eq!(o.owe(&format!("s{n}")), None);
        }
        assert_eq!(o.owe("last"), Some("s0".into()));
        assert_eq!(o.len(), MAX_OWED);
    }

    #[test]
    fn ended_streams_are_remembered_for_a_while_and_bounded() {
        let t0 = Instant::now();
        let mut e = EndedStreams::default();
        for n in 0..40 {
            let id = format!("s{n}");
            e.record(
                &id,
                StreamUpdate::new(id.clone(), StreamState::Stopped),
                None,
                t0,
            );
        }
        assert_eq!(e.len(), MAX_ENDED);
        assert!(e.carried("s39") && !e.carried("s0"));
        e.restarted("s39");
        assert!(!e.carried("s39"));
        assert_eq!(e.recent(t0).len(), MAX_ENDED - 1);
        assert!(
            e.recent(t0 + REMEMBER_ENDS + Duration::from_secs(1))
                .is_empty()
        );
    }
}
