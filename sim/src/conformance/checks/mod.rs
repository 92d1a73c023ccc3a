//! The checks, in the order they run, and the verdict each builds. Session and framing first
//! (everything else needs them), then streams, then telemetry and Wi-Fi, bad input last (it
//! may leave the glasses confused), and the whole-run checks over everything heard.

mod framing;
mod info;
mod session;
mod stream;

use super::phone::{Heard, Phone, describe};
use super::{CheckResult, Ctx, Outcome};

/// Every check: name and rule, in run order.
pub(crate) const ALL: &[(&str, &str)] = &[
    (
        "hello.capabilities",
        "Hello is answered by Capabilities first, with version 1 and sane limits",
    ),
    (
        "hello.unsolicited_reports",
        "WifiStatus, Battery and Thermal follow the hello, unsolicited",
    ),
    ("liveness.ping", "Ping is answered by Pong"),
    (
        "ids.repeat_answered_not_acted",
        "a repeated command id is answered again, not acted on again",
    ),
    (
        "envelope.unknown_field_ignored",
        "an unknown field in a known message is ignored",
    ),
    (
        "envelope.unknown_body_ignored",
        "an envelope with no known body gets no reply",
    ),
    (
        "framing.multi_packet",
        "a message of several packets at this MTU is reassembled",
    ),
    (
        "framing.sequence_wrap",
        "sequence numbers wrap 255 -> 0 both ways without loss",
    ),
    (
        "framing.reserved_bits_dropped",
        "a packet with reserved flag bits is dropped",
    ),
    (
        "framing.duplicate_packet_ignored",
        "a packet seen twice is acted on once",
    ),
    (
        "framing.partial_message_dropped",
        "an interrupted message is dropped, the next one read",
    ),
    (
        "stream.start_sequence",
        "StartStream: Ack, INITIALIZING, STREAMING with the resolved config",
    ),
    (
        "stream.stats_every_second",
        "with telemetry, STREAMING with stats about every second",
    ),
    (
        "stream.keep_alive_ack",
        "KeepStreamAlive is answered by KeepAliveAck with both ids",
    ),
    (
        "stream.status_on_request",
        "GetStreamStatus is answered with the running stream's status",
    ),
    (
        "stream.repeat_start_same_id",
        "a start for the running stream is acknowledged, nothing more",
    ),
    (
        "stream.second_start_refused",
        "a start with another id: ERROR ALREADY_STREAMING, first stream kept",
    ),
    (
        "stream.stop_other_id",
        "a stop with another id: Ack and STOPPED for that id, stream kept",
    ),
    (
        "stream.keep_alive_unknown_stream",
        "a keep-alive for an unknown stream: Error INVALID_ARGUMENT",
    ),
    (
        "stream.stop_sequence",
        "StopStream: Ack, STOPPING, STOPPED, then IDLE on request",
    ),
    (
        "stream.stop_when_idle",
        "stopping a stream that is not running: Ack and STOPPED for its id",
    ),
    (
        "stream.watchdog",
        "no keep-alive for keep_alive_timeout_s: ERROR KEEP_ALIVE_TIMEOUT",
    ),
    (
        "stream.duration_limit",
        "duration_limit_s reached: ERROR DURATION_LIMIT, camera off",
    ),
    (
        "errors.invalid_url",
        "a start with an unknown URL scheme: ERROR INVALID_URL, never silence",
    ),
    (
        "errors.unsupported_transport",
        "a start for an undeclared transport: ERROR UNSUPPORTED_TRANSPORT",
    ),
    ("telemetry.battery", "GetBattery is answered by Battery"),
    (
        "wifi.status",
        "GetWifiStatus is answered by WifiStatus within the bounds",
    ),
    (
        "wifi.scan",
        "WifiScanRequest: Ack, then WifiScanResult until complete",
    ),
    (
        "bad_input.unknown_enum",
        "a start with an unknown transport value is an error, no stream",
    ),
    (
        "bad_input.survived",
        "garbage, oversized and over-long input leave the glasses answering",
    ),
    (
        "ids.fresh_and_increasing",
        "glasses message ids start at 1 and increase",
    ),
    ("replies.exactly_one", "every command got exactly one reply"),
    (
        "framing.glasses_packets",
        "the glasses' packets: seq from 0 by 1, within the MTU, all decodable",
    ),
];

/// Evidence as a check gathers it, and whether it failed.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    failed: bool,
    skipped: bool,
    evidence: Vec<String>,
}

impl Verdict {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Something seen, for the record.
    pub(crate) fn saw(&mut self, line: impl Into<String>) {
        self.evidence.push(line.into());
    }

    /// A message heard, for the record.
    pub(crate) fn heard(&mut self, what: &str, h: &Heard) {
        self.evidence
            .push(format!("{what}: {}", describe(&h.message)));
    }

    /// A rule broken.
    pub(crate) fn fail(&mut self, line: impl Into<String>) {
        self.failed = true;
        self.evidence.push(format!("FAILED: {}", line.into()));
    }

    /// The check does not apply.
    pub(crate) fn skip(&mut self, why: impl Into<String>) {
        self.skipped = true;
        self.evidence.push(why.into());
    }

    /// True once something failed.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Checks `ok`, recording `rule` as broken when it is not.
    pub(crate) fn require(&mut self, ok: bool, rule: impl Into<String>) -> bool {
        if !ok {
            self.fail(rule);
        }
        ok
    }

    fn into_result(self, name: &'static str, rule: &'static str) -> CheckResult {
        let outcome = if self.failed {
            Outcome::Fail
        } else if self.skipped {
            Outcome::Skip
        } else {
            Outcome::Pass
        };
        CheckResult {
            name,
            rule,
            outcome,
            evidence: self.evidence,
        }
    }
}

/// Runs every check in [`ALL`]'s order, handing each result to `done`.
pub(crate) async fn run_all(phone: &mut Phone, ctx: &mut Ctx, done: &mut dyn FnMut(CheckResult)) {
    let mut session = phone.generation;
    for &(name, rule) in ALL {
        let mut v = Verdict::new();
        let downs_before = phone.downs.len();
        if ctx.caps.is_none() && name != "hello.capabilities" {
            v.fail("not run: the hello did not work, so there is no session");
        } else {
            // A new connection since the last hello is a new session: say hello again.
            if !phone.is_up() || phone.generation != session {
                reconnect(phone, ctx, &mut v).await;
                session = phone.generation;
            }
            if !v.failed() {
                run_one(name, phone, ctx, &mut v).await;
            }
        }
        if let Some(reason) = phone.downs.get(downs_before) {
            v.fail(format!("the link dropped during this check: {reason}"));
        }
        if name == "hello.capabilities" {
            session = phone.generation;
        }
        done(v.into_result(name, rule));
    }
}

async fn run_one(name: &str, phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    phone.discard_pending();
    match name {
        "hello.capabilities" => session::hello(phone, ctx, v).await,
        "hello.unsolicited_reports" => session::unsolicited_reports(phone, ctx, v).await,
        "liveness.ping" => session::ping(phone, ctx, v).await,
        "ids.repeat_answered_not_acted" => session::repeat(phone, ctx, v).await,
        "envelope.unknown_field_ignored" => framing::unknown_field(phone, ctx, v).await,
        "envelope.unknown_body_ignored" => framing::unknown_body(phone, ctx, v).await,
        "framing.multi_packet" => framing::multi_packet(phone, ctx, v).await,
        "framing.sequence_wrap" => framing::sequence_wrap(phone, ctx, v).await,
        "framing.reserved_bits_dropped" => framing::reserved_bits(phone, ctx, v).await,
        "framing.duplicate_packet_ignored" => framing::duplicate(phone, ctx, v).await,
        "framing.partial_message_dropped" => framing::partial(phone, ctx, v).await,
        "stream.start_sequence" => stream::start(phone, ctx, v).await,
        "stream.stats_every_second" => stream::stats(phone, ctx, v).await,
        "stream.keep_alive_ack" => stream::keep_alive(phone, ctx, v).await,
        "stream.status_on_request" => stream::status(phone, ctx, v).await,
        "stream.repeat_start_same_id" => stream::repeat_start(phone, ctx, v).await,
        "stream.second_start_refused" => stream::second_start(phone, ctx, v).await,
        "stream.stop_other_id" => stream::stop_other(phone, ctx, v).await,
        "stream.keep_alive_unknown_stream" => stream::keep_alive_unknown(phone, ctx, v).await,
        "stream.stop_sequence" => stream::stop(phone, ctx, v).await,
        "stream.stop_when_idle" => stream::stop_idle(phone, ctx, v).await,
        "stream.watchdog" => stream::watchdog(phone, ctx, v).await,
        "stream.duration_limit" => stream::duration_limit(phone, ctx, v).await,
        "errors.invalid_url" => stream::invalid_url(phone, ctx, v).await,
        "errors.unsupported_transport" => stream::unsupported_transport(phone, ctx, v).await,
        "telemetry.battery" => info::battery(phone, ctx, v).await,
        "wifi.status" => info::wifi_status(phone, ctx, v).await,
        "wifi.scan" => info::wifi_scan(phone, ctx, v).await,
        "bad_input.unknown_enum" => stream::unknown_enum(phone, ctx, v).await,
        "bad_input.survived" => framing::survived(phone, ctx, v).await,
        "ids.fresh_and_increasing" => session::ids(phone, v),
        "replies.exactly_one" => session::exactly_one(phone, ctx, v),
        "framing.glasses_packets" => framing::glasses_packets(phone, v),
        _ => v.fail(format!("unknown check {name}")),
    }
}

/// After a drop: waits for the link and says hello again, so the next checks have a session.
async fn reconnect(phone: &mut Phone, ctx: &mut Ctx, v: &mut Verdict) {
    ctx.owed_once.clear();
    ctx.main_live = false;
    if let Err(why) = phone.connect(ctx.config.connect_timeout).await {
        v.fail(format!("not run: {why}"));
        return;
    }
    match phone.hello(ctx.config.reply_timeout).await {
        Ok(_) => v.saw("the link had dropped; reconnected and said hello again"),
        Err(why) => v.fail(format!("not run: after a reconnect, {why}")),
    }
}

/// Sends `body` and waits for its reply, recording both; `None` (and a failure) without one.
pub(crate) async fn ask(
    phone: &mut Phone,
    ctx: &mut Ctx,
    v: &mut Verdict,
    what: &str,
    body: mentra_bridge::wire::proto::phone_to_glasses::Body,
) -> Option<(u32, Heard)> {
    let id = match phone.send(body).await {
        Ok(id) => id,
        Err(why) => {
            v.fail(format!("could not send {what}: {why}"));
            return None;
        }
    };
    ctx.owed_once.push(id);
    let sent_at = tokio::time::Instant::now();
    match phone.reply(id, ctx.config.reply_timeout).await {
        Some(h) => {
            let ms = h.at.saturating_duration_since(sent_at).as_millis();
            v.saw(format!(
                "sent {what} #{id}; reply after {ms} ms: {}",
                describe(&h.message)
            ));
            Some((id, h))
        }
        None => {
            v.fail(format!(
                "sent {what} #{id}; no reply within {:?}",
                ctx.config.reply_timeout
            ));
            None
        }
    }
}
