//! Architect dependency tracking through the client: which flows consume an action, whether the
//! dependency build can be trusted, and which flows still consume deleted resources (issue 15).
//!
//! Owns: the dependency-tracking endpoint calls (`…/consumingresources`, `…/build`,
//! `…/deletedresourceconsumers`), their paging, and turning the answers into
//! [`crate::impact::Impact`] — complete, or incomplete with the reason (build not `OPERATIONAL`,
//! failed objects, 403 missing `architect:dependencyTracking:view`, a 5xx). A 403 or 5xx is never
//! read as "no consumers". Other failures (network, login) are errors for the caller.
//! Must not: decide whether a delete may proceed (`crate::impact::decide` does) or print.
//!
//! Calls: [`Client::dependency_health`] is one `GET …/build`; [`Client::action_consumers`] is one
//! `GET …/consumingresources?flowFilter=published` and one `…flowFilter=checkedIn` per action (more
//! only past [`DEPENDENCY_PAGE_SIZE`] consumers), so a plan can check the build once and each deleted or
//! replaced action with two calls.

use super::Idempotency;
use super::client::{Client, Page};
use super::error::{Error, Result};
use super::request::Req;
use crate::impact::{Consumer, Impact, Incomplete};
use reqwest::Method;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Base path of dependency tracking.
pub const DEPENDENCY_BASE: &str = "/api/v2/architect/dependencytracking";

/// The permission reading dependency tracking needs.
pub const VIEW_PERMISSION: &str = "architect:dependencyTracking:view";

/// Page size for dependency-tracking listings (the API's default is 25; 100 keeps one page for
/// nearly every action without relying on a larger, undocumented maximum).
pub const DEPENDENCY_PAGE_SIZE: u64 = 100;

/// One flow version that consumes a resource (`Dependency`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// Flow id.
    pub id: String,
    /// Flow name.
    #[serde(default)]
    pub name: Option<String>,
    /// The consuming flow version.
    #[serde(default)]
    pub version: Option<String>,
    /// `INBOUNDCALLFLOW`, `COMMONMODULEFLOW`, ….
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Whether the consumer itself is deleted.
    #[serde(default)]
    pub deleted: Option<bool>,
}

/// An object the dependency build could not analyse (`FailedObject`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FailedObject {
    /// Id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
    /// Error code.
    #[serde(default)]
    pub error_code: Option<String>,
}

/// The dependency build (`DependencyStatus`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DependencyStatus {
    /// `OPERATIONAL`, `BUILDINPROGRESS`, ….
    pub status: String,
    /// When the build started.
    #[serde(default)]
    pub date_started: Option<String>,
    /// When it completed.
    #[serde(default)]
    pub date_completed: Option<String>,
    /// Objects it could not analyse.
    #[serde(default)]
    pub failed_objects: Vec<FailedObject>,
}

impl DependencyStatus {
    /// Why answers built on this status may be incomplete (empty: trustworthy).
    #[must_use]
    pub fn incomplete(&self) -> Vec<Incomplete> {
        let mut out = Vec::new();
        if self.status != "OPERATIONAL" {
            out.push(Incomplete::NotOperational { status: self.status.clone() });
        }
        if !self.failed_objects.is_empty() {
            out.push(Incomplete::FailedObjects {
                ids: self.failed_objects.iter().map(|f| f.id.clone()).collect(),
            });
        }
        out
    }
}

/// A flow version that still consumes deleted resources (`DependencyObject`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeletedResourceConsumer {
    /// Flow id.
    pub id: String,
    /// Flow name.
    #[serde(default)]
    pub name: Option<String>,
    /// Flow version.
    #[serde(default)]
    pub version: Option<String>,
    /// Flow type (`INBOUNDCALLFLOW`, …).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The deleted resources it consumes.
    #[serde(default)]
    pub consumed_resources: Vec<Dependency>,
}

/// A 403 or 5xx from dependency tracking as the reason an answer is incomplete; any other error
/// stays an error.
fn as_incomplete(e: Error) -> std::result::Result<Incomplete, Error> {
    match e.api().map(|a| a.status) {
        Some(403) => Ok(Incomplete::Forbidden { permission: VIEW_PERMISSION.to_string() }),
        Some(status) if status >= 500 => Ok(Incomplete::ServerError { status }),
        _ => Err(e),
    }
}

/// Merges the published and checked-in consumer lists into one [`Consumer`] per flow, sorted by
/// name then id.
#[must_use]
pub fn merge_consumers(published: &[Dependency], checked_in: &[Dependency]) -> Vec<Consumer> {
    let mut by_id: BTreeMap<String, Consumer> = BTreeMap::new();
    for (deps, is_published) in [(published, true), (checked_in, false)] {
        for d in deps {
            let c = by_id.entry(d.id.clone()).or_insert_with(|| Consumer {
                id: d.id.clone(),
                name: d.name.clone().unwrap_or_else(|| d.id.clone()),
                flow_type: d.kind.clone().unwrap_or_else(|| "UNKNOWN".to_string()),
                published_version: None,
                checked_in_version: None,
            });
            let slot = if is_published { &mut c.published_version } else { &mut c.checked_in_version };
            if slot.is_none() {
                slot.clone_from(&d.version);
                if slot.is_none() {
                    // A consumer without a version is still a consumer of that kind.
                    *slot = Some("?".to_string());
                }
            }
        }
    }
    let mut out: Vec<Consumer> = by_id.into_values().collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    out
}

impl Client {
    /// Every page of a dependency-tracking listing.
    async fn dependency_pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut number: u64 = 1;
        loop {
            let mut req = Req::new(Method::GET, path, Idempotency::Safe)
                .query("pageSize", DEPENDENCY_PAGE_SIZE.to_string())
                .query("pageNumber", number.to_string());
            for (k, v) in query {
                req = req.query(k, v.clone());
            }
            let page: Page<T> = self.json(req).await?;
            let got = page.entities.len();
            out.extend(page.entities);
            let pages = page.page_count.unwrap_or(1);
            if number >= pages || got == 0 {
                return Ok(out);
            }
            number += 1;
        }
    }

    /// `GET …/dependencytracking/build`.
    pub async fn dependency_build(&self) -> Result<DependencyStatus> {
        self.json(Req::new(Method::GET, format!("{DEPENDENCY_BASE}/build"), Idempotency::Safe)).await
    }

    /// `POST …/dependencytracking/build`: asks Genesys to rebuild dependency tracking (asynchronous;
    /// needs `architect:dependencyTracking:rebuild`). Repeating it only restarts the rebuild.
    pub async fn rebuild_dependencies(&self) -> Result<()> {
        self.send(Req::new(Method::POST, format!("{DEPENDENCY_BASE}/build"), Idempotency::Safe)).await?;
        Ok(())
    }

    /// Whether dependency tracking can be trusted now: empty when the build is `OPERATIONAL` without
    /// failed objects; otherwise every reason (a 403 or 5xx on the build is a reason too).
    pub async fn dependency_health(&self) -> Result<Vec<Incomplete>> {
        match self.dependency_build().await {
            Ok(status) => Ok(status.incomplete()),
            Err(e) => Ok(vec![as_incomplete(e)?]),
        }
    }

    /// The consuming flow versions of an action (`DATAACTION`, or `SECUREACTION` when `secure`) with
    /// `flowFilter` (`published` or `checkedIn`), all pages.
    pub async fn consuming_resources(
        &self,
        action_id: &str,
        secure: bool,
        version: Option<i64>,
        flow_filter: &str,
    ) -> Result<Vec<Dependency>> {
        let mut q: Vec<(&'static str, String)> = vec![
            ("id", action_id.to_string()),
            ("objectType", if secure { "SECUREACTION" } else { "DATAACTION" }.to_string()),
            ("flowFilter", flow_filter.to_string()),
        ];
        if let Some(v) = version {
            q.push(("version", v.to_string()));
        }
        self.dependency_pages(&format!("{DEPENDENCY_BASE}/consumingresources"), &q).await
    }

    /// The flows consuming an action (published and checked-in versions), without the build check:
    /// a 403 or 5xx makes the impact incomplete, never empty-and-complete.
    pub async fn action_consumers(
        &self,
        action_id: &str,
        secure: bool,
        version: Option<i64>,
    ) -> Result<Impact> {
        let published = match self.consuming_resources(action_id, secure, version, "published").await {
            Ok(p) => p,
            Err(e) => return Ok(Impact { consumers: Vec::new(), incomplete: vec![as_incomplete(e)?] }),
        };
        match self.consuming_resources(action_id, secure, version, "checkedIn").await {
            Ok(checked_in) => {
                Ok(Impact { consumers: merge_consumers(&published, &checked_in), incomplete: Vec::new() })
            }
            Err(e) => Ok(Impact {
                consumers: merge_consumers(&published, &[]),
                incomplete: vec![as_incomplete(e)?],
            }),
        }
    }

    /// [`Client::action_consumers`] plus the build check ([`Client::dependency_health`]): three calls.
    pub async fn action_impact(&self, action_id: &str, secure: bool, version: Option<i64>) -> Result<Impact> {
        let mut incomplete = self.dependency_health().await?;
        let impact = self.action_consumers(action_id, secure, version).await?;
        incomplete.extend(impact.incomplete);
        Ok(Impact { consumers: impact.consumers, incomplete })
    }

    /// `GET …/deletedresourceconsumers?consumedResources=true`, all pages: flow versions that still
    /// consume deleted resources, with those resources.
    pub async fn deleted_resource_consumers(&self) -> Result<Vec<DeletedResourceConsumer>> {
        self.dependency_pages(
            &format!("{DEPENDENCY_BASE}/deletedresourceconsumers"),
            &[("consumedResources", "true".to_string())],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(id: &str, name: &str, version: &str) -> Dependency {
        Dependency {
            id: id.into(),
            name: Some(name.into()),
            version: Some(version.into()),
            kind: Some("INBOUNDCALLFLOW".into()),
            deleted: Some(false),
        }
    }

    #[test]
    fn merges_versions_per_flow_sorted_by_name() {
        let published = [dep("b", "Zeta", "3.0"), dep("a", "Alpha", "1.0")];
        let checked_in = [dep("b", "Zeta", "4.0"), dep("c", "Mid", "1.0")];
        let got = merge_consumers(&published, &checked_in);
        let v: Vec<(&str, Option<&str>, Option<&str>)> = got
            .iter()
            .map(|c| (c.name.as_str(), c.published_version.as_deref(), c.checked_in_version.as_deref()))
            .collect();
        assert_eq!(
            v,
            [("Alpha", Some("1.0"), None), ("Mid", None, Some("1.0")), ("Zeta", Some("3.0"), Some("4.0"))]
        );
    }

    #[test]
    fn build_status_reasons() {
        let ok = DependencyStatus {
            status: "OPERATIONAL".into(),
            date_started: None,
            date_completed: None,
            failed_objects: vec![],
        };
        assert!(ok.incomplete().is_empty());
        let bad = DependencyStatus {
            status: "BUILDINPROGRESS".into(),
            failed_objects: vec![FailedObject {
                id: "f".into(),
                name: None,
                version: None,
                error_code: None,
            }],
            ..ok
        };
        assert_eq!(
            bad.incomplete(),
            [
                Incomplete::NotOperational { status: "BUILDINPROGRESS".into() },
                Incomplete::FailedObjects { ids: vec!["f".into()] }
            ]
        );
    }
}
