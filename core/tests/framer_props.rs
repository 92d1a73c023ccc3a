//! Property tests for the BLE framing: at MTU 23, 185, 247 and 512, over a seeded lossy link
//! that drops, duplicates and reorders packets, every message arrives exactly or is cleanly
//! dropped — never corrupted, duplicated or out of order — and once the faults stop, the next
//! whole message always gets through.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::time::{Duration, Instant};

use mentra_bridge::wire::{Framer, Reassembled, Reassembler};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Fault {
    Deliver,
    Drop,
    Duplicate,
    SwapWithNext,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::Deliver),
        1 => Just(Fault::Drop),
        1 => Just(Fault::Duplicate),
        1 => Just(Fault::SwapWithNext),
    ]
}

/// Messages made unique by their index, so a delivered message names where it came from.
fn messages() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..700), 1..16).prop_map(|bodies| {
        bodies
            .into_iter()
            .enumerate()
            .map(|(i, mut b)| {
                let mut m = (i as u32).to_le_bytes().to_vec();
                m.append(&mut b);
                m
            })
            .collect()
    })
}

/// Applies the fault schedule to the packet stream.
fn lossy(packets: Vec<Vec<u8>>, faults: &[Fault]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(packets.len() + 8);
    let mut i = 0;
    while i < packets.len() {
        match faults
            .get(i % faults.len().max(1))
            .copied()
            .unwrap_or(Fault::Deliver)
        {
            Fault::Deliver => out.push(packets[i].clone()),
            Fault::Drop => {}
            Fault::Duplicate => {
                out.push(packets[i].clone());
                out.push(packets[i].clone());
            }
            Fault::SwapWithNext if i + 1 < packets.len() => {
                out.push(packets[i + 1].clone());
                out.push(packets[i].clone());
                i += 1;
            }
            Fault::SwapWithNext => out.push(packets[i].clone()),
        }
        i += 1;
    }
    out
}

fn check(mtu: u16, faulty: Vec<Vec<u8>>, faults: Vec<Fault>) -> Result<(), TestCaseError> {
    let now = Instant::now();
    let mut framer = Framer::new(mtu, 4096).unwrap();
    let mut reassembler = Reassembler::new(4096, Duration::from_secs(2));

    let mut packets = Vec::new();
    for m in &faulty {
        let split: Vec<_> = framer.split(m).unwrap().collect();
        prop_assert!(
            split
                .iter()
                .all(|p| p.len() <= usize::from(mtu - 3).min(512))
        );
        packets.extend(split);
    }
    let sentinel_a = b"\xff\xff\xff\xffnext message".to_vec();
    let sentinel_b = vec![0xee; 900];
    let mut clean: Vec<_> = framer.split(&sentinel_a).unwrap().collect();
    clean.extend(framer.split(&sentinel_b).unwrap());

    let mut delivered = Vec::new();
    for p in lossy(packets, &faults).into_iter().chain(clean) {
        reassembler.handle_packet(now, &p);
        while let Some(out) = reassembler.poll_output() {
            if let Reassembled::Message(m) = out {
                delivered.push(m);
            }
        }
    }

    // The clean messages after the faults always get through, last and in order.
    prop_assert!(delivered.len() >= 2);
    let tail = delivered.split_off(delivered.len() - 2);
    prop_assert_eq!(&tail[0], &sentinel_a);
    prop_assert_eq!(&tail[1], &sentinel_b);
    // Everything else is an exact copy of a sent message, each at most once, in send order.
    let mut last_index: Option<u32> = None;
    for m in &delivered {
        prop_assert!(m.len() >= 4, "corrupted: {} bytes", m.len());
        let index = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
        let original = faulty.get(index as usize);
        prop_assert_eq!(Some(m), original, "corrupted message {}", index);
        prop_assert!(
            last_index.is_none_or(|l| index > l),
            "duplicate or out of order"
        );
        last_index = Some(index);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mtu_23(msgs in messages(), faults in prop::collection::vec(fault(), 1..64)) {
        check(23, msgs, faults)?;
    }

    #[test]
    fn mtu_185(msgs in messages(), faults in prop::collection::vec(fault(), 1..64)) {
        check(185, msgs, faults)?;
    }

    #[test]
    fn mtu_247(msgs in messages(), faults in prop::collection::vec(fault(), 1..64)) {
        check(247, msgs, faults)?;
    }

    #[test]
    fn mtu_512(msgs in messages(), faults in prop::collection::vec(fault(), 1..64)) {
        check(512, msgs, faults)?;
    }

    #[test]
    fn without_faults_everything_arrives(msgs in messages(), mtu in 23u16..600) {
        let now = Instant::now();
        let mut framer = Framer::new(mtu, 4096).unwrap();
        let mut reassembler = Reassembler::new(4096, Duration::from_secs(2));
        let mut delivered = Vec::new();
        for m in &msgs {
            for p in framer.split(m).unwrap() {
                reassembler.handle_packet(now, &p);
                while let Some(Reassembled::Message(m)) = reassembler.poll_output() {
                    delivered.push(m);
                }
            }
        }
        prop_assert_eq!(delivered, msgs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(packets in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..64)) {
        let now = Instant::now();
        let mut reassembler = Reassembler::new(256, Duration::from_secs(2));
        for p in &packets {
            reassembler.handle_packet(now, p);
            while let Some(out) = reassembler.poll_output() {
                if let Reassembled::Message(m) = out {
                    prop_assert!(m.len() <= 256);
                }
            }
        }
    }
}
