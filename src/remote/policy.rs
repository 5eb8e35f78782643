//! The client's transport policy as pure functions: whether to repeat a request after an
//! outcome, how long to wait, how to read a server's `Retry-After`, and how much of an answer
//! is read.
//!
//! Owns: the retry decision — a pure function of (outcome, attempt, idempotency) — the
//! `Retry-After` parser (defensive: any number a server sends, `1e20` or `2^64` included,
//! becomes a duration or "longer than anything", never a panic), the backoff step, and the
//! per-endpoint caps on answer bodies ([`BodyCap`]).
//! Must not: do I/O, sleep, or know endpoints (`client` sends, `request` builds).

use super::client::Idempotency;
use std::time::Duration;

/// What became of one attempt at a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The connection was never made: the server saw nothing.
    NotSent,
    /// The request went out but no complete answer came back (timeout, connection broken
    /// mid-answer): the server may have processed it.
    NoAnswer,
    /// A failure that repeating cannot fix: a request reqwest refuses to build (a header
    /// with CR/LF), a redirect loop, an answer larger than its cap. `sent` says whether the
    /// server may have seen the request.
    Permanent {
        /// Whether the request may have reached the server.
        sent: bool,
    },
    /// A complete answer with this HTTP status.
    Status(u16),
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Hand the answer to the caller (a success, or an error to report as it is).
    Done,
    /// Wait (the server's `Retry-After`, else the backoff) and send again.
    Retry,
    /// Stop: the request may have changed the org and repeating could do it twice; the
    /// caller must look before trying again ([`super::Error::Ambiguous`]).
    Ambiguous,
    /// Stop with a transport error (not retryable, or the attempts ran out).
    GiveUp,
}

/// Server errors that are transient: the same request may succeed later. A 500 is one of
/// them (Genesys answers 500 for passing back-end faults); 501 and 505 are not.
#[must_use]
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
}

/// The retry rule. `attempt` counts from 1; `max_attempts` includes the first.
///
/// - 2xx and other non-transient statuses: [`Decision::Done`].
/// - 429: the server did no work, so any request repeats while attempts remain.
/// - 500/502/503/504 and a missing answer: a safe request repeats; an unsafe one is
///   [`Decision::Ambiguous`] at once (never repeated blindly).
/// - a connection never made: repeats while attempts remain, whatever the request.
/// - a permanent failure: never repeated; ambiguous when an unsafe request may have been seen.
/// - an execution ([`Idempotency::Execution`]): repeated only when not sent or refused with
///   429; every other answer is final, and a lost answer is an error (never ambiguous).
#[must_use]
pub fn decide(outcome: Outcome, attempt: u32, max_attempts: u32, idempotency: Idempotency) -> Decision {
    let more = attempt < max_attempts;
    let safe = idempotency == Idempotency::Safe;
    if idempotency == Idempotency::Execution {
        return match outcome {
            Outcome::NotSent | Outcome::Status(429) if more => Decision::Retry,
            Outcome::Status(_) => Decision::Done,
            Outcome::NotSent | Outcome::NoAnswer | Outcome::Permanent { .. } => Decision::GiveUp,
        };
    }
    match outcome {
        Outcome::NotSent if more => Decision::Retry,
        Outcome::NotSent => Decision::GiveUp,
        Outcome::NoAnswer if !safe => Decision::Ambiguous,
        Outcome::NoAnswer if more => Decision::Retry,
        Outcome::NoAnswer => Decision::GiveUp,
        Outcome::Permanent { sent } if sent && !safe => Decision::Ambiguous,
        Outcome::Permanent { .. } => Decision::GiveUp,
        Outcome::Status(429) if more => Decision::Retry,
        Outcome::Status(s) if is_transient_status(s) && !safe => Decision::Ambiguous,
        Outcome::Status(s) if is_transient_status(s) && more => Decision::Retry,
        Outcome::Status(_) => Decision::Done,
    }
}

/// The backoff cap before attempt `attempt + 1`: `base * 2^attempt`, at most `max`. The
/// caller applies full jitter (a uniform fraction of it).
#[must_use]
pub fn backoff_cap(base: Duration, max: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.min(16)).min(max)
}

/// Reads a `Retry-After` value in seconds (an integer or a decimal number). Any value too
/// large for a [`Duration`] (`1e20`, `18446744073709551616`, `1e30`) is [`Duration::MAX`],
/// which is over every cap; a negative, non-finite or unreadable value is `None` (the
/// backoff applies). The HTTP-date form is not used by Genesys and reads as `None`.
#[must_use]
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // All digits but too long for u64: a number of seconds larger than any cap.
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::MAX);
    }
    let f = v.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0)?;
    Some(Duration::try_from_secs_f64(f).unwrap_or(Duration::MAX))
}

/// Whole seconds of a wait, rounded up, for messages (saturating: `Duration::MAX` shows as
/// `u64::MAX`).
#[must_use]
pub fn secs_rounded_up(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

/// The most of an answer's body the client reads; a larger answer fails the request
/// (without retry) naming the cap. Documented in README "Limits and untrusted input".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyCap {
    /// The OAuth token answer (a token and its lifetime): 64 KiB.
    Token,
    /// A template's text: 1 MiB.
    Template,
    /// A JSON answer: one action with its contract and config, a page of a listing (at
    /// most 500 entities), an execution result: 16 MiB.
    Json,
}

impl BodyCap {
    /// The cap in bytes.
    #[must_use]
    pub fn bytes(self) -> usize {
        match self {
            BodyCap::Token => 64 * 1024,
            BodyCap::Template => 1024 * 1024,
            BodyCap::Json => 16 * 1024 * 1024,
        }
    }
}

/// The most pages of one listing the client fetches (1,000,000 entities at 500 a page); a
/// server claiming more is refused rather than trusted.
pub const MAX_PAGES: u64 = 2000;

/// How many pages after the first to fetch, from the first page's `pageCount` and `total`:
/// the smaller of the two claims (a `total` of N needs `ceil(N / page_size)` pages), never
/// above [`MAX_PAGES`] (`Err` carries the claim). An empty first page means there is nothing
/// more, whatever it claims.
pub fn pages_to_fetch(
    page_count: Option<u64>,
    total: Option<u64>,
    first_len: usize,
    page_size: u64,
) -> Result<u64, u64> {
    if first_len == 0 {
        return Ok(1);
    }
    let by_total = total.map(|t| t.div_ceil(page_size.max(1)).max(1));
    let pages = match (page_count, by_total) {
        (Some(p), Some(t)) => p.min(t),
        (Some(p), None) => p,
        (None, Some(t)) => t,
        (None, None) => 1,
    }
    .max(1);
    if pages > MAX_PAGES { Err(pages) } else { Ok(pages) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Ambiguous, Done, GiveUp, Retry};
    use Idempotency::{Safe, Unsafe};

    #[test]
    fn retry_decisions() {
        let d = |o, attempt, idem| decide(o, attempt, 8, idem);
        // Success and plain client errors are handed over.
        assert_eq!(d(Outcome::Status(200), 1, Unsafe), Done);
        assert_eq!(d(Outcome::Status(404), 1, Safe), Done);
        assert_eq!(d(Outcome::Status(400), 1, Safe), Done);
        assert_eq!(d(Outcome::Status(501), 1, Safe), Done, "not implemented stays not implemented");
        // 429: not processed, so even a create repeats; the last attempt hands the 429 over.
        assert_eq!(d(Outcome::Status(429), 1, Unsafe), Retry);
        assert_eq!(d(Outcome::Status(429), 8, Safe), Done);
        // 5xx, 500 included: reads repeat, creates become ambiguous.
        for s in [500, 502, 503, 504] {
            assert_eq!(d(Outcome::Status(s), 1, Safe), Retry, "{s}");
            assert_eq!(d(Outcome::Status(s), 8, Safe), Done, "{s}");
            assert_eq!(d(Outcome::Status(s), 1, Unsafe), Ambiguous, "{s}");
        }
        // Never connected: nothing happened, repeat anything.
        assert_eq!(d(Outcome::NotSent, 1, Unsafe), Retry);
        assert_eq!(d(Outcome::NotSent, 8, Unsafe), GiveUp);
        // Sent, no answer.
        assert_eq!(d(Outcome::NoAnswer, 1, Safe), Retry);
        assert_eq!(d(Outcome::NoAnswer, 8, Safe), GiveUp);
        assert_eq!(d(Outcome::NoAnswer, 1, Unsafe), Ambiguous);
        // Permanent failures are never repeated.
        assert_eq!(d(Outcome::Permanent { sent: false }, 1, Safe), GiveUp);
        assert_eq!(d(Outcome::Permanent { sent: true }, 1, Safe), GiveUp);
        assert_eq!(d(Outcome::Permanent { sent: false }, 1, Unsafe), GiveUp);
        assert_eq!(d(Outcome::Permanent { sent: true }, 1, Unsafe), Ambiguous);
    }

    #[test]
    fn an_execution_answer_is_final_and_never_ambiguous() {
        let d = |o, attempt| decide(o, attempt, 8, Idempotency::Execution);
        // The action's own failure (a function that throws answers 500) is the outcome.
        for s in [200, 400, 500, 502, 503, 504] {
            assert_eq!(d(Outcome::Status(s), 1), Done, "{s}");
        }
        assert_eq!(d(Outcome::Status(429), 1), Retry);
        assert_eq!(d(Outcome::Status(429), 8), Done);
        assert_eq!(d(Outcome::NotSent, 1), Retry);
        assert_eq!(d(Outcome::NotSent, 8), GiveUp);
        assert_eq!(d(Outcome::NoAnswer, 1), GiveUp, "never repeated: the action may have run");
        assert_eq!(d(Outcome::Permanent { sent: true }, 1), GiveUp);
    }

    #[test]
    fn retry_after_never_panics_and_huge_asks_exceed_any_cap() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        for huge in ["1e20", "1e30", "18446744073709551616", "99999999999999999999999999", "1.7e308"] {
            assert_eq!(parse_retry_after(huge), Some(Duration::MAX), "{huge}");
        }
        for bad in ["", "-1", "NaN", "inf", "-inf", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "1e999"] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
        assert_eq!(secs_rounded_up(Duration::MAX), u64::MAX);
        assert_eq!(secs_rounded_up(Duration::from_millis(1500)), 2);
    }

    #[test]
    fn backoff_grows_to_its_cap() {
        let b = |a| backoff_cap(Duration::from_millis(250), Duration::from_secs(10), a);
        assert_eq!(b(1), Duration::from_millis(500));
        assert_eq!(b(3), Duration::from_secs(2));
        assert_eq!(b(10), Duration::from_secs(10));
        assert_eq!(b(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn paging_trusts_the_smaller_claim_and_refuses_absurd_ones() {
        assert_eq!(pages_to_fetch(Some(3), Some(1103), 500, 500), Ok(3));
        assert_eq!(pages_to_fetch(Some(1_000_000_000), Some(1103), 500, 500), Ok(3));
        assert_eq!(pages_to_fetch(Some(1_000_000_000), None, 500, 500), Err(1_000_000_000));
        assert_eq!(pages_to_fetch(None, None, 500, 500), Ok(1));
        assert_eq!(pages_to_fetch(Some(0), Some(0), 0, 500), Ok(1));
        assert_eq!(pages_to_fetch(Some(9), None, 0, 500), Ok(1), "an empty page ends the listing");
        assert_eq!(pages_to_fetch(Some(MAX_PAGES), None, 500, 500), Ok(MAX_PAGES));
    }
}
