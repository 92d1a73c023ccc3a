//! A trace as a person reads it: per stream, each state with the time spent in it and every
//! error with its sentence; then the connection changes and warnings.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Entry, What};

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// One state of a stream: when, the state, its problem code and sentence.
type Step<'a> = (u64, &'a str, Option<&'a str>, Option<&'a str>);

/// The readable timeline of `entries`.
pub fn render_timeline(entries: &[Entry]) -> String {
    let end = entries.last().map_or(0, |e| e.t_ms);
    let mut streams: BTreeMap<&str, Vec<Step<'_>>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut out = String::new();
    for e in entries {
        if let What::Stream {
            stream_id,
            state,
            problem,
            sentence,
        } = &e.what
        {
            let list = streams.entry(stream_id).or_default();
            if list.is_empty() {
                order.push(stream_id);
            }
            // Stats updates repeat the state: keep state changes only.
            if list
                .last()
                .is_none_or(|(_, s, p, _)| *s != state.as_str() || *p != problem.as_deref())
            {
                list.push((e.t_ms, state, problem.as_deref(), sentence.as_deref()));
            }
        }
    }
    let _ = writeln!(out, "{} entries over {}", entries.len(), secs(end));
    for id in order {
        let _ = writeln!(out, "\nstream {id}");
        let list = &streams[id];
        for (i, (t, state, problem, sentence)) in list.iter().enumerate() {
            let until = list.get(i + 1).map_or(end, |n| n.0);
            let terminal = matches!(*state, "stopped" | "error" | "timeout" | "reconnect_failed");
            let spent = if terminal {
                String::new()
            } else {
                format!(" for {}", secs(until.saturating_sub(*t)))
            };
            let _ = write!(out, "  {:>9}  {state}{spent}", secs(*t));
            if let Some(p) = problem {
                let _ = write!(out, " [{p}]");
            }
            if let Some(s) = sentence {
                let _ = write!(out, ": {s}");
            }
            out.push('\n');
        }
    }
    let mut events = String::new();
    for e in entries {
        match &e.what {
            What::Connection {
                peer,
                state,
                reason,
            } => {
                let _ = write!(events, "  {:>9}  {peer} {state}", secs(e.t_ms));
                if let Some(r) = reason {
                    let _ = write!(events, " ({r})");
                }
                events.push('\n');
            }
            What::Warning { code, message } => {
                let _ = writeln!(events, "  {:>9}  warning {code}: {message}", secs(e.t_ms));
            }
            What::Stopped { reason } => {
                let _ = writeln!(
                    events,
                    "  {:>9}  bridge stopped{}",
                    secs(e.t_ms),
                    reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                );
            }
            _ => {}
        }
    }
    if !events.is_empty() {
        out.push_str("\nconnections and warnings\n");
        out.push_str(&events);
    }
    out
}
