//! Fault injection, the enforced rate limit and the request log of the emulator.
//!
//! Owns: parsing fault specs (`--fault`, `GCSYNC_EMULATOR_FAULTS`, `POST /__emulator/faults`),
//! deciding per request whether a fault fires (deterministically: nth/every counters and a
//! seeded RNG for rates), the Genesys error `code` an injected status answers with, the
//! fault help text (`gcsync emulator --help` is built from [`FAULT_SYNTAX`] and
//! [`NAMED_KINDS`], the same tables the parser uses), the per-token token-bucket limiter that
//! answers real 429s, and the log of every request (method, path, status) that tests count
//! API calls from.
//! Must not: know routes or the org's data.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// What a fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (429 and 503 add `Retry-After`) without processing the request.
    Status(u16),
    /// Close the connection without answering and without processing the request.
    Drop,
    /// Process the request, then close the connection instead of answering (the client
    /// cannot know whether it happened).
    DropAfter,
    /// Delay the request by `ms`.
    Latency,
    /// Hold the request without processing it, until the faults are replaced (a client
    /// killed while waiting never learns anything).
    Hang,
    /// Process the request, then hold the answer until the faults are replaced.
    HangAfter,
}

/// When a fault fires, among the requests it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Every matching request.
    Always,
    /// Only the Nth matching request (1-based).
    Nth(u64),
    /// Every Nth matching request.
    Every(u64),
    /// With this probability (seeded RNG: reproducible for a given `--seed`).
    Rate(f64),
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Effect.
    pub kind: FaultKind,
    /// Only these methods (upper case).
    pub method: Option<Vec<String>>,
    /// Only paths starting with this prefix (default: everything under `/api/` and `/oauth/`).
    pub path: Option<String>,
    /// When.
    pub trigger: Trigger,
    /// Seconds in `Retry-After` (429/503).
    pub retry_after: u64,
    /// Delay for `latency`.
    pub ms: u64,
    /// Fire at most this many times.
    pub count: Option<u64>,
}

/// The syntax, for help texts and parse errors (KIND: an HTTP status 400-599 or one of
/// [`NAMED_KINDS`]; N >= 1).
pub const FAULT_SYNTAX: &str =
    "KIND [rate=F|nth=N|every=N] [method=M[,M...]] [path=PREFIX] [retry-after=S] [ms=N] [count=N]";

/// `FAULT_SYNTAX` with what KIND may be, for parse errors.
fn expected() -> String {
    let names: Vec<&str> = NAMED_KINDS.iter().map(|(n, _, _)| *n).collect();
    format!("{FAULT_SYNTAX} where KIND is an HTTP status (400-599) or {}", names.join(", "))
}

/// The fault kinds that are words: the parser accepts exactly these, and the help lists them.
pub const NAMED_KINDS: &[(&str, FaultKind, &str)] = &[
    ("drop", FaultKind::Drop, "close the connection without answering or processing"),
    ("drop-after", FaultKind::DropAfter, "process, then close without answering"),
    ("hang", FaultKind::Hang, "hold the request unprocessed until the faults are replaced"),
    ("hang-after", FaultKind::HangAfter, "process, then hold the answer until the faults are replaced"),
    ("latency", FaultKind::Latency, "delay the request by ms=N (default 100), then serve it"),
];

/// The Genesys error `code` in the body of an injected status (a 429 is answered like the
/// Platform API's rate limit, with `Retry-After`): the one table, [`crate::status_codes`].
#[must_use]
pub fn status_code_name(status: u16) -> &'static str {
    crate::status_codes::genesys_code(status)
}

/// The fault part of `gcsync emulator --help`.
#[must_use]
pub fn help_text() -> String {
    let mut s = format!(
        "Fault specs (--fault, or GCSYNC_EMULATOR_FAULTS separated by `;`; N >= 1):\n  {FAULT_SYNTAX}\n  KIND:\n    {:<11} {}\n",
        "400-599",
        "answer the status unprocessed, with its Genesys code (404 not.found, 503 service.unavailable, ...); 429 and 503 add Retry-After (retry-after=S, default 1)"
    );
    for (name, _, what) in NAMED_KINDS {
        s.push_str(&format!("    {name:<11} {what}\n"));
    }
    s.push_str("  Examples: --fault '503 rate=0.2'  --fault '429 nth=3 retry-after=1'  --fault 'drop-after method=POST path=/api/v2/integrations/actions nth=2'");
    s
}

impl FaultSpec {
    /// Parses `503 rate=0.2 path=/api/v2/integrations/actions`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut tokens = text.split_whitespace();
        let kind_tok = tokens.next().ok_or_else(|| format!("empty fault spec; expected {}", expected()))?;
        let named = NAMED_KINDS.iter().find(|(n, _, _)| *n == kind_tok).map(|(_, k, _)| k.clone());
        let kind = match named {
            Some(k) => k,
            None => match kind_tok.parse::<u16>() {
                Ok(code) if (400..600).contains(&code) => FaultKind::Status(code),
                _ => return Err(format!("unknown fault kind `{kind_tok}`; expected {}", expected())),
            },
        };
        let mut spec = FaultSpec {
            kind,
            method: None,
            path: None,
            trigger: Trigger::Always,
            retry_after: 1,
            ms: 100,
            count: None,
        };
        for tok in tokens {
            let (k, v) = tok.split_once('=').ok_or_else(|| format!("`{tok}` is not KEY=VALUE"))?;
            let num = || v.parse::<u64>().map_err(|_| format!("`{k}` needs a whole number, found `{v}`"));
            let positive = || match num()? {
                0 => Err(format!("`{k}` must be at least 1, found 0")),
                n => Ok(n),
            };
            match k {
                "rate" => {
                    let r: f64 = v.parse().map_err(|_| format!("`rate` needs a number 0..1, found `{v}`"))?;
                    if !(0.0..=1.0).contains(&r) {
                        return Err(format!("`rate` must be between 0 and 1, found {r}"));
                    }
                    spec.trigger = Trigger::Rate(r);
                }
                "nth" => spec.trigger = Trigger::Nth(positive()?),
                "every" => spec.trigger = Trigger::Every(positive()?),
                "method" => spec.method = Some(v.split(',').map(str::to_ascii_uppercase).collect()),
                "path" => spec.path = Some(v.to_string()),
                "retry-after" => spec.retry_after = num()?,
                "ms" => spec.ms = num()?,
                "count" => spec.count = Some(positive()?),
                _ => return Err(format!("unknown fault option `{k}`; expected {}", expected())),
            }
        }
        Ok(spec)
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_ref().is_none_or(|ms| ms.iter().any(|m| m == method))
            && match &self.path {
                Some(p) => path.starts_with(p.as_str()),
                None => path.starts_with("/api/") || path.starts_with("/oauth/"),
            }
    }
}

struct Rule {
    spec: FaultSpec,
    matched: u64,
    fired: u64,
}

/// The active fault rules.
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    rng: Mutex<fastrand::Rng>,
}

/// What to do with one request.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// Sleep first.
    pub delay_ms: u64,
    /// Then this effect, if any.
    pub effect: Option<(FaultKind, u64)>,
}

impl Faults {
    /// Rules from specs, with a seed for `rate=` triggers.
    #[must_use]
    pub fn new(specs: Vec<FaultSpec>, seed: u64) -> Self {
        Self {
            rules: Mutex::new(specs.into_iter().map(|spec| Rule { spec, matched: 0, fired: 0 }).collect()),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    /// Replaces all rules (counters restart).
    pub fn replace(&self, specs: Vec<FaultSpec>) {
        if let Ok(mut r) = self.rules.lock() {
            *r = specs.into_iter().map(|spec| Rule { spec, matched: 0, fired: 0 }).collect();
        }
    }

    /// Decides for one request.
    pub fn decide(&self, method: &str, path: &str) -> Decision {
        let mut d = Decision::default();
        let (Ok(mut rules), Ok(mut rng)) = (self.rules.lock(), self.rng.lock()) else {
            return d;
        };
        for rule in rules.iter_mut() {
            if !rule.spec.matches(method, path) {
                continue;
            }
            rule.matched += 1;
            if rule.spec.count.is_some_and(|c| rule.fired >= c) {
                continue;
            }
            let fire = match rule.spec.trigger {
                Trigger::Always => true,
                Trigger::Nth(n) => rule.matched == n,
                Trigger::Every(n) => rule.matched % n == 0,
                Trigger::Rate(r) => rng.f64() < r,
            };
            if !fire {
                continue;
            }
            rule.fired += 1;
            match rule.spec.kind {
                FaultKind::Latency => d.delay_ms += rule.spec.ms,
                ref k if d.effect.is_none() => d.effect = Some((k.clone(), rule.spec.retry_after)),
                _ => {}
            }
        }
        d
    }
}

/// Per-token token bucket: `per_minute` requests per minute, bursts up to `burst`.
pub struct Limiter {
    per_minute: u32,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// A limiter allowing `per_minute` requests per minute per token.
    #[must_use]
    pub fn new(per_minute: u32, burst: Option<u32>) -> Self {
        let burst = burst.map_or_else(|| (f64::from(per_minute) / 6.0).max(1.0), f64::from);
        Self { per_minute: per_minute.max(1), burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `key`'s bucket; `Err(seconds)` when empty.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let rate = f64::from(self.per_minute) / 60.0;
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        let entry = buckets.entry(key.to_string()).or_insert((self.burst, now));
        let elapsed = now.duration_since(entry.1).as_secs_f64();
        entry.0 = (entry.0 + elapsed * rate).min(self.burst);
        entry.1 = now;
        if entry.0 >= 1.0 {
            entry.0 -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - entry.0) / rate).ceil();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Err((wait as u64).max(1))
        }
    }
}

/// One logged request.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// Sequence number from 1.
    pub seq: u64,
    /// Method.
    pub method: String,
    /// Path (no query).
    pub path: String,
    /// Query string.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// Status sent (0 when the connection was dropped).
    pub status: u16,
    /// The fault that fired, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let s = FaultSpec::parse("503 rate=0.2 method=post path=/api/v2/integrations/actions").unwrap();
        assert_eq!(s.kind, FaultKind::Status(503));
        assert_eq!(s.trigger, Trigger::Rate(0.2));
        assert_eq!(s.method, Some(vec!["POST".to_string()]));
        let m = FaultSpec::parse("hang-after method=POST,patch").unwrap();
        assert_eq!(
            (m.kind, m.method),
            (FaultKind::HangAfter, Some(vec!["POST".to_string(), "PATCH".to_string()]))
        );
        assert_eq!(FaultSpec::parse("drop-after nth=3").unwrap().trigger, Trigger::Nth(3));
        assert!(FaultSpec::parse("teapot").is_err());
        assert!(FaultSpec::parse("503 rate=2").is_err());
        assert!(FaultSpec::parse("503 bogus=1").is_err());
        assert!(FaultSpec::parse("399").is_err() && FaultSpec::parse("600").is_err());
    }

    #[test]
    fn zero_counters_are_refused() {
        for spec in ["500 nth=0", "500 every=0", "500 count=0", "drop nth=0 count=1"] {
            let e = FaultSpec::parse(spec).unwrap_err();
            let key = spec.split_whitespace().find(|t| t.ends_with("=0")).unwrap().trim_end_matches("=0");
            assert_eq!(e, format!("`{key}` must be at least 1, found 0"), "{spec}");
        }
        assert_eq!(FaultSpec::parse("500 every=1 count=1").unwrap().count, Some(1));
    }

    #[test]
    fn every_named_kind_parses_and_is_in_the_syntax_and_help() {
        let help = help_text();
        assert!(help.contains(FAULT_SYNTAX));
        let unknown = FaultSpec::parse("teapot").unwrap_err();
        for (name, kind, what) in NAMED_KINDS {
            assert_eq!(&FaultSpec::parse(name).unwrap().kind, kind);
            assert!(unknown.contains(&format!(" {name}")), "{name} missing in: {unknown}");
            assert!(help.contains(&format!("    {name:<11} {what}\n")), "{name} missing in help:\n{help}");
        }
    }

    #[test]
    fn injected_statuses_carry_genesys_codes() {
        let codes: Vec<&str> =
            [400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504, 418, 599].map(status_code_name).to_vec();
        assert_eq!(
            codes,
            vec![
                "bad.request",
                "authentication.required",
                "not.authorized",
                "not.found",
                "request.timeout",
                "conflict",
                "too.many.requests.retry.after",
                "internal.server.error",
                "bad.gateway",
                "service.unavailable",
                "gateway.timeout",
                "bad.request",
                "internal.server.error"
            ]
        );
    }

    #[test]
    fn nth_and_count_are_deterministic() {
        let f = Faults::new(
            vec![FaultSpec::parse("500 nth=2").unwrap(), FaultSpec::parse("429 every=3 count=1").unwrap()],
            0,
        );
        let fired: Vec<bool> = (0..7).map(|_| f.decide("GET", "/api/v2/x").effect.is_some()).collect();
        assert_eq!(fired, vec![false, true, true, false, false, false, false]);
    }

    #[test]
    fn rate_is_reproducible_for_a_seed() {
        let run = || {
            let f = Faults::new(vec![FaultSpec::parse("503 rate=0.3").unwrap()], 42);
            (0..50).map(|_| f.decide("GET", "/api/v2/x").effect.is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
        let hits = run().iter().filter(|b| **b).count();
        assert!((5..=25).contains(&hits), "{hits}");
    }

    #[test]
    fn limiter_allows_burst_then_refuses() {
        let l = Limiter::new(60, Some(2));
        assert!(l.take("t").is_ok());
        assert!(l.take("t").is_ok());
        assert_eq!(l.take("t"), Err(1));
        assert!(l.take("other").is_ok());
    }
}
