//! Framing and envelope checks (proto/README.md §2–§4): multi-packet messages, sequence wrap,
//! reserved bits, duplicates, interrupted messages, unknown fields and bodies, input the
//! glasses must survive, and the glasses' own packets over the whole run.

use mentra_bridge::wire::proto::{
    PhoneToGlasses, Ping, StartStream, StopStream, StreamState, glasses_to_phone::Body as G,
    phone_to_glasses::Body as P,
};
use mentra_bridge::wire::{DEFAULT_MAX_MESSAGE, FLAG_START, HEADER_LEN, MAX_PACKET, encode};

use super::{Verdict, ask};
use crate::conformance::Ctx;
use crate::conformance::phone::Phone;

/// Pings sent to carry the sequence numbers past 255 both ways.
const WRAP_PINGS: u32 = 300;
/// Pings in flight at once while wrapping.
const WRAP_WINDOW: u32 = 10;
/// A field number no version of the schema uses.
const UNKNOWN_FIELD: u32 = 99;

/// `envelope` with an unknown length-delimited field of `pad` bytes appended.
fn with_unknown_field(mut bytes: Vec<u8>, pad: usize) -> Vec<u8> {
    varint(&mut bytes, u64::from(UNKNOWN_FIELD << 3 | 2));
    varint(&mut bytes, pad as u64);
    bytes.extend(std::iter::repeat_n(0x5A, pad));
    bytes
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A Ping envelope under `id`, padded with an unknown field to about `size` bytes.
fn padded_ping(id: u32, size: usize) -> Vec<u8> {
    let bytes = encode(&PhoneToGlasses {
        message_id: id,
        reply_to: 0,
        body: Some(P::Ping(Ping {})),
    });
    let pad = size.saturating_sub(bytes.len() + 4);
    with_unknown_field(bytes, pad)
}

/// Body bytes per packet at this connection's MTU.
fn payload(phone: &Phone) -> usize {
    (usize::from(phone.mtu()).saturating_sub(3)).min(MAX_PACKET) - HEADER_LEN
}

/// The largest message both sides accept.
fn agreed_max(ctx: &Ctx) -> usize {
    match ctx.caps.as_ref().map_or(0, |c| c.max_message_size as usize) {
        0 => DEFAULT_MAX_MESSAGE,
        theirs => theirs.min(DEFAULT_MAX_MESSAGE),
    }
}

pub(super) async fn unknown_field(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = fresh_id(phone);
    let bytes = with_unknown_field(
        encode(&PhoneToGlasses {
            message_id: id,
            reply_to: 0,
            body: Some(P::Ping(Ping {})),
        }),
        4,
    );
    expect_pong(phone, ctx, v, id, &bytes, "a Ping with an unknown field 99").await;
}

pub(super) async fn unknown_body(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = fresh_id(phone);
    // Only an id and a field this version does not know: a message from a newer phone.
    let bytes = with_unknown_field(
        encode(&PhoneToGlasses {
            message_id: id,
            reply_to: 0,
            body: None,
        }),
        4,
    );
    if let Err(why) = phone.send_bytes(&bytes).await {
        v.fail(why);
        return;
    }
    v.saw(format!(
        "sent envelope #{id} with no body this version knows"
    ));
    unanswered_then_answering(
        phone,
        ctx,
        v,
        id,
        "an envelope with no known body is ignored (no reply)",
        "the glasses still answer",
    )
    .await;
}

pub(super) async fn multi_packet(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let per = payload(phone);
    let size = (3 * per).min(agreed_max(ctx));
    if size <= per {
        v.skip(format!(
            "a {per}-byte packet holds the largest message the glasses accept"
        ));
        return;
    }
    let id = fresh_id(phone);
    let bytes = padded_ping(id, size);
    let what = format!(
        "a {}-byte Ping in {} packets",
        bytes.len(),
        bytes.len().div_ceil(per)
    );
    expect_pong(phone, ctx, v, id, &bytes, &what).await;
}

pub(super) async fn sequence_wrap(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let mut answered = 0;
    let mut sent = 0;
    while sent < WRAP_PINGS {
        let mut window = Vec::new();
        for _ in 0..WRAP_WINDOW.min(WRAP_PINGS - sent) {
            match phone.send(P::Ping(Ping {})).await {
                Ok(id) => {
                    ctx.owed_once.push(id);
                    window.push(id);
                }
                Err(why) => {
                    v.fail(why);
                    return;
                }
            }
            sent += 1;
        }
        for id in window {
            if phone.reply(id, ctx.config.reply_timeout).await.is_some() {
                answered += 1;
            }
        }
    }
    let wrapped = phone.seqs.windows(2).any(|w| w[0] == 255 && w[1] == 0);
    v.saw(format!(
        "sent {sent} Pings, {answered} answered; the glasses' seq wrapped: {wrapped}"
    ));
    v.require(
        answered == sent,
        format!("every Ping across the wrap is answered ({answered} of {sent})"),
    );
    v.require(wrapped, "the glasses' own sequence numbers wrap 255 -> 0");
}

pub(super) async fn reserved_bits(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = fresh_id(phone);
    let bytes = encode(&PhoneToGlasses {
        message_id: id,
        reply_to: 0,
        body: Some(P::Ping(Ping {})),
    });
    let mut packets = match phone.packets(&bytes) {
        Ok(p) => p,
        Err(why) => {
            v.fail(why);
            return;
        }
    };
    for p in &mut packets {
        p[0] |= 0x04;
    }
    for p in packets {
        if let Err(why) = phone.send_packet(p).await {
            v.fail(why);
            return;
        }
    }
    v.saw(format!("sent Ping #{id} with flag bit 0x04 set"));
    unanswered_then_answering(
        phone,
        ctx,
        v,
        id,
        "a packet with reserved flag bits is dropped, not read",
        "the next message is read",
    )
    .await;
}

pub(super) async fn duplicate(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let id = fresh_id(phone);
    let bytes = encode(&PhoneToGlasses {
        message_id: id,
        reply_to: 0,
        body: Some(P::Ping(Ping {})),
    });
    let packets = match phone.packets(&bytes) {
        Ok(p) => p,
        Err(why) => {
            v.fail(why);
            return;
        }
    };
    for p in packets.iter().chain(packets.iter()) {
        if let Err(why) = phone.send_packet(p.clone()).await {
            v.fail(why);
            return;
        }
    }
    v.saw(format!("sent Ping #{id}'s packet twice (same seq)"));
    let first = phone.reply(id, ctx.config.reply_timeout).await;
    v.require(first.is_some(), "the packet is read once");
    let more = phone
        .gather(ctx.config.quiet_period, |m| m.reply_to == id)
        .await;
    v.saw(format!(
        "replies: {}",
        usize::from(first.is_some()) + more.len()
    ));
    v.require(
        more.is_empty(),
        "the duplicate packet is ignored (it was answered twice)",
    );
}

pub(super) async fn partial(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let per = payload(phone);
    let size = (3 * per).min(agreed_max(ctx));
    if size <= per {
        v.skip(format!(
            "a {per}-byte packet holds the largest message the glasses accept"
        ));
        return;
    }
    // A message cut off after its first packet, then a continuation with no start.
    let cut = fresh_id(phone);
    let orphan = fresh_id(phone);
    let first = phone
        .packets(&padded_ping(cut, size))
        .map(|p| p.into_iter().next());
    let middle = phone
        .packets(&padded_ping(orphan, size))
        .map(|p| p.into_iter().nth(1));
    let (Ok(Some(first)), Ok(Some(middle))) = (first, middle) else {
        v.fail("could not frame the test messages");
        return;
    };
    for p in [first, middle] {
        if let Err(why) = phone.send_packet(p).await {
            v.fail(why);
            return;
        }
    }
    v.saw(format!(
        "sent the first packet of Ping #{cut} only, then a lone continuation of #{orphan}"
    ));
    let id = fresh_id(phone);
    let bytes = encode(&PhoneToGlasses {
        message_id: id,
        reply_to: 0,
        body: Some(P::Ping(Ping {})),
    });
    expect_pong(phone, ctx, v, id, &bytes, "then a whole Ping").await;
    let stray = phone
        .gather(ctx.config.quiet_period, |m| {
            m.reply_to == cut || m.reply_to == orphan
        })
        .await;
    for h in &stray {
        v.heard("reply to a broken message", h);
    }
    v.require(stray.is_empty(), "nothing partial is ever read");
}

pub(super) async fn survived(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    let max = agreed_max(ctx);
    // Bytes that are no protobuf at all.
    let garbage = [0xFF_u8; 12];
    let oversized_id = fresh_id(phone);
    let oversized = padded_ping(oversized_id, max + 64);
    let mut plan: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    match phone.packets(&garbage) {
        Ok(p) => plan.push(("12 bytes that do not decode".into(), p)),
        Err(why) => v.fail(why),
    }
    match phone.packets(&oversized) {
        Ok(p) => plan.push((
            format!(
                "a {}-byte message (the agreed maximum is {max})",
                oversized.len()
            ),
            p,
        )),
        Err(why) => v.fail(why),
    }
    plan.push(("a 1-byte packet".into(), vec![vec![0x03]]));
    // A start with no room for its length, at the sequence number the glasses expect.
    match phone.packets(&[0]) {
        Ok(p) => {
            let seq = p.first().and_then(|p| p.get(1)).copied().unwrap_or(0);
            plan.push((
                "a 3-byte start packet (no room for the length)".into(),
                vec![vec![FLAG_START, seq, 0x05]],
            ));
        }
        Err(why) => v.fail(why),
    }
    for (what, packets) in plan {
        for p in packets {
            if let Err(why) = phone.send_packet(p).await {
                v.fail(why);
                return;
            }
        }
        v.saw(format!("sent {what}"));
    }
    let answered = phone
        .gather(ctx.config.quiet_period, |m| m.reply_to == oversized_id)
        .await;
    for h in &answered {
        v.heard("reply to the oversized message", h);
    }
    v.require(
        answered.is_empty(),
        "a message over the agreed maximum is dropped, not read",
    );
    // Strings past the nanopb bounds: a 200-character stream id.
    let long_id = "x".repeat(200);
    let start = P::StartStream(StartStream {
        stream_id: long_id.clone(),
        url: ctx.config.ingest_url.expose().clone(),
        ..Default::default()
    });
    match phone.send(start).await {
        Ok(id) => v.saw(format!(
            "sent StartStream #{id} with a 200-character stream id"
        )),
        Err(why) => v.fail(why),
    }
    let _ = phone.gather(ctx.config.quiet_period, |_| true).await;
    // Whatever it did with that, leave the camera off.
    let _ = phone
        .send(P::StopStream(StopStream {
            stream_id: long_id.clone(),
        }))
        .await;
    let stopped = phone
        .expect(ctx.config.reply_timeout * 5, |m| {
            matches!(&m.body, Some(G::StreamStatus(s)) if s.stream_id == long_id
                && s.state == StreamState::Stopped as i32)
        })
        .await;
    if stopped.is_some() {
        v.saw("tidied up: the over-long stream is stopped");
    }
    if let Some((_, h)) = ask(phone, ctx, v, "Ping", P::Ping(Ping {})).await {
        v.require(
            matches!(h.message.body, Some(G::Pong(_))),
            "the glasses still answer after bad input",
        );
    }
}

pub(super) fn glasses_packets(phone: &Phone, v: &mut Verdict) {
    let limit = (usize::from(phone.mtu()).saturating_sub(3)).min(MAX_PACKET);
    v.saw(format!(
        "{} packets this connection, longest {} bytes (limit {limit}), {} framing faults",
        phone.seqs.len(),
        phone.longest_packet,
        phone.faults.len()
    ));
    if let Some(&first) = phone.seqs.first() {
        v.require(
            first == 0,
            format!("the first packet after connect has seq 0, got {first}"),
        );
    }
    if let Some((i, w)) = phone
        .seqs
        .windows(2)
        .enumerate()
        .find(|(_, w)| w[1] != w[0].wrapping_add(1))
    {
        v.fail(format!(
            "seq must go up by 1 per packet: packet {i} had {}, the next {}",
            w[0], w[1]
        ));
    }
    v.require(
        phone.longest_packet <= limit,
        "no packet longer than min(MTU - 3, 512)",
    );
    for f in phone.faults.iter().take(5) {
        v.fail(format!("at {:?}: {}", f.at, f.what));
    }
}

/// Requires no reply to `id` within the quiet period (`rule`), then a Pong to a fresh Ping
/// (`after`): what was dropped is dropped, and the glasses go on.
async fn unanswered_then_answering(
    phone: &mut Phone,
    ctx: &mut Ctx,
    v: &mut Verdict,
    id: u32,
    rule: &str,
    after: &str,
) {
    let replies = phone
        .gather(ctx.config.quiet_period, |m| m.reply_to == id)
        .await;
    for h in &replies {
        v.heard("reply", h);
    }
    v.require(replies.is_empty(), rule);
    if let Some((_, h)) = ask(phone, ctx, v, "Ping", P::Ping(Ping {})).await {
        v.require(matches!(h.message.body, Some(G::Pong(_))), after);
    }
}

/// The id the next message will take, claimed (the kit frames it by hand).
fn fresh_id(phone: &mut Phone) -> u32 {
    phone.claim_id()
}

async fn expect_pong(
    phone: &mut Phone,
    ctx: &mut Ctx,
    v: &mut Verdict,
    id: u32,
    bytes: &[u8],
    what: &str,
) {
    if let Err(why) = phone.send_bytes(bytes).await {
        v.fail(why);
        return;
    }
    ctx.owed_once.push(id);
    match phone.reply(id, ctx.config.reply_timeout).await {
        Some(h) => {
            v.heard(&format!("sent {what} as #{id}; reply"), &h);
            v.require(
                matches!(h.message.body, Some(G::Pong(_))),
                "the reply is Pong",
            );
        }
        None => {
            v.fail(format!(
                "sent {what} as #{id}; no reply within {:?}",
                ctx.config.reply_timeout
            ));
        }
    }
}
