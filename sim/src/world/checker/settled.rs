//! The check made once the world has settled (links up, faults over, time passed): the
//! camera carries exactly what the cloud believes live, every stop completed, both links are
//! connected, and the cloud heard each stream's statuses in the order the bridge made them.

use mentra_bridge::BridgeState;
use mentra_bridge::bridge::{CloudConnectionState, GlassesConnectionState};
use mentra_bridge::stream::StreamState;
use tokio::time::Instant;

use super::Checker;
use crate::glasses::CameraView;
use crate::world::cloud_model::CloudModel;

impl Checker {
    /// The world has settled: links up, faults over, time passed. The camera must carry
    /// exactly what the cloud believes live, stops must be complete, both links connected.
    pub fn quiescent(
        &mut self,
        now: Instant,
        camera: &CameraView,
        cloud: &CloudModel,
        snapshot: &BridgeState,
    ) {
        if !self.incompatible
            && !matches!(snapshot.glasses, GlassesConnectionState::Connected { .. })
        {
            let what = format!("settled, but the glasses are {:?}", snapshot.glasses);
            self.fail(now, "links recover", what);
        }
        if snapshot.cloud != CloudConnectionState::Connected {
            let what = format!("settled, but the cloud is {:?}", snapshot.cloud);
            self.fail(now, "links recover", what);
        }
        let believed: Vec<&String> = cloud
            .streams
            .iter()
            .filter(|(_, s)| s.believed_live())
            .map(|(id, _)| id)
            .collect();
        for (id, s) in &cloud.streams {
            if s.stopped.is_some() && s.believed_live() {
                let what = format!(
                    "{id} was stopped by the cloud, which last heard {:?}",
                    s.last_word
                );
                self.fail(now, "a stop completes", what);
            }
        }
        let on = camera.phase.is_on();
        match (&camera.stream_id, on) {
            (Some(id), true) => {
                let carried = believed.contains(&id)
                    || (!believed.is_empty()
                        && believed.iter().all(|b| b.starts_with('m'))
                        && id.starts_with('m'));
                if !carried {
                    let what =
                        format!("the camera streams {id}, the cloud believes {believed:?} live");
                    self.fail(now, "no orphan stream", what);
                }
            }
            _ if !believed.is_empty() => {
                let what = format!(
                    "the cloud believes {believed:?} live, the camera is {:?}",
                    camera.phase
                );
                self.fail(now, "no ghost stream", what);
            }
            _ => {}
        }
        if !self.overflowed {
            let mut out_of_order = Vec::new();
            for (id, got) in &self.received {
                let made = self.produced.get(id).cloned().unwrap_or_default();
                if !is_subsequence(got, &made) {
                    out_of_order.push(format!(
                        "{id}: the cloud got {got:?}, the bridge produced {made:?}"
                    ));
                }
            }
            for what in out_of_order {
                self.fail(now, "statuses arrive in order", what);
            }
        }
    }
}

/// A state for the order check: every end is one word (a 2025 `timeout` and our `error` for
/// the same end are the same fact).
pub(super) fn order_word(state: StreamState) -> String {
    if state.is_terminal() {
        "ended".to_owned()
    } else {
        state.to_string()
    }
}

pub(super) fn push_dedup(words: &mut Vec<String>, word: String) {
    if words.last() != Some(&word) && words.len() < 512 {
        words.push(word);
    }
}

fn is_subsequence(small: &[String], big: &[String]) -> bool {
    let mut it = big.iter();
    small.iter().all(|w| it.any(|b| b == w))
}
