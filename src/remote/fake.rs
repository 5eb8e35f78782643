//! A scripted fake of the org for unit tests of apply and refresh (test builds only).
//!
//! Owns: [`Scripted`], which implements [`Read`] and [`Remote`] by answering from a script
//! of expected calls, in order: every call is checked against the next expected one (method
//! and the argument that identifies it), a call the script does not expect fails the test,
//! and a script left unfinished fails it when the fake is dropped. Like kube-rs's mock
//! tests, the exact call sequence is the assertion.
//! Must not: be used as proof that gcsync works against an org (the emulator tests are).

use super::{Integration, OrgInfo, Read, Remote, Result};
use crate::model::Action;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::VecDeque;

/// One expected call: the method and the argument that identifies it (an action's name for
/// a create, an id for the calls by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `org()`.
    Org,
    /// `list_actions()`.
    ListActions,
    /// `find_actions_by_name(name)`.
    FindActionsByName(String),
    /// `get_action(id)`.
    GetAction(String),
    /// `get_action_full(id)`.
    GetActionFull(String),
    /// `list_integrations()`.
    ListIntegrations,
    /// `get_integration_config(id)`.
    GetIntegrationConfig(String),
    /// `list_credentials()`.
    ListCredentials,
    /// `create_action(body)`: the body's `name`.
    CreateAction(String),
    /// `patch_action(id, body)`: the id and the body's `version`.
    PatchAction(String, i64),
    /// `delete_action(id)`.
    DeleteAction(String),
    /// Any integration or credential mutation, and the function-action calls, by method
    /// name and the id (or, for `create_draft` and `find_drafts_by_name`, the name).
    Other(&'static str, String),
}

/// What the fake answers.
#[derive(Debug)]
pub enum Reply {
    /// An org.
    Org(OrgInfo),
    /// One action.
    Action(Box<Action>),
    /// Several actions.
    Actions(Vec<Action>),
    /// Integrations.
    Integrations(Vec<Integration>),
    /// A JSON value.
    Value(Value),
    /// Several JSON values.
    Values(Vec<Value>),
    /// A delete's answer (`false`: already gone).
    Deleted(bool),
    /// An error.
    Err(super::Error),
}

/// The scripted fake.
#[derive(Debug, Default)]
pub struct Scripted {
    script: RefCell<VecDeque<(Call, Reply)>>,
    /// Every call made, in order.
    pub calls: RefCell<Vec<Call>>,
}

impl Scripted {
    /// A fake answering `script` in order.
    #[must_use]
    pub fn new(script: Vec<(Call, Reply)>) -> Self {
        Self { script: RefCell::new(script.into()), calls: RefCell::new(Vec::new()) }
    }

    fn next(&self, call: Call) -> Reply {
        self.calls.borrow_mut().push(call.clone());
        let Some((expected, reply)) = self.script.borrow_mut().pop_front() else {
            panic!(
                "unexpected call {call:?}: the script is finished (calls so far: {:?})",
                self.calls.borrow()
            );
        };
        assert_eq!(call, expected, "call #{} differs from the script", self.calls.borrow().len());
        reply
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let left: Vec<Call> = self.script.borrow().iter().map(|(c, _)| c.clone()).collect();
            assert!(left.is_empty(), "the script expected more calls: {left:?}");
        }
    }
}

macro_rules! answer {
    ($reply:expr, $variant:ident) => {
        match $reply {
            Reply::$variant(v) => Ok(v),
            Reply::Err(e) => Err(e),
            other => panic!("the script answers {other:?} where {} was expected", stringify!($variant)),
        }
    };
}

fn name_of(body: &Value) -> String {
    body.get("name").and_then(Value::as_str).unwrap_or("(no name)").to_string()
}

impl Read for Scripted {
    fn api_host(&self) -> String {
        "api.fake.test".to_string()
    }
    async fn org(&self) -> Result<OrgInfo> {
        answer!(self.next(Call::Org), Org)
    }
    async fn list_actions(&self) -> Result<Vec<Action>> {
        answer!(self.next(Call::ListActions), Actions)
    }
    async fn find_actions_by_name(&self, name: &str) -> Result<Vec<Action>> {
        answer!(self.next(Call::FindActionsByName(name.to_string())), Actions)
    }
    async fn get_action(&self, id: &str) -> Result<Action> {
        answer!(self.next(Call::GetAction(id.to_string())), Action).map(|a| *a)
    }
    async fn get_action_full(&self, id: &str) -> Result<Action> {
        answer!(self.next(Call::GetActionFull(id.to_string())), Action).map(|a| *a)
    }
    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        answer!(self.next(Call::ListIntegrations), Integrations)
    }
    async fn get_integration_config(&self, id: &str) -> Result<Value> {
        answer!(self.next(Call::GetIntegrationConfig(id.to_string())), Value)
    }
    async fn list_credentials(&self) -> Result<Vec<Value>> {
        answer!(self.next(Call::ListCredentials), Values)
    }
    async fn get_function(&self, id: &str) -> Result<Option<Value>> {
        answer!(self.next(Call::Other("get_function", id.to_string())), Value)
            .map(|v| if v.is_null() { None } else { Some(v) })
    }
    async fn find_drafts_by_name(&self, name: &str) -> Result<Vec<Action>> {
        answer!(self.next(Call::Other("find_drafts_by_name", name.to_string())), Actions)
    }
}

impl Remote for Scripted {
    async fn create_action(&self, body: &Value) -> Result<Action> {
        answer!(self.next(Call::CreateAction(name_of(body))), Action).map(|a| *a)
    }
    async fn patch_action(&self, id: &str, body: &Value) -> Result<Action> {
        let version = body.get("version").and_then(Value::as_i64).unwrap_or(-1);
        answer!(self.next(Call::PatchAction(id.to_string(), version)), Action).map(|a| *a)
    }
    async fn delete_action(&self, id: &str) -> Result<bool> {
        answer!(self.next(Call::DeleteAction(id.to_string())), Deleted)
    }
    async fn create_integration(&self, name: &str, _type_id: &str, _notes: &str) -> Result<Integration> {
        answer!(self.next(Call::Other("create_integration", name.to_string())), Integrations)
            .map(|mut v| v.remove(0))
    }
    async fn patch_integration(&self, id: &str, _body: &Value) -> Result<Integration> {
        answer!(self.next(Call::Other("patch_integration", id.to_string())), Integrations)
            .map(|mut v| v.remove(0))
    }
    async fn delete_integration(&self, id: &str) -> Result<bool> {
        answer!(self.next(Call::Other("delete_integration", id.to_string())), Deleted)
    }
    async fn put_integration_config(&self, id: &str, _body: &Value) -> Result<Value> {
        answer!(self.next(Call::Other("put_integration_config", id.to_string())), Value)
    }
    async fn create_credential(&self, body: &Value) -> Result<Value> {
        answer!(self.next(Call::Other("create_credential", name_of(body))), Value)
    }
    async fn update_credential(&self, id: &str, _body: &Value) -> Result<Value> {
        answer!(self.next(Call::Other("update_credential", id.to_string())), Value)
    }
    async fn delete_credential(&self, id: &str) -> Result<bool> {
        answer!(self.next(Call::Other("delete_credential", id.to_string())), Deleted)
    }
    async fn create_draft(&self, body: &Value) -> Result<Action> {
        answer!(self.next(Call::Other("create_draft", name_of(body))), Action).map(|a| *a)
    }
    async fn draft_from_published(&self, id: &str) -> Result<Action> {
        answer!(self.next(Call::Other("draft_from_published", id.to_string())), Action).map(|a| *a)
    }
    async fn get_draft(&self, id: &str) -> Result<Action> {
        answer!(self.next(Call::Other("get_draft", id.to_string())), Action).map(|a| *a)
    }
    async fn patch_draft(&self, id: &str, _body: &Value) -> Result<Action> {
        answer!(self.next(Call::Other("patch_draft", id.to_string())), Action).map(|a| *a)
    }
    async fn delete_draft(&self, id: &str) -> Result<bool> {
        answer!(self.next(Call::Other("delete_draft", id.to_string())), Deleted)
    }
    async fn put_draft_function(&self, id: &str, _function: &Value) -> Result<()> {
        answer!(self.next(Call::Other("put_draft_function", id.to_string())), Value).map(|_| ())
    }
    async fn upload_function_code(
        &self,
        id: &str,
        _file_name: &str,
        _zip: Vec<u8>,
        progress: &dyn Fn(&str),
    ) -> Result<()> {
        let r = answer!(self.next(Call::Other("upload_function_code", id.to_string())), Value);
        progress("Available");
        r.map(|_| ())
    }
    async fn publish_draft(&self, id: &str, _version: i64) -> Result<Action> {
        answer!(self.next(Call::Other("publish_draft", id.to_string())), Action).map(|a| *a)
    }
}
