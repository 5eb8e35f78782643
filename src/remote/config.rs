//! Where the org is and how to log in: the `GENESYS_CLOUD_*` environment variables.
//!
//! Owns: the region table (all 17 Genesys Cloud regions, by domain and by AWS-style key),
//! API/login base URLs, the `GENESYS_CLOUD_API_URL` override, [`check_http_url`] — the one
//! check of every http(s) URL gcsync connects to (also used by environments and state
//! locations): no user info, `http://` only to a loopback address, decided by the parser
//! that connects — and clear errors naming the variable and the accepted values. Variable *names* are parameters so environments can read other variables.
//! Must not: do I/O (the caller passes a lookup function) or hold tokens.

use super::Secret;

/// Genesys Cloud regions: (AWS-style key, domain).
pub const REGIONS: [(&str, &str); 17] = [
    ("us_east_1", "mypurecloud.com"),
    ("us_east_2", "use2.us-gov-pure.cloud"),
    ("us_west_2", "usw2.pure.cloud"),
    ("ca_central_1", "cac1.pure.cloud"),
    ("sa_east_1", "sae1.pure.cloud"),
    ("mx_central_1", "mxc1.pure.cloud"),
    ("eu_west_1", "mypurecloud.ie"),
    ("eu_west_2", "euw2.pure.cloud"),
    ("eu_central_1", "mypurecloud.de"),
    ("eu_central_2", "euc2.pure.cloud"),
    ("me_central_1", "mec1.pure.cloud"),
    ("ap_south_1", "aps1.pure.cloud"),
    ("ap_northeast_1", "mypurecloud.jp"),
    ("ap_northeast_2", "apne2.pure.cloud"),
    ("ap_northeast_3", "apne3.pure.cloud"),
    ("ap_southeast_1", "apse1.pure.cloud"),
    ("ap_southeast_2", "mypurecloud.com.au"),
];

/// The names of the variables to read (defaults: `GENESYS_CLOUD_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvNames {
    /// Region domain or key.
    pub region: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// API base override.
    pub api_url: String,
}

impl Default for EnvNames {
    fn default() -> Self {
        Self {
            region: "GENESYS_CLOUD_REGION".into(),
            client_id: "GENESYS_CLOUD_CLIENT_ID".into(),
            client_secret: "GENESYS_CLOUD_CLIENT_SECRET".into(),
            api_url: "GENESYS_CLOUD_API_URL".into(),
        }
    }
}

/// A resolved org target.
#[derive(Clone)]
pub struct Target {
    /// API base, e.g. `https://api.mypurecloud.ie` (no trailing slash).
    pub api_base: String,
    /// Login base, e.g. `https://login.mypurecloud.ie`.
    pub login_base: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("api_base", &self.api_base)
            .field("login_base", &self.login_base)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

impl Target {
    /// The API host (`api.mypurecloud.ie`, `127.0.0.1:41234`), which state files record.
    #[must_use]
    pub fn api_host(&self) -> String {
        host_of(&self.api_base).to_string()
    }
}

/// A configuration problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("`{var}` is not set; {what}")]
    Missing {
        /// Variable name.
        var: String,
        /// What it should hold.
        what: String,
    },
    /// A variable has a value gcsync does not accept.
    #[error("`{var}` has an unknown value `{value}`; {accepted}")]
    Invalid {
        /// Variable name.
        var: String,
        /// The value (never a secret).
        value: String,
        /// The accepted values.
        accepted: String,
    },
    /// A plain-http URL for a host that is not loopback.
    #[error(
        "`{var}` is `{value}`: plain http:// is only allowed to a loopback address (127.0.0.1, [::1]); use https://"
    )]
    Insecure {
        /// Variable name.
        var: String,
        /// The URL.
        value: String,
    },
}

/// Accepted region values, for messages.
#[must_use]
pub fn accepted_regions() -> String {
    let domains: Vec<&str> = REGIONS.iter().map(|(_, d)| *d).collect();
    let keys: Vec<&str> = REGIONS.iter().map(|(k, _)| *k).collect();
    format!("use a region domain ({}) or key ({})", domains.join(", "), keys.join(", "))
}

/// Resolves a region value (domain, key, or key with dashes/upper case) to its domain.
#[must_use]
pub fn region_domain(value: &str) -> Option<&'static str> {
    let v = value.trim().trim_start_matches("https://").trim_start_matches("api.").trim_end_matches('/');
    let key = v.to_ascii_lowercase().replace('-', "_");
    REGIONS.iter().find(|(k, d)| *d == v.to_ascii_lowercase() || *k == key).map(|(_, d)| *d)
}

/// Builds the target from variables (`get` looks a variable up).
pub fn from_env(names: &EnvNames, get: impl Fn(&str) -> Option<String>) -> Result<Target, ConfigError> {
    let non_empty = |var: &str| get(var).filter(|v| !v.trim().is_empty());
    let client_id = non_empty(&names.client_id).ok_or_else(|| ConfigError::Missing {
        var: names.client_id.clone(),
        what: "set it to the id of an OAuth client (client credentials grant) of the org".into(),
    })?;
    let client_secret = non_empty(&names.client_secret).ok_or_else(|| ConfigError::Missing {
        var: names.client_secret.clone(),
        what: "set it to the secret of that OAuth client".into(),
    })?;
    let (api_base, login_base) = if let Some(url) = non_empty(&names.api_url) {
        let url = url.trim().trim_end_matches('/').to_string();
        check_url(&names.api_url, &url)?;
        (url.clone(), url)
    } else {
        let region = non_empty(&names.region).ok_or_else(|| ConfigError::Missing {
            var: names.region.clone(),
            what: format!("{} (or set `{}` to an API base URL)", accepted_regions(), names.api_url),
        })?;
        let domain = region_domain(&region).ok_or_else(|| ConfigError::Invalid {
            var: names.region.clone(),
            value: region.clone(),
            accepted: accepted_regions(),
        })?;
        (format!("https://api.{domain}"), format!("https://login.{domain}"))
    };
    Ok(Target { api_base, login_base, client_id, client_secret: Secret::new(client_secret) })
}

/// Checks an API base URL (`var` names where it came from, for the message) with
/// [`check_http_url`]: `https://`, or `http://` to a loopback address; no credentials, query
/// or fragment.
pub fn check_url(var: &str, url: &str) -> Result<(), ConfigError> {
    let shown = shown_url(url);
    match check_http_url(url) {
        Ok(_) => Ok(()),
        Err(UrlProblem::PlainHttp) => Err(ConfigError::Insecure { var: var.into(), value: shown }),
        Err(p) => Err(ConfigError::Invalid {
            var: var.into(),
            value: shown,
            accepted: format!(
                "{p}; use an https:// URL such as https://api.mypurecloud.com (http:// only to 127.0.0.1 or [::1])"
            ),
        }),
    }
}

/// Why a URL gcsync would connect to is refused (see [`check_http_url`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    /// The URL parser refused it.
    #[error("not a valid URL: {0}")]
    Unparsable(String),
    /// Not `http://` or `https://`.
    #[error("the scheme is `{0}://`, not https://")]
    Scheme(String),
    /// No host.
    #[error("no host")]
    NoHost,
    /// `user:password@` in the URL (it would be sent and shown in logs; and a host written
    /// before `@` is not the host connected to).
    #[error("credentials (user:password@) in the URL are refused")]
    Credentials,
    /// A query or fragment (it may carry a token that would show in logs).
    #[error("a query or fragment is refused")]
    QueryOrFragment,
    /// Plain `http://` to a host that is not a loopback address.
    #[error("plain http:// is only allowed to a loopback address (127.0.0.1, [::1]); use https://")]
    PlainHttp,
}

/// THE check for every http(s) URL gcsync connects to (API base, environment files'
/// `apiUrl`, state and lock URLs): parsed with reqwest's own [`reqwest::Url`] — the parser of
/// the client that connects, so the host checked is the host connected to
/// (`http://[::1]@evil.example` is `evil.example` with user info, and is refused) — an
/// `http`/`https` scheme, a host, no user info, no query or fragment, and plain `http://`
/// only to a loopback IP literal (`127.0.0.0/8`, `[::1]`; not the name `localhost`, which the
/// system resolver could send anywhere). Returns the parsed URL.
pub fn check_http_url(url: &str) -> Result<reqwest::Url, UrlProblem> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| UrlProblem::Unparsable(e.to_string()))?;
    check_parsed_url(&parsed)?;
    Ok(parsed)
}

/// [`check_http_url`] on an already parsed URL.
pub fn check_parsed_url(url: &reqwest::Url) -> Result<(), UrlProblem> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlProblem::Scheme(url.scheme().to_string()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlProblem::QueryOrFragment);
    }
    if url.scheme() == "http" && !is_loopback_url(url) {
        return Err(UrlProblem::PlainHttp);
    }
    Ok(())
}

/// Whether `url`'s host is a loopback IP literal, as the parser normalized it (`0x7f.1` is
/// `127.0.0.1`; a domain name never parses as an IP address).
#[must_use]
pub fn is_loopback_url(url: &reqwest::Url) -> bool {
    url.host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback())
}

/// A URL as it may be shown in a message: user info replaced by `***`, query dropped.
fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority =
        authority.rfind('@').map_or(authority.to_string(), |i| format!("***@{}", &authority[i + 1..]));
    let tail = tail.split(['?', '#']).next().unwrap_or("");
    format!("{scheme}://{authority}{tail}")
}

/// `host[:port]` of a URL (scheme optional).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn regions_by_domain_and_key() {
        assert_eq!(region_domain("mypurecloud.ie"), Some("mypurecloud.ie"));
        assert_eq!(region_domain("eu_west_1"), Some("mypurecloud.ie"));
        assert_eq!(region_domain("EU-WEST-1"), Some("mypurecloud.ie"));
        assert_eq!(region_domain("usw2.pure.cloud"), Some("usw2.pure.cloud"));
        assert_eq!(region_domain("api.mypurecloud.com"), Some("mypurecloud.com"));
        assert_eq!(region_domain("mars_north_1"), None);
        assert_eq!(REGIONS.len(), 17);
    }

    #[test]
    fn builds_target_from_region() {
        let t = from_env(
            &EnvNames::default(),
            env(&[
                ("GENESYS_CLOUD_REGION", "eu_central_1"),
                ("GENESYS_CLOUD_CLIENT_ID", "id"),
                ("GENESYS_CLOUD_CLIENT_SECRET", "s"),
            ]),
        )
        .unwrap();
        assert_eq!(t.api_base, "https://api.mypurecloud.de");
        assert_eq!(t.login_base, "https://login.mypurecloud.de");
        assert!(!format!("{t:?}").contains("\"s\""));
    }

    #[test]
    fn api_url_override_and_loopback_rule() {
        let t = from_env(
            &EnvNames::default(),
            env(&[
                ("GENESYS_CLOUD_API_URL", "http://127.0.0.1:4000/"),
                ("GENESYS_CLOUD_CLIENT_ID", "id"),
                ("GENESYS_CLOUD_CLIENT_SECRET", "s"),
            ]),
        )
        .unwrap();
        assert_eq!(t.api_base, "http://127.0.0.1:4000");
        assert_eq!(t.login_base, "http://127.0.0.1:4000");
        assert_eq!(t.api_host(), "127.0.0.1:4000");
        let e = from_env(
            &EnvNames::default(),
            env(&[
                ("GENESYS_CLOUD_API_URL", "http://example.com"),
                ("GENESYS_CLOUD_CLIENT_ID", "id"),
                ("GENESYS_CLOUD_CLIENT_SECRET", "s"),
            ]),
        )
        .unwrap_err();
        assert!(matches!(e, ConfigError::Insecure { .. }));
    }

    /// Issue 12 class 4: the loopback rule is decided on the URL as the connecting client
    /// parses it; user info is refused outright and never shown.
    #[test]
    fn the_url_check_reads_the_host_that_is_connected_to() {
        for ok in [
            "http://127.0.0.1:4000",
            "http://[::1]:9/",
            "http://127.0.0.2",
            "https://api.mypurecloud.ie",
            "http://0x7f.1:80",
        ] {
            assert!(check_http_url(ok).is_ok(), "{ok}");
        }
        for (bad, problem) in [
            ("http://[::1]@some.host", UrlProblem::Credentials),
            ("http://127.0.0.1@some.host:80/", UrlProblem::Credentials),
            ("https://user:pw@api.mypurecloud.ie", UrlProblem::Credentials),
            ("http://localhost:8080", UrlProblem::PlainHttp),
            ("http://127.0.0.1.example.com", UrlProblem::PlainHttp),
            ("http://10.0.0.1", UrlProblem::PlainHttp),
            ("ftp://127.0.0.1", UrlProblem::Scheme("ftp".into())),
            ("https://api.example.com/?token=x", UrlProblem::QueryOrFragment),
        ] {
            assert_eq!(check_http_url(bad).unwrap_err(), problem, "{bad}");
        }
        let e = check_url("GENESYS_CLOUD_API_URL", "http://[::1]:p4ss@some.host").unwrap_err();
        assert!(!e.to_string().contains("p4ss"), "{e}");
        assert!(e.to_string().contains("credentials"), "{e}");
        let e = from_env(
            &EnvNames::default(),
            env(&[
                ("GENESYS_CLOUD_API_URL", "http://[::1]@some.host"),
                ("GENESYS_CLOUD_CLIENT_ID", "id"),
                ("GENESYS_CLOUD_CLIENT_SECRET", "s"),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("`GENESYS_CLOUD_API_URL`"), "{e}");
    }

    #[test]
    fn missing_and_unknown_values_name_the_variable() {
        let e = from_env(&EnvNames::default(), env(&[])).unwrap_err();
        assert!(e.to_string().contains("`GENESYS_CLOUD_CLIENT_ID` is not set"), "{e}");
        let e = from_env(
            &EnvNames::default(),
            env(&[("GENESYS_CLOUD_CLIENT_ID", "i"), ("GENESYS_CLOUD_CLIENT_SECRET", "s")]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("`GENESYS_CLOUD_REGION` is not set")
                && e.to_string().contains("mypurecloud.ie"),
            "{e}"
        );
        let e = from_env(
            &EnvNames::default(),
            env(&[
                ("GENESYS_CLOUD_REGION", "moon"),
                ("GENESYS_CLOUD_CLIENT_ID", "i"),
                ("GENESYS_CLOUD_CLIENT_SECRET", "s"),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown value `moon`") && e.to_string().contains("eu_west_1"), "{e}");
    }
}
