//! The one table from an HTTP status to the Genesys error `code` that goes with it, used
//! wherever gcsync has a status but no code: the emulator's injected faults, the local
//! runtime's step-8 errors for an upstream's non-2xx answer, and the client when an error
//! body carries no `code`.
//!
//! Sources (`../shared/reference/genesys-data-actions.md`): `bad.request` for 400 (§2.6,
//! §2.8), `too.many.requests.retry.after` for 429 (§ rate limits, [C-429]),
//! `internal.server.error` for 500 (§2.6, [H-500]). `authentication.required` (401, no or
//! unusable bearer token) and `not.authorized` (403) are the Platform API's codes as the
//! emulator answers them (a refused *token* is the more specific `bad.credentials`, which
//! the emulator sends explicitly); the remaining rows use the same dotted form of the
//! status's reason phrase and are marked inferred in README "Error codes".
//! Must not: know any endpoint or do I/O.

/// The Genesys `code` for `status`: the table's row, else `bad.request` for any other 4xx,
/// `internal.server.error` for any other 5xx, and `error` for a status that is not an error.
#[must_use]
pub fn genesys_code(status: u16) -> &'static str {
    match status {
        401 => "authentication.required",
        403 => "not.authorized",
        404 => "not.found",
        405 => "method.not.allowed",
        408 => "request.timeout",
        409 => "conflict",
        413 => "request.entity.too.large",
        415 => "unsupported.media.type",
        422 => "unprocessable.entity",
        429 => "too.many.requests.retry.after",
        502 => "bad.gateway",
        503 => "service.unavailable",
        504 => "gateway.timeout",
        // 400 itself (reference §2.6, §2.8) and every 4xx without its own row.
        400..=499 => "bad.request",
        // 500 itself (reference §2.6) and every 5xx without its own row.
        500..=599 => "internal.server.error",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_with_its_documented_rows_and_fallbacks() {
        // Rows the reference documents.
        assert_eq!(genesys_code(400), "bad.request");
        assert_eq!(genesys_code(429), "too.many.requests.retry.after");
        assert_eq!(genesys_code(500), "internal.server.error");
        // The row the three old tables disagreed on.
        assert_eq!(genesys_code(401), "authentication.required");
        // Fallbacks.
        assert_eq!(genesys_code(418), "bad.request");
        assert_eq!(genesys_code(599), "internal.server.error");
        assert_eq!(genesys_code(302), "error");
    }
}
