//! Stream checks (proto/README.md §5, §6 and "Behaviour: streams"): the start and stop
//! sequences, stats, keep-alives, the edge cases of ids, the watchdog, the duration limit and
//! the stream error codes. One stream runs from `stream.start_sequence` to
//! `stream.stop_sequence`; the later checks start their own and leave the camera off.

use std::time::Duration;

use mentra_bridge::wire::proto::{
    AudioConfig, CameraLimits, ErrorCode, GetStreamStatus, GlassesToPhone, KeepStreamAlive,
    StartStream, StopStream, StreamErrorCode, StreamKind, StreamState, StreamTransport,
    VideoConfig, glasses_to_phone::Body as G, phone_to_glasses::Body as P,
};
use tokio::time::Instant;

use super::{Verdict, ask};
use crate::conformance::Ctx;
use crate::conformance::phone::{Heard, Phone};

/// The stream that runs through the middle checks.
const MAIN: &str = "conformance-main";
/// Stats statuses the stats check times.
const STATS_SEEN: usize = 4;
/// The band a 1 s stats period may wander in.
const STATS_BAND: (Duration, Duration) = (Duration::from_millis(500), Duration::from_millis(2000));
/// How long a stop may take (the phone's `stop_timeout`).
const STOP_WITHIN: Duration = Duration::from_secs(10);

fn status_of<'a>(
    m: &'a GlassesToPhone,
    id: &str,
) -> Option<&'a mentra_bridge::wire::proto::StreamStatus> {
    match &m.body {
        Some(G::StreamStatus(s)) if s.stream_id == id => Some(s),
        _ => None,
    }
}

fn is_state(m: &GlassesToPhone, id: &str, state: StreamState) -> bool {
    status_of(m, id).is_some_and(|s| s.state == state as i32)
}

fn code_name(code: i32) -> String {
    StreamErrorCode::try_from(code).map_or_else(|_| code.to_string(), |c| c.as_str_name().into())
}

fn clamp(want: u32, min: u32, max: u32) -> u32 {
    if max == 0 {
        want
    } else {
        want.clamp(min.min(max), max)
    }
}

/// The transport a URL's scheme names.
fn transport_of(url: &str) -> StreamTransport {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("srt://") {
        StreamTransport::Srt
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        StreamTransport::Whip
    } else {
        StreamTransport::Rtmp
    }
}

/// A start for `id` to the configured ingest, inside the declared camera limits.
fn start_body(ctx: &Ctx, id: &str, telemetry: bool) -> StartStream {
    let c: CameraLimits = ctx.caps.as_ref().and_then(|c| c.camera).unwrap_or_default();
    StartStream {
        stream_id: id.into(),
        kind: StreamKind::Unmanaged as i32,
        url: ctx.config.ingest_url.expose().clone(),
        video: Some(VideoConfig {
            width: clamp(1280, c.min_width, c.max_width),
            height: clamp(720, c.min_height, c.max_height),
            bitrate_bps: clamp(2_000_000, c.min_video_bitrate_bps, c.max_video_bitrate_bps),
            fps: clamp(15, c.min_fps, c.max_fps),
        }),
        audio: Some(AudioConfig {
            bitrate_bps: clamp(64_000, c.min_audio_bitrate_bps, c.max_audio_bitrate_bps),
            sample_rate_hz: clamp(
                44_100,
                c.min_audio_sample_rate_hz,
                c.max_audio_sample_rate_hz,
            ),
            ..Default::default()
        }),
        keep_alive_timeout_s: 60,
        transport: transport_of(ctx.config.ingest_url.expose()) as i32,
        telemetry,
        ..Default::default()
    }
}

/// Sends a start and requires an `Ack` for it.
async fn start_acked(
    phone: &mut Phone,
    ctx: &mut Ctx,
    v: &mut Verdict,
    start: StartStream,
) -> bool {
    let what = format!("StartStream {:?}", start.stream_id);
    match ask(phone, ctx, v, &what, P::StartStream(start)).await {
        Some((_, h)) => v.require(
            matches!(h.message.body, Some(G::Ack(_))),
            "the reply to StartStream is Ack",
        ),
        None => false,
    }
}

/// Waits for a status of `id` in `state`, recording it; a failure names `rule` without one.
async fn await_state(
    phone: &mut Phone,
    v: &mut Verdict,
    id: &str,
    state: StreamState,
    within: Duration,
    rule: &str,
) -> Option<Heard> {
    let id_owned = id.to_string();
    match phone
        .expect(within, |m| is_state(m, &id_owned, state))
        .await
    {
        Some(h) => {
            v.heard("then", &h);
            Some(h)
        }
        None => {
            v.fail(format!(
                "{rule}: no {} for {id:?} within {within:?}",
                state.as_str_name()
            ));
            None
        }
    }
}

/// Waits for the end of `id` (ERROR, STOPPED or RECONNECT_FAILED), recording it.
async fn await_end(phone: &mut Phone, id: &str, within: Duration) -> Option<Heard> {
    let id = id.to_string();
    phone
        .expect(within, |m| {
            status_of(m, &id).is_some_and(|s| {
                [
                    StreamState::Error,
                    StreamState::Stopped,
                    StreamState::ReconnectFailed,
                ]
                .iter()
                .any(|st| s.state == *st as i32)
            })
        })
        .await
}

/// Asks for the stream status and requires `state` (for `id`, unless IDLE).
async fn status_is(
    phone: &mut Phone,
    ctx: &mut Ctx,
    v: &mut Verdict,
    id: &str,
    state: StreamState,
) {
    let Some((_, h)) = ask(
        phone,
        ctx,
        v,
        "GetStreamStatus",
        P::GetStreamStatus(GetStreamStatus {}),
    )
    .await
    else {
        return;
    };
    match &h.message.body {
        Some(G::StreamStatus(s)) => {
            let id_ok = state == StreamState::Idle || s.stream_id == id;
            v.require(
                s.state == state as i32 && id_ok,
                format!("the status must be {} for {id:?}", state.as_str_name()),
            );
        }
        _ => {
            v.fail("the reply to GetStreamStatus is a StreamStatus");
        }
    }
}

/// Leaves the camera off after a check that may have left `id` running.
async fn tidy(phone: &mut Phone, id: &str) {
    if phone
        .send(P::StopStream(StopStream {
            stream_id: id.into(),
        }))
        .await
        .is_ok()
    {
        let _ = await_end(phone, id, STOP_WITHIN).await;
    }
}

pub(super) async fn start(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let body = start_body(ctx, MAIN, true);
    if !start_acked(phone, ctx, v, body).await {
        return;
    }
    let Some(init) = await_state(
        phone,
        v,
        MAIN,
        StreamState::Initializing,
        ctx.config.reply_timeout,
        "after the Ack",
    )
    .await
    else {
        return;
    };
    v.require(
        init.message.reply_to == 0,
        "INITIALIZING is unsolicited (reply_to 0)",
    );
    let Some(live) = await_state(
        phone,
        v,
        MAIN,
        StreamState::Streaming,
        ctx.config.start_timeout,
        "the start",
    )
    .await
    else {
        return;
    };
    let ms = live.at.saturating_duration_since(init.at).as_millis();
    v.saw(format!("live {ms} ms after INITIALIZING"));
    ctx.main_live = true;
    if let Some(s) = status_of(&live.message, MAIN) {
        v.require(
            s.resolved_video.is_some() && s.resolved_audio.is_some(),
            "STREAMING carries the resolved video and audio config",
        );
    }
}

/// The checks on the shared stream need it live; a failed start is reported once, there.
fn needs_main(ctx: &Ctx, v: &mut Verdict) -> bool {
    if !ctx.main_live {
        v.fail("not run: the stream of stream.start_sequence is not live");
    }
    ctx.main_live
}

pub(super) async fn stats(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if !needs_main(ctx, v) {
        return;
    }
    let mut times: Vec<Instant> = Vec::new();
    let deadline = Instant::now() + STATS_BAND.1 * (STATS_SEEN as u32 + 1);
    while times.len() < STATS_SEEN {
        let left = deadline.saturating_duration_since(Instant::now());
        let with_stats = |m: &GlassesToPhone| {
            status_of(m, MAIN)
                .is_some_and(|s| s.state == StreamState::Streaming as i32 && s.stats.is_some())
        };
        match phone.expect(left, with_stats).await {
            Some(h) => times.push(h.at),
            None => break,
        }
    }
    let gaps: Vec<u128> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect();
    v.saw(format!(
        "{} STREAMING statuses with stats, gaps {gaps:?} ms",
        times.len()
    ));
    if v.require(
        times.len() == STATS_SEEN,
        format!("{STATS_SEEN} statuses with stats (the start asked for telemetry)"),
    ) {
        let ok = times.windows(2).all(|w| {
            let gap = w[1] - w[0];
            gap >= STATS_BAND.0 && gap <= STATS_BAND.1
        });
        v.require(ok, "stats come about every second (0.5–2 s apart)");
    }
}

pub(super) async fn keep_alive(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if !needs_main(ctx, v) {
        return;
    }
    let ka = KeepStreamAlive {
        stream_id: MAIN.into(),
        ack_id: "conformance-ack-1".into(),
    };
    if let Some((_, h)) = ask(phone, ctx, v, "KeepStreamAlive", P::KeepStreamAlive(ka)).await {
        let ok = matches!(&h.message.body, Some(G::KeepAliveAck(a))
            if a.stream_id == MAIN && a.ack_id == "conformance-ack-1");
        v.require(
            ok,
            "the reply is KeepAliveAck with the stream id and ack id",
        );
    }
}

pub(super) async fn status(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if !needs_main(ctx, v) {
        return;
    }
    status_is(phone, ctx, v, MAIN, StreamState::Streaming).await;
}

pub(super) async fn repeat_start(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if !needs_main(ctx, v) {
        return;
    }
    if !start_acked(phone, ctx, v, start_body(ctx, MAIN, true)).await {
        return;
    }
    let changes = phone
        .gather(ctx.config.quiet_period, |m| {
            status_of(m, MAIN).is_some_and(|s| s.state != StreamState::Streaming as i32)
        })
        .await;
    for h in &changes {
        v.heard("then", h);
    }
    v.require(
        changes.is_empty(),
        "a repeat start changes nothing (no new INITIALIZING, no end)",
    );
    status_is(phone, ctx, v, MAIN, StreamState::Streaming).await;
}

pub(super) async fn second_start(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if !needs_main(ctx, v) {
        return;
    }
    let other = "conformance-second";
    if !start_acked(phone, ctx, v, start_body(ctx, other, false)).await {
        tidy(phone, other).await;
        return;
    }
    let refused = await_state(
        phone,
        v,
        other,
        StreamState::Error,
        ctx.config.reply_timeout,
        "a second start",
    )
    .await;
    if refused.is_none() {
        tidy(phone, other).await; // it may have started: leave the camera as it was
    }
    if let Some(h) = refused {
        let code = status_of(&h.message, other).map_or(0, |s| s.error_code);
        v.require(
            code == StreamErrorCode::AlreadyStreaming as i32,
            format!("the error is ALREADY_STREAMING, got {}", code_name(code)),
        );
    }
    status_is(phone, ctx, v, MAIN, StreamState::Streaming).await;
}

pub(super) async fn stop_other(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if !needs_main(ctx, v) {
        return;
    }
    let other = "conformance-other";
    let stop = P::StopStream(StopStream {
        stream_id: other.into(),
    });
    if let Some((_, h)) = ask(phone, ctx, v, "StopStream for another id", stop).await {
        v.require(
            matches!(h.message.body, Some(G::Ack(_))),
            "the reply to StopStream is Ack",
        );
        await_state(
            phone,
            v,
            other,
            StreamState::Stopped,
            ctx.config.reply_timeout,
            "a stop for another id",
        )
        .await;
    }
    status_is(phone, ctx, v, MAIN, StreamState::Streaming).await;
}

pub(super) async fn keep_alive_unknown(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let ka = KeepStreamAlive {
        stream_id: "conformance-unknown".into(),
        ack_id: "conformance-ack-2".into(),
    };
    if let Some((_, h)) = ask(
        phone,
        ctx,
        v,
        "KeepStreamAlive for an unknown stream",
        P::KeepStreamAlive(ka),
    )
    .await
    {
        let ok = matches!(&h.message.body, Some(G::Error(e)) if e.code == ErrorCode::InvalidArgument as i32);
        v.require(
            ok,
            "the reply is Error INVALID_ARGUMENT (the phone reads it as: no such stream)",
        );
    }
}

pub(super) async fn stop(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if !needs_main(ctx, v) {
        return;
    }
    ctx.main_live = false;
    let stop = P::StopStream(StopStream {
        stream_id: MAIN.into(),
    });
    let Some((_, h)) = ask(phone, ctx, v, "StopStream", stop).await else {
        return;
    };
    v.require(
        matches!(h.message.body, Some(G::Ack(_))),
        "the reply to StopStream is Ack",
    );
    await_state(
        phone,
        v,
        MAIN,
        StreamState::Stopping,
        ctx.config.reply_timeout,
        "the stop",
    )
    .await;
    await_state(
        phone,
        v,
        MAIN,
        StreamState::Stopped,
        STOP_WITHIN,
        "the stop",
    )
    .await;
    status_is(phone, ctx, v, MAIN, StreamState::Idle).await;
}

pub(super) async fn stop_idle(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = "conformance-idle";
    let stop = P::StopStream(StopStream {
        stream_id: id.into(),
    });
    if let Some((_, h)) = ask(phone, ctx, v, "StopStream while idle", stop).await {
        v.require(
            matches!(h.message.body, Some(G::Ack(_))),
            "the reply to StopStream is Ack",
        );
        await_state(
            phone,
            v,
            id,
            StreamState::Stopped,
            ctx.config.reply_timeout,
            "a stop while idle",
        )
        .await;
    }
}

pub(super) async fn watchdog(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = "conformance-watchdog";
    let secs = ctx.config.watchdog_s;
    let mut body = start_body(ctx, id, false);
    body.keep_alive_timeout_s = secs;
    let sent = Instant::now();
    if !start_acked(phone, ctx, v, body).await {
        return;
    }
    v.saw(format!(
        "keep_alive_timeout_s {secs}; the phone now sends nothing at all"
    ));
    let limit = Duration::from_secs(u64::from(secs));
    match await_end(phone, id, limit + ctx.config.start_timeout).await {
        Some(h) => {
            let after = h.at.saturating_duration_since(sent);
            v.heard(&format!("after {} ms", after.as_millis()), &h);
            let s = status_of(&h.message, id);
            let code = s.map_or(0, |s| s.error_code);
            v.require(
                s.is_some_and(|s| s.state == StreamState::Error as i32)
                    && code == StreamErrorCode::KeepAliveTimeout as i32,
                format!(
                    "the end is ERROR KEEP_ALIVE_TIMEOUT, got {}",
                    code_name(code)
                ),
            );
            v.require(
                after >= limit.mul_f32(0.8),
                "the watchdog must not fire early",
            );
        }
        None => {
            v.fail(format!(
                "the stream did not end within {:?} of going quiet",
                limit + ctx.config.start_timeout
            ));
            tidy(phone, id).await;
        }
    }
}

pub(super) async fn duration_limit(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = "conformance-duration";
    let secs = ctx.config.duration_limit_s;
    let mut body = start_body(ctx, id, false);
    body.duration_limit_s = secs;
    if !start_acked(phone, ctx, v, body).await {
        return;
    }
    let Some(live) = await_state(
        phone,
        v,
        id,
        StreamState::Streaming,
        ctx.config.start_timeout,
        "the start",
    )
    .await
    else {
        tidy(phone, id).await;
        return;
    };
    let limit = Duration::from_secs(u64::from(secs));
    match await_end(phone, id, limit + Duration::from_secs(5)).await {
        Some(h) => {
            let after = h.at.saturating_duration_since(live.at);
            v.heard(&format!("{} ms after STREAMING", after.as_millis()), &h);
            let code = status_of(&h.message, id).map_or(0, |s| s.error_code);
            v.require(
                code == StreamErrorCode::DurationLimit as i32,
                format!("the end is ERROR DURATION_LIMIT, got {}", code_name(code)),
            );
            v.require(
                after >= limit.mul_f32(0.8),
                "the limit counts from STREAMING and must not end it early",
            );
            status_is(phone, ctx, v, id, StreamState::Idle).await;
        }
        None => {
            v.fail(format!("the stream outlived its {secs} s limit by 5 s"));
            tidy(phone, id).await;
        }
    }
}

pub(super) async fn invalid_url(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = "conformance-bad-url";
    let mut body = start_body(ctx, id, false);
    body.url = "ftp://conformance.invalid/live".into();
    body.transport = StreamTransport::Unspecified as i32;
    if !start_acked(phone, ctx, v, body).await {
        return;
    }
    expect_error(phone, ctx, v, id, StreamErrorCode::InvalidUrl).await;
}

pub(super) async fn unsupported_transport(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let declared: Vec<i32> = ctx
        .caps
        .as_ref()
        .map(|c| c.transports.clone())
        .unwrap_or_default();
    let has = |t: StreamTransport| {
        declared.contains(&(t as i32)) || (declared.is_empty() && t == StreamTransport::Rtmp)
    };
    let candidates = [
        (
            StreamTransport::Srt,
            "srt://127.0.0.1:9000?streamid=conformance",
        ),
        (StreamTransport::Whip, "https://127.0.0.1/whip/conformance"),
        (StreamTransport::Rtmp, "rtmp://127.0.0.1/live/conformance"),
    ];
    let Some((transport, url)) = candidates.into_iter().find(|(t, _)| !has(*t)) else {
        v.skip("the glasses declare RTMP, SRT and WHIP: no transport to refuse");
        return;
    };
    let id = "conformance-undeclared";
    let mut body = start_body(ctx, id, false);
    body.url = url.into();
    body.transport = transport as i32;
    v.saw(format!("{} is not declared", transport.as_str_name()));
    if !start_acked(phone, ctx, v, body).await {
        return;
    }
    expect_error(phone, ctx, v, id, StreamErrorCode::UnsupportedTransport).await;
}

pub(super) async fn unknown_enum(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = "conformance-unknown-enum";
    let mut body = start_body(ctx, id, false);
    body.transport = 99;
    let Some((_, h)) = ask(
        phone,
        ctx,
        v,
        "StartStream with transport 99",
        P::StartStream(body),
    )
    .await
    else {
        return;
    };
    let refused_at_once = matches!(&h.message.body, Some(G::Error(_)));
    let began = phone
        .gather(ctx.config.quiet_period, |m| {
            status_of(m, id).is_some_and(|s| {
                s.state == StreamState::Initializing as i32
                    || s.state == StreamState::Streaming as i32
            })
        })
        .await;
    if !refused_at_once {
        let id_owned = id.to_string();
        let error = phone
            .expect(Duration::ZERO, |m| {
                is_state(m, &id_owned, StreamState::Error)
            })
            .await;
        v.require(
            error.is_some(),
            "an unknown enum value is an error for the message (Error, or Ack then ERROR)",
        );
    }
    for h in &began {
        v.heard("then", h);
    }
    if !v.require(
        began.is_empty(),
        "no stream starts on an unknown transport value",
    ) {
        tidy(phone, id).await;
    }
}

async fn expect_error(
    phone: &mut Phone,
    ctx: &mut Ctx,
    v: &mut Verdict,
    id: &str,
    want: StreamErrorCode,
) {
    let Some(h) = await_state(
        phone,
        v,
        id,
        StreamState::Error,
        ctx.config.reply_timeout,
        "the start",
    )
    .await
    else {
        tidy(phone, id).await;
        return;
    };
    let code = status_of(&h.message, id).map_or(0, |s| s.error_code);
    v.require(
        code == want as i32,
        format!(
            "the error is {}, got {}",
            want.as_str_name(),
            code_name(code)
        ),
    );
}
