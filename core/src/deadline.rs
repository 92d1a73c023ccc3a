//! The one rule every machine uses to expose its timers: of several named deadlines, the
//! earliest one that is armed.

use std::time::Instant;

/// The earliest armed deadline and its name; `None` when none is armed. On a tie the first
/// listed wins.
pub(crate) fn earliest<T: Copy>(
    deadlines: impl IntoIterator<Item = (T, Option<Instant>)>,
) -> Option<(T, Instant)> {
    deadlines
        .into_iter()
        .filter_map(|(name, at)| at.map(|at| (name, at)))
        .fold(None, |best: Option<(T, Instant)>, (name, at)| match best {
            Some((_, b)) if b <= at => best,
            _ => Some((name, at)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn picks_the_earliest_armed_and_the_first_on_a_tie() {
        let t = Instant::now();
        let s = Duration::from_secs(1);
        assert_eq!(earliest([("a", None::<Instant>)]), None);
        assert_eq!(
            earliest([
                ("a", Some(t + 2 * s)),
                ("b", None),
                ("c", Some(t + s)),
                ("d", Some(t + s))
            ]),
            Some(("c", t + s))
        );
    }
}
