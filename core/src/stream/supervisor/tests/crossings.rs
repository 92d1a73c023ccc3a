//! Two events that cross: a command failing late, a stop and a restart of the same id, a
//! stop without an id after the first viewer left. Each was found by reading the supervisor
//! for seams, each failed before its fix.

use super::*;
use crate::glasses::{CommandFailure, SessionError};
use crate::wire::proto::ErrorCode;

fn failed(h: &mut H, id: &str, kind: CommandKind, reason: CommandFailure) -> Vec<StreamOutput> {
    h.input(StreamInput::CommandFailed {
        stream_id: id.into(),
        kind,
        reason,
    })
}

fn stops(out: &[StreamOutput]) -> usize {
    to_glasses(out)
        .iter()
        .filter(|c| c.kind == CommandKind::Stop)
        .count()
}

#[test]
fn rule_15_a_stop_the_session_could_not_send_stays_owed_and_goes_again() {
    let mut h = H::new();
    h.live("s1", "app");
    h.stop("s1");
    let out = failed(
        &mut h,
        "s1",
        CommandKind::Stop,
        CommandFailure::NotSent(SessionError::Busy),
    );
    assert!(
        words(&out).is_empty(),
        "not reported stopped: {:?}",
        words(&out)
    );
    let out = h.at(secs(6));
    assert_eq!(stops(&out), 1, "the stop goes again");
    // A firmware that says it is busy has not stopped either.
    let out = failed(
        &mut h,
        "s1",
        CommandKind::Stop,
        CommandFailure::Rejected {
            code: Some(ErrorCode::Busy),
            detail: "busy".into(),
        },
    );
    assert!(words(&out).is_empty());
    assert_eq!(stops(&h.at(secs(12))), 1, "still owed");
}

#[test]
fn rule_15_a_late_failure_of_an_old_stop_does_not_end_a_restart_of_the_same_id() {
    let mut h = H::new();
    h.live("s1", "app");
    h.stop("s1");
    // The stop is never confirmed: reported stopped at its timeout, still owed.
    let out = h.at(secs(10));
    assert_eq!(
        words(&out),
        [(
            "s1".into(),
            "stopped".into(),
            Some("glasses_no_answer".into())
        )]
    );
    // The cloud starts the same id again; the start waits for the fresh stop, then goes.
    h.start("s1", "app");
    h.at(secs(21));
    h.glasses("s1", W::Streaming, StreamErrorCode::None);
    // The old stop's failure arrives late.
    let out = failed(
        &mut h,
        "s1",
        CommandKind::Stop,
        CommandFailure::NoAnswer { attempts: 4 },
    );
    let out = [out, h.at(secs(22))].concat();
    assert!(
        words(&out).iter().all(|(_, w, _)| w != "stopped"),
        "the live restart is not reported stopped: {:?}",
        words(&out)
    );
}

#[test]
fn rule_04_a_stop_without_an_id_stops_a_shared_stream_its_first_viewer_left() {
    let mut h = H::new();
    h.live("m1", MANAGED);
    h.start("m2", MANAGED);
    h.stop("m1");
    let out = h.stop("");
    assert_eq!(stops(&out), 1, "the camera is told to stop");
    assert!(
        words(&out)
            .iter()
            .any(|(id, w, _)| id == "m2" && w == "stopping"),
        "{:?}",
        words(&out)
    );
}

#[test]
fn rule_16_a_start_of_the_id_that_is_stopping_runs_after_the_stop() {
    let mut h = H::new();
    h.live("s1", "app");
    h.stop("s1");
    let out = h.start("s1", "app");
    assert!(
        words(&out).iter().all(|(_, w, _)| w != "stopping"),
        "not swallowed as a duplicate of the stopping stream: {:?}",
        words(&out)
    );
    let out = h.glasses("s1", W::Stopped, StreamErrorCode::None);
    assert!(
        to_glasses(&out)
            .iter()
            .any(|c| c.kind == CommandKind::Start),
        "started once the stop is confirmed: {:?}",
        words(&out)
    );
}

#[test]
fn rule_05_a_lost_start_ack_does_not_end_a_stream_already_live() {
    let mut h = H::new();
    h.live("s1", "app");
    let out = failed(
        &mut h,
        "s1",
        CommandKind::Start,
        CommandFailure::NoAnswer { attempts: 4 },
    );
    assert!(words(&out).is_empty(), "{:?}", words(&out));
    assert_eq!(stops(&out), 0);
}

#[test]
fn rule_08_a_refused_relink_question_still_resolves_the_stream() {
    let mut h = H::new();
    h.live("s1", "app");
    h.input(StreamInput::GlassesDown);
    h.input(StreamInput::GlassesReady {
        limits: Default::default(),
        transports: vec![Transport::Rtmp],
    });
    let mut out = Vec::new();
    for _ in 0..4 {
        out.extend(failed(
            &mut h,
            "s1",
            CommandKind::Status,
            CommandFailure::Rejected {
                code: Some(ErrorCode::Unsupported),
                detail: String::new(),
            },
        ));
    }
    assert!(
        words(&out)
            .iter()
            .any(|(id, w, _)| id == "s1" && w == "error"),
        "not left reconnecting: {:?}",
        words(&out)
    );
}

#[test]
fn rule_15_a_stop_the_glasses_announce_themselves_ends_even_when_their_stopped_is_lost() {
    // Found by the whole-bridge simulation (seed 3751, Mentra Live): the glasses said
    // `stopping` on their own (a stop that was not the bridge's), their `stopped` was lost,
    // and the stream stayed `stopping` forever — no stop timeout was armed.
    let mut h = H::new();
    h.live("s1", "app");
    let out = h.glasses("s1", W::Stopping, StreamErrorCode::None);
    assert_eq!(words(&out), [("s1".into(), "stopping".into(), None)]);
    let out = h.at(secs(30));
    let ended: Vec<_> = cloud(&out)
        .into_iter()
        .filter(|u| u.state == StreamState::Stopped)
        .collect();
    assert_eq!(
        ended.len(),
        1,
        "the stop timeout reports the end: {:?}",
        words(&out)
    );
}
