//! The bounded, ordered queue of messages waiting for the cloud. Nothing is lost up to its
//! bound; telemetry that a newer message makes obsolete is coalesced; past the bound the oldest
//! message goes and the loss is counted.

use std::collections::VecDeque;

use super::incoming::CloudGeneration;
use super::outgoing::Outgoing;

/// What happened to a pushed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum PushOutcome {
    /// Queued at the back.
    Queued,
    /// Queued at the back, replacing an older message of the same telemetry kind.
    Coalesced,
    /// Queued, but the oldest message had to be dropped to stay within the bound.
    DroppedOldest,
}

/// A message and the time it was produced (its `timestamp`).
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    message: Outgoing,
    timestamp: String,
}

/// Bounded FIFO of messages for the cloud.
#[derive(Debug)]
pub struct Outbox {
    entries: VecDeque<Entry>,
    capacity: usize,
    dropped: u64,
}

impl Outbox {
    /// An outbox holding at most `capacity` messages (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            entries: VecDeque::with_capacity(capacity.min(64)),
            capacity,
            dropped: 0,
        }
    }

    /// Queues a message produced at `timestamp`.
    pub fn push(&mut self, message: Outgoing, timestamp: String) -> PushOutcome {
        let mut outcome = PushOutcome::Queued;
        if self
            .entries
            .back()
            .is_some_and(|last| message.supersedes(&last.message))
        {
            self.entries.pop_back();
            outcome = PushOutcome::Coalesced;
        } else if let Some(key) = message.coalesce_key() {
            if let Some(pos) = self
                .entries
                .iter()
                .position(|e| e.message.coalesce_key() == Some(key))
            {
                self.entries.remove(pos);
                outcome = PushOutcome::Coalesced;
            }
        }
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
            outcome = PushOutcome::DroppedOldest;
        }
        self.entries.push_back(Entry { message, timestamp });
        outcome
    }

    /// The oldest message as a JSON frame for a cloud of `generation`, without removing it.
    pub fn front_json(&self, generation: CloudGeneration) -> Option<String> {
        self.entries
            .front()
            .map(|e| e.message.to_json(&e.timestamp, generation))
    }

    /// Removes the oldest message (after it was written to the socket).
    pub fn pop_front(&mut self) {
        self.entries.pop_front();
    }

    /// Messages waiting.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Messages dropped because the bound was reached, since creation.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::outgoing::{GlassesBatteryUpdate, KeepAliveAck};

    fn ack(n: u32) -> Outgoing {
        Outgoing::KeepAliveAck(KeepAliveAck {
            stream_id: "s".into(),
            ack_id: n.to_string(),
        })
    }

    fn battery(level: u32) -> Outgoing {
        Outgoing::Battery(GlassesBatteryUpdate {
            level,
            charging: false,
            time_remaining: None,
        })
    }

    #[test]
    fn keeps_order_and_coalesces_battery() {
        let mut o = Outbox::new(10);
        assert_eq!(o.push(battery(90), "t".into()), PushOutcome::Queued);
        assert_eq!(o.push(ack(1), "t".into()), PushOutcome::Queued);
        assert_eq!(o.push(battery(89), "t".into()), PushOutcome::Coalesced);
        assert_eq!(o.len(), 2);
        assert!(
            o.front_json(CloudGeneration::V2026)
                .unwrap()
                .contains("\"ackId\":\"1\"")
        );
        o.pop_front();
        assert!(
            o.front_json(CloudGeneration::V2026)
                .unwrap()
                .contains("\"level\":89")
        );
    }

    #[test]
    fn back_to_back_stream_stats_coalesce_but_state_changes_do_not() {
        use crate::cloud::outgoing::{StatusStats, StreamStatusMessage};
        let status = |word: &str, duration: u32| {
            Outgoing::StreamStatus(StreamStatusMessage {
                stream_id: "s1".into(),
                status: word.into(),
                stats: (word == "streaming").then(|| StatusStats {
                    duration,
                    ..Default::default()
                }),
                ..Default::default()
            })
        };
        let mut o = Outbox::new(10);
        let _ = o.push(status("initializing", 0), "t".into());
        let _ = o.push(status("streaming", 1), "t".into());
        assert_eq!(
            o.push(status("streaming", 2), "t".into()),
            PushOutcome::Coalesced
        );
        let _ = o.push(status("stopping", 0), "t".into());
        let _ = o.push(status("streaming", 3), "t".into());
        assert_eq!(o.len(), 4);
        o.pop_front();
        assert!(
            o.front_json(CloudGeneration::V2026)
                .unwrap()
                .contains("\"duration\":2"),
            "latest stats kept"
        );
    }

    #[test]
    fn bound_drops_oldest_and_counts() {
        let mut o = Outbox::new(2);
        let _ = o.push(ack(1), "t".into());
        let _ = o.push(ack(2), "t".into());
        assert_eq!(o.push(ack(3), "t".into()), PushOutcome::DroppedOldest);
        assert_eq!(o.dropped(), 1);
        assert!(
            o.front_json(CloudGeneration::V2026)
                .unwrap()
                .contains("\"ackId\":\"2\"")
        );
    }
}
