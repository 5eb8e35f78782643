//! Property tests of the runtime: arbitrary inputs and arbitrary upstream answers never make
//! the pipeline panic, and every result is a well-formed trace (steps in order, only the
//! last may fail, `success` ⇔ no error and a final result, errors carry an errorCode).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::print_stdout)]

use gcsync::exec::{
    CompiledAction, Credentials, ExecEnv, HttpResponse, Prepared, Report, RunOptions, StubTransport,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

fn fetch_user_profile() -> CompiledAction {
    let (set, _) = gcsync::manifest::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests")]);
    CompiledAction::new(&gcsync::manifest::compile::compile(set.action("FetchUserProfile").unwrap()))
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[a-zA-Z0-9 \"\\\\/?#&%{}$.\u{e9}]{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("name".to_string()),
                        Just("email".to_string()),
                        Just("company".to_string()),
                        "[a-z]{1,5}"
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..64),
        "[ {}\\[\\]\":,a-z0-9]{0,40}".prop_map(String::into_bytes),
    ]
}

fn run(
    a: &CompiledAction,
    input: &Value,
    status: u16,
    body: Vec<u8>,
    delay_ms: u64,
    flatten: bool,
) -> Report {
    let stub = StubTransport {
        response: HttpResponse { status, headers: vec![], body, ..HttpResponse::default() },
        delay: Duration::from_millis(delay_ms),
    };
    match gcsync::exec::prepare(a, input, &Credentials::none(), &ExecEnv::default(), RunOptions { flatten }) {
        Prepared::Done(r) => r,
        Prepared::Ready(p) => {
            let answer = stub.respond(&p.request);
            p.finish(answer)
        }
    }
}

fn well_formed(r: &Report) {
    let ops = &r.result.operations;
    assert!(!ops.is_empty());
    for (i, op) in ops.iter().enumerate() {
        assert_eq!(op.step as usize, i + 1, "steps are consecutive from 1");
        assert_eq!(op.name, gcsync::exec::STEP_NAMES[i]);
        let last = i + 1 == ops.len();
        assert!(op.success || last, "only the last step may fail");
        assert_eq!(op.error.is_some(), !op.success);
    }
    assert_eq!(r.result.success, ops.last().unwrap().success);
    assert_eq!(r.result.success, r.result.error.is_none());
    assert_eq!(r.result.success, r.result.final_result.is_some());
    if let Some(e) = &r.result.error {
        assert!(e.error_code().is_some() && e.status >= 400 && !e.message.is_empty(), "{e:?}");
    }
    // The JSON shape round-trips.
    let v = serde_json::to_value(&r.result).unwrap();
    let back: gcsync::exec::TestExecutionResult = serde_json::from_value(v).unwrap();
    assert_eq!(back, r.result);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_inputs_and_answers_give_a_well_formed_trace(
        input in prop_oneof![json_value(), proptest::collection::vec(("[a-zA-Z]{1,8}", json_value()), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect()))],
        status in prop_oneof![Just(200u16), Just(201), Just(204), Just(404), Just(500), 100u16..600],
        body in body_bytes(),
        delay_ms in prop_oneof![Just(0u64), 0u64..20_000],
        flatten in any::<bool>(),
    ) {
        let a = fetch_user_profile();
        well_formed(&run(&a, &input, status, body, delay_ms, flatten));
    }

    #[test]
    fn valid_inputs_reach_the_upstream_and_answers_are_classified(
        user_id in "[ -~]{0,12}",
        status in 100u16..600,
        body in body_bytes(),
    ) {
        let a = fetch_user_profile();
        let input = json!({"userId": user_id, "apiEndpoint": "https://profiles.gcsync.test/users"});
        let r = run(&a, &input, status, body, 0, false);
        well_formed(&r);
        prop_assert!(r.result.operations.len() >= 8, "inputs are valid, so step 8 runs");
        if status >= 400 {
            prop_assert_eq!(r.result.error.as_ref().map(|e| e.status), Some(status));
        } else if !(200..300).contains(&status) {
            prop_assert_eq!(r.result.error.as_ref().map(|e| e.status), Some(502));
        }
    }
}
