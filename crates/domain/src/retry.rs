//! When to try again: exponential backoff with a cap and jitter, `Retry-After` honoured as a
//! floor, a bounded number of attempts. Pure: the random draw comes from the caller, and the
//! caller sleeps (`recaudo_store::retry` runs it with tokio).

use std::time::Duration;

/// How the wait is spread below its exponential ceiling, so that callers failing together do
/// not retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// The ceiling itself.
    None,
    /// Anywhere between zero and the ceiling.
    Full,
    /// Anywhere between half the ceiling and the ceiling.
    Equal,
}

/// A retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (at least one is always made).
    pub max_attempts: u32,
    /// The ceiling of the wait after the first failure; it doubles after each further one.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
    pub jitter: Jitter,
}

impl RetryPolicy {
    /// Up to `max_attempts` attempts, waiting `base`, `2 × base`, `4 × base`, … (at most `cap`)
    /// spread by `jitter`.
    pub const fn new(max_attempts: u32, base: Duration, cap: Duration, jitter: Jitter) -> Self {
        RetryPolicy {
            max_attempts,
            base,
            cap,
            jitter,
        }
    }

    /// The ceiling of the wait after `failed` attempts failed (`failed >= 1`): `base × 2^(failed
    /// − 1)`, at most `cap`.
    pub fn ceiling(&self, failed: u32) -> Duration {
        let doublings = failed.saturating_sub(1).min(63);
        let factor = 1u64 << doublings;
        let nanos = u64::try_from(self.base.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_mul(factor);
        Duration::from_nanos(nanos).min(self.cap)
    }

    /// The wait before the next attempt once `failed` attempts have failed, or `None` when none
    /// is left. `draw` is a uniform random number in `[0, 1)` (clamped into it); `retry_after`,
    /// what the other side asked for, is a floor, even above `cap`.
    pub fn delay(&self, failed: u32, draw: f64, retry_after: Option<Duration>) -> Option<Duration> {
        if failed == 0 || failed >= self.max_attempts.max(1) {
            return None;
        }
        let ceiling = self.ceiling(failed);
        let draw = if draw.is_nan() {
            0.0
        } else {
            draw.clamp(0.0, 1.0)
        };
        let wait = match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => ceiling.mul_f64(draw),
            Jitter::Equal => ceiling / 2 + (ceiling - ceiling / 2).mul_f64(draw),
        };
        // `mul_f64` rounds; the ceiling stays the bound.
        let wait = wait.min(ceiling);
        Some(match retry_after {
            Some(floor) => wait.max(floor),
            None => wait,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_schedule_doubles_up_to_the_cap_spread_by_the_draw() {
        let none = RetryPolicy::new(5, 10 * MS, 50 * MS, Jitter::None);
        let full = RetryPolicy {
            jitter: Jitter::Full,
            ..none
        };
        let equal = RetryPolicy {
            jitter: Jitter::Equal,
            ..none
        };
        // (policy, failed, draw, retry_after, expected)
        let cases = [
            (none, 0, 0.5, None, None),
            (none, 1, 0.5, None, Some(10 * MS)),
            (none, 2, 0.5, None, Some(20 * MS)),
            (none, 3, 0.5, None, Some(40 * MS)),
            (none, 4, 0.5, None, Some(50 * MS)),
            (none, 5, 0.5, None, None),
            (full, 1, 0.0, None, Some(Duration::ZERO)),
            (full, 2, 0.5, None, Some(10 * MS)),
            (full, 4, 0.5, None, Some(25 * MS)),
            (equal, 1, 0.0, None, Some(5 * MS)),
            (equal, 2, 0.5, None, Some(15 * MS)),
            (equal, 4, 1.0, None, Some(50 * MS)),
            // Retry-After is a floor, above the cap too, and never wins when shorter.
            (full, 1, 0.0, Some(30 * MS), Some(30 * MS)),
            (none, 3, 0.0, Some(5 * MS), Some(40 * MS)),
            (
                none,
                2,
                0.0,
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(2)),
            ),
            // Draws out of range are clamped; no attempt is left after the last.
            (full, 2, 7.0, None, Some(20 * MS)),
            (full, 2, f64::NAN, None, Some(Duration::ZERO)),
            (none, 9, 0.5, Some(MS), None),
        ];
        for (policy, failed, draw, retry_after, want) in cases {
            assert_eq!(
                policy.delay(failed, draw, retry_after),
                want,
                "{policy:?} failed={failed} draw={draw} retry_after={retry_after:?}"
            );
        }
    }

    #[test]
    fn one_attempt_at_least_is_made() {
        let never = RetryPolicy::new(0, MS, MS, Jitter::None);
        assert_eq!(never.delay(1, 0.5, None), None);
    }

    fn jitter() -> impl Strategy<Value = Jitter> {
        prop_oneof![Just(Jitter::None), Just(Jitter::Full), Just(Jitter::Equal)]
    }

    proptest! {
        #[test]
        fn delays_stay_within_bounds(
            max_attempts in 0u32..20,
            base_ms in 0u64..10_000,
            cap_ms in 0u64..100_000,
            jitter in jitter(),
            failed in 0u32..40,
            draw in -1.0f64..2.0,
            retry_after_ms in proptest::option::of(0u64..200_000),
        ) {
            let policy = RetryPolicy::new(
                max_attempts,
                Duration::from_millis(base_ms),
                Duration::from_millis(cap_ms),
                jitter,
            );
            let retry_after = retry_after_ms.map(Duration::from_millis);
            match policy.delay(failed, draw, retry_after) {
                None => prop_assert!(failed == 0 || failed >= max_attempts.max(1)),
                Some(d) => {
                    prop_assert!(failed >= 1 && failed < max_attempts);
                    let ceiling = policy.ceiling(failed);
                    prop_assert!(ceiling <= policy.cap);
                    match retry_after {
                        None => prop_assert!(d <= ceiling),
                        Some(floor) => prop_assert!(d >= floor && d <= ceiling.max(floor)),
                    }
                    if jitter == Jitter::Equal && retry_after.is_none() {
                        prop_assert!(d >= ceiling / 2);
                    }
                }
            }
        }

        #[test]
        fn attempts_are_bounded(max_attempts in 1u32..50, draw in 0.0f64..1.0) {
            let policy = RetryPolicy::new(max_attempts, MS, 100 * MS, Jitter::Full);
            let waits = (1..).take_while(|&f| policy.delay(f, draw, None).is_some()).count();
            prop_assert_eq!(waits as u32, max_attempts - 1);
        }
    }
}
