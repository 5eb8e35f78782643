//! Where the org is and how to log in: the `GENESYS_CLOUD_*` environment variables.
//!
//! Owns: the region table (all 17 Genesys Cloud regions, by domain and by AWS-style key),
//! API/login base URLs, the `GENESYS_CLOUD_API_URL` override, the rule that `http://` is
//! only allowed for loopback hosts, and clear errors naming the variable and the accepted
//! values. Variable *names* are parameters so environments can read other variables.
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
        "`{var}` is `{value}`: plain http:// is only allowed for loopback hosts (127.0.0.1, ::1, localhost); use https://"
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

/// Checks an API base URL (`var` names where it came from, for the message): `https://`, or
/// `http://` for a loopback host.
pub fn check_url(var: &str, url: &str) -> Result<(), ConfigError> {
    if let Some(rest) = url.strip_prefix("http://") {
        if is_loopback(host_of(rest)) {
            return Ok(());
        }
        return Err(ConfigError::Insecure { var: var.into(), value: url.into() });
    }
    if url.starts_with("https://") && !host_of(url).is_empty() {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        var: var.into(),
        value: url.into(),
        accepted: "an https:// URL such as https://api.mypurecloud.com (http:// only for loopback)".into(),
    })
}

/// `host[:port]` of a URL (scheme optional).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or("")
}

/// Whether `host[:port]` names the loopback interface.
#[must_use]
pub fn is_loopback(host_port: &str) -> bool {
    let host = if let Some(stripped) = host_port.strip_prefix('[') {
        stripped.split(']').next().unwrap_or("")
    } else {
        host_port
            .rsplit_once(':')
            .map_or(host_port, |(h, p)| if p.chars().all(|c| c.is_ascii_digit()) { h } else { host_port })
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
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
        assert!(
            is_loopback("localhost:80")
                && is_loopback("[::1]:9")
                && is_loopback("127.0.0.2")
                && !is_loopback("10.0.0.1")
        );
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
