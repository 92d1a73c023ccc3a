//! Session checks: the hello, unsolicited reports, ping, answering a repeated id, and the
//! whole-run rules on message ids and replies (proto/README.md §4, §5).

use std::collections::BTreeMap;
use std::time::Duration;

use mentra_bridge::wire::proto::{
    GlassesToPhone, Ping, StopStream, StreamState, StreamTransport, glasses_to_phone::Body as G,
    phone_to_glasses::Body as P,
};
use mentra_bridge::wire::{ABSOLUTE_MAX_MESSAGE, PROTOCOL_VERSION, limits};

use super::{Verdict, ask};
use crate::conformance::Ctx;
use crate::conformance::phone::{Phone, describe};

/// Picks out one kind of message body.
type BodyTest = fn(&G) -> bool;

/// How long the glasses have to send their first reports after the hello.
const REPORTS_WITHIN: Duration = Duration::from_secs(5);

pub(super) async fn hello(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let (id, h) = match phone.hello(ctx.config.reply_timeout).await {
        Ok(reply) => reply,
        Err(why) => {
            v.fail(why);
            return;
        }
    };
    ctx.owed_once.push(id);
    v.heard(&format!("sent Hello #{id}; reply"), &h);
    if let Some(first) = phone.heard.first() {
        v.require(
            first.message.reply_to == id,
            format!(
                "the first message after connect must answer the hello, got {}",
                describe(&first.message)
            ),
        );
    }
    let Some(G::Capabilities(caps)) = h.message.body else {
        v.fail("the hello's reply must be Capabilities");
        return;
    };
    v.saw(format!(
        "protocol {}, model {:?}, firmware {:?}, max message {}, link_encrypted {}, transports {:?}",
        caps.protocol_version, caps.model, caps.firmware_version, caps.max_message_size,
        caps.link_encrypted, caps.transports
    ));
    v.require(
        caps.protocol_version == PROTOCOL_VERSION,
        format!(
            "protocol_version must be {PROTOCOL_VERSION} (the phone refuses any other, 0 included)"
        ),
    );
    v.require(!caps.model.is_empty(), "model must be set");
    v.require(
        !caps.firmware_version.is_empty(),
        "firmware_version must be set",
    );
    v.require(
        caps.model.len() <= limits::MAX_VERSION
            && caps.firmware_version.len() <= limits::MAX_VERSION,
        format!(
            "model and firmware_version fit {} bytes",
            limits::MAX_VERSION
        ),
    );
    v.require(
        caps.max_message_size as usize <= ABSOLUTE_MAX_MESSAGE,
        "max_message_size must not exceed 65535",
    );
    v.require(
        caps.transports
            .iter()
            .all(|t| StreamTransport::try_from(*t).is_ok())
            && caps.transports.len() <= 8,
        "transports: at most 8, each a known StreamTransport",
    );
    match caps.camera {
        None => {
            v.fail("camera limits must be declared");
        }
        Some(c) => {
            let video = [
                ("width", c.min_width, c.max_width),
                ("height", c.min_height, c.max_height),
                (
                    "video bitrate",
                    c.min_video_bitrate_bps,
                    c.max_video_bitrate_bps,
                ),
                ("fps", c.min_fps, c.max_fps),
            ];
            for (what, min, max) in video {
                v.require(
                    max > 0 && min <= max,
                    format!("camera {what}: 0 < min <= max, got {min}..{max}"),
                );
            }
            // A camera without audio may leave its audio limits at 0 (the phone then uses
            // its defaults).
            let audio = [
                (
                    "audio bitrate",
                    c.min_audio_bitrate_bps,
                    c.max_audio_bitrate_bps,
                ),
                (
                    "sample rate",
                    c.min_audio_sample_rate_hz,
                    c.max_audio_sample_rate_hz,
                ),
            ];
            for (what, min, max) in audio {
                v.require(
                    max == 0 || min <= max,
                    format!("camera {what}: min <= max, got {min}..{max}"),
                );
            }
        }
    }
    // From now on the glasses must keep to the size both sides agreed.
    phone.set_max_message(match caps.max_message_size as usize {
        0 => mentra_bridge::wire::DEFAULT_MAX_MESSAGE,
        theirs => theirs.min(mentra_bridge::wire::DEFAULT_MAX_MESSAGE),
    });
    ctx.caps = Some(caps);
}

pub(super) async fn unsolicited_reports(phone: &mut Phone, _ctx: &mut Ctx, v: &mut Verdict) {
    // The hello check's messages are in `heard`; more may still come.
    let _ = phone.gather(Duration::ZERO, |_| false).await;
    let deadline = tokio::time::Instant::now() + REPORTS_WITHIN;
    let unsolicited = |m: &GlassesToPhone, want: fn(&G) -> bool| {
        m.reply_to == 0 && m.body.as_ref().is_some_and(want)
    };
    let wants: [(&str, BodyTest); 3] = [
        ("WifiStatus", |b| matches!(b, G::WifiStatus(_))),
        ("Battery", |b| matches!(b, G::Battery(_))),
        ("Thermal", |b| matches!(b, G::Thermal(_))),
    ];
    for (what, want) in wants {
        let seen = phone
            .heard
            .iter()
            .find(|h| unsolicited(&h.message, want))
            .cloned();
        let seen = match seen {
            Some(h) => Some(h),
            None => {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                phone.expect(left, |m| unsolicited(m, want)).await
            }
        };
        match seen {
            None => {
                v.fail(format!(
                    "no unsolicited {what} within {REPORTS_WITHIN:?} of the hello"
                ));
            }
            Some(h) => {
                v.heard(what, &h);
                match &h.message.body {
                    Some(G::Battery(b)) => {
                        v.require(b.level_percent <= 100, "Battery.level_percent is 0..=100");
                    }
                    Some(G::Thermal(t)) => {
                        v.require(
                            t.temperature_c.is_finite()
                                && (-40.0..=125.0).contains(&t.temperature_c),
                            "Thermal.temperature_c is a real reading (the phone ignores 0 and NaN)",
                        );
                        v.require(
                            t.temperature_c != 0.0,
                            "Thermal.temperature_c is not 0 (read as no reading)",
                        );
                    }
                    Some(G::WifiStatus(w)) => {
                        v.require(
                            w.ssid.len() <= limits::MAX_SSID,
                            "WifiStatus.ssid fits 32 bytes",
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

pub(super) async fn ping(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    if let Some((_, h)) = ask(phone, ctx, v, "Ping", P::Ping(Ping {})).await {
        v.require(
            matches!(h.message.body, Some(G::Pong(_))),
            "the reply to Ping is Pong",
        );
    }
}

pub(super) async fn repeat(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let ghost = "conformance-ghost".to_string();
    let stop = || {
        P::StopStream(StopStream {
            stream_id: "conformance-ghost".into(),
        })
    };
    let Some((id, h)) = ask(
        phone,
        ctx,
        v,
        "StopStream for a stream that never ran",
        stop(),
    )
    .await
    else {
        return;
    };
    v.require(
        matches!(h.message.body, Some(G::Ack(_))),
        "the reply to StopStream is Ack",
    );
    let stopped = |m: &GlassesToPhone| {
        matches!(&m.body, Some(G::StreamStatus(s)) if s.stream_id == "conformance-ghost"
            && s.state == StreamState::Stopped as i32)
    };
    match phone.expect(ctx.config.reply_timeout, stopped).await {
        Some(h) => v.heard("then", &h),
        None => {
            v.fail(format!("no STOPPED for {ghost:?} after the stop"));
        }
    }
    // The same id again: a retry of a command whose reply the phone did not get.
    if let Err(why) = phone.send_as(id, stop()).await {
        v.fail(format!("could not resend: {why}"));
        return;
    }
    // Counted twice in `replies.exactly_one`: one reply per send.
    ctx.owed_once.retain(|x| *x != id);
    match phone.reply(id, ctx.config.reply_timeout).await {
        Some(h) => {
            v.heard(&format!("resent StopStream #{id} (same id); reply"), &h);
            v.require(
                matches!(h.message.body, Some(G::Ack(_))),
                "the repeat is answered with the same reply (Ack)",
            );
        }
        None => {
            v.fail(format!(
                "the repeat of #{id} got no reply (the phone would retry until it gives up)"
            ));
        }
    }
    let again = phone.gather(ctx.config.quiet_period, stopped).await;
    for h in &again {
        v.heard("after the repeat", h);
    }
    v.require(
        again.is_empty(),
        "a repeated id must not be acted on again (a second STOPPED came)",
    );
}

pub(super) fn ids(phone: &Phone, v: &mut Verdict) {
    let ids: Vec<u32> = phone.heard.iter().map(|h| h.message.message_id).collect();
    v.saw(format!(
        "{} messages this connection, ids {:?} … {:?}",
        ids.len(),
        ids.first(),
        ids.last()
    ));
    if let Some(&first) = ids.first() {
        v.require(
            first == 1,
            format!("the first message after connect has id 1, got {first}"),
        );
    }
    if let Some(w) = ids
        .windows(2)
        .find(|w| w[1] <= w[0] && !(w[0] == u32::MAX && w[1] == 1))
    {
        v.fail(format!("message ids must increase: {} then {}", w[0], w[1]));
    }
    v.require(!ids.contains(&0), "no message has id 0");
}

pub(super) fn exactly_one(phone: &Phone, ctx: &Ctx, v: &mut Verdict) {
    let mut replies: BTreeMap<u32, Vec<&GlassesToPhone>> = BTreeMap::new();
    for h in &phone.heard {
        if h.message.reply_to != 0 {
            replies
                .entry(h.message.reply_to)
                .or_default()
                .push(&h.message);
        }
    }
    let mut bad = 0;
    for id in &ctx.owed_once {
        let got = replies.get(id).map_or(0, Vec::len);
        if got != 1 {
            bad += 1;
            if bad <= 8 {
                let what: Vec<String> = replies
                    .get(id)
                    .into_iter()
                    .flatten()
                    .map(|m| describe(m))
                    .collect();
                v.fail(format!("command #{id} got {got} replies {what:?}"));
            }
        }
    }
    if bad > 8 {
        v.fail(format!("… and {} more commands", bad - 8));
    }
    v.saw(format!("{} commands checked", ctx.owed_once.len()));
}
