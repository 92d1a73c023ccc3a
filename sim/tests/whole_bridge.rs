//! The whole-bridge simulation as a test: a handful of seeded worlds (the real bridge against
//! the cloud and glasses simulators under faults) hold every invariant of the contract, and a
//! world is a pure function of its seed. CI runs thousands more with `mentra-simulate`.

use std::time::Duration;

use mentra_sim::world::{draw, run};

const MINUTES: Duration = Duration::from_secs(600);

#[test]
fn every_invariant_holds_in_the_first_forty_worlds() {
    let failures: Vec<String> = (1..=40)
        .map(|seed| run(&draw(seed, MINUTES)))
        .filter(|o| !o.violations.is_empty())
        .map(|o| {
            format!(
                "seed {}: {:?}\n  replay: cargo run --release -p mentra-sim --bin mentra-simulate -- --seed {} --trace",
                o.seed, o.violations, o.seed
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_world_is_a_function_of_its_seed() {
    let a = run(&draw(7, MINUTES));
    let b = run(&draw(7, MINUTES));
    assert!(
        a.actions > 20,
        "the schedule does something: {} actions",
        a.actions
    );
    assert_eq!(a.trace, b.trace, "same seed, same world");
    let c = run(&draw(8, MINUTES));
    assert_ne!(a.trace, c.trace, "another seed, another world");
}
