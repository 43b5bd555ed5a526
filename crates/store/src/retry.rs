//! Runs an operation again while it fails in a way worth retrying, sleeping between attempts
//! as a [`RetryPolicy`] says. The store's own retries use it, and so do callers that retry
//! other work (the dispatcher).

use std::future::Future;
use std::time::Duration;

pub use recaudo_domain::retry::{Jitter, RetryPolicy};

/// Runs `op` (given the 1-based attempt number) until it succeeds, fails with an error
/// `should_retry` refuses, or the policy has no attempt left; the last error is returned.
pub async fn retry<T, E, Fut>(
    policy: &RetryPolicy,
    should_retry: impl Fn(&E) -> bool,
    op: impl FnMut(u32) -> Fut,
) -> Result<T, E>
where
    E: std::fmt::Display,
    Fut: Future<Output = Result<T, E>>,
{
    retry_after(policy, should_retry, |_| None, op).await
}

/// [`retry`], with the wait the failed side asked for (`Retry-After`) read from the error: the
/// next attempt waits at least that long.
pub async fn retry_after<T, E, Fut>(
    policy: &RetryPolicy,
    should_retry: impl Fn(&E) -> bool,
    asked_wait: impl Fn(&E) -> Option<Duration>,
    mut op: impl FnMut(u32) -> Fut,
) -> Result<T, E>
where
    E: std::fmt::Display,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        let error = match op(attempt).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !should_retry(&error) {
            return Err(error);
        }
        let Some(wait) = policy.delay(attempt, rand::random::<f64>(), asked_wait(&error)) else {
            return Err(error);
        };
        tracing::debug!(attempt, ?wait, error = %error, "retrying");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, PartialEq)]
    enum Failure {
        Busy,
        Broken,
    }

    impl std::fmt::Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    const QUICK: RetryPolicy = RetryPolicy::new(
        4,
        Duration::from_micros(10),
        Duration::from_micros(100),
        Jitter::Full,
    );

    #[tokio::test]
    async fn retries_what_the_predicate_allows_up_to_the_last_attempt() {
        let calls = AtomicU32::new(0);
        let busy = |e: &Failure| *e == Failure::Busy;
        // Succeeds on the third attempt.
        let got = retry(&QUICK, busy, |attempt| {
            calls.fetch_add(1, Ordering::Relaxed);
            async move {
                if attempt < 3 {
                    Err(Failure::Busy)
                } else {
                    Ok(attempt)
                }
            }
        })
        .await;
        assert_eq!(got, Ok(3));
        assert_eq!(calls.swap(0, Ordering::Relaxed), 3);

        // Always busy: every attempt is made, the last error returned.
        let got: Result<(), _> = retry(&QUICK, busy, |_| {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(Failure::Busy) }
        })
        .await;
        assert_eq!(got, Err(Failure::Busy));
        assert_eq!(calls.swap(0, Ordering::Relaxed), QUICK.max_attempts);

        // An error the predicate refuses ends it at once.
        let got: Result<(), _> = retry(&QUICK, busy, |_| {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(Failure::Broken) }
        })
        .await;
        assert_eq!(got, Err(Failure::Broken));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_asked_wait_is_a_floor() {
        let start = tokio::time::Instant::now();
        let got = retry_after(
            &QUICK,
            |e: &Failure| *e == Failure::Busy,
            |_| Some(Duration::from_secs(30)),
            |attempt| async move {
                if attempt == 1 {
                    Err(Failure::Busy)
                } else {
                    Ok(())
                }
            },
        )
        .await;
        assert_eq!(got, Ok(()));
        assert!(start.elapsed() >= Duration::from_secs(30));
    }
}
