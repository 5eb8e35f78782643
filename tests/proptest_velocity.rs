//! Property tests: arbitrary and near-valid templates never panic, never hang
//! (fuel/output limits) and render deterministically, in lenient and strict mode.

use gcsync::velocity::{Context, RenderOptions, Template, ToolSet, UndefinedBehavior, Value};
use proptest::prelude::*;

fn ctx() -> Context {
    let mut c = Context::new();
    c.insert(
        "input",
        Value::from(&serde_json::json!({"s": "Hello", "n": 7, "d": 1.5, "l": [1, "a", null], "m": {"k": "v"}, "nul": null})),
    );
    c.insert("top", Value::Null);
    c.bind_tools(ToolSet::Genesys);
    c
}

fn opts(strict: bool) -> RenderOptions {
    RenderOptions {
        undefined: if strict { UndefinedBehavior::Strict } else { UndefinedBehavior::Lenient },
        fuel: 20_000,
        max_output_bytes: 64 * 1024,
    }
}

fn check(src: &str, strict: bool) {
    let c = ctx();
    if let Ok(t) = Template::parse(src, "prop") {
        let a = t.render(&c, &opts(strict));
        let b = t.render(&c, &opts(strict));
        assert_eq!(a, b, "non-deterministic render of {src:?}");
        let _ = t.references();
    }
}

const FRAGMENTS: &[&str] = &[
    "$input.s",
    "${input.n}",
    "$!input.nul",
    "$!{top}",
    "\\$input.s",
    "\\\\",
    "#",
    "$",
    "#if(",
    "#if($input.n > 3)",
    "#elseif(true)",
    "#else",
    "#end",
    "#{else}",
    "#{end}",
    "#set($x = ",
    "$x",
    "1",
    " + ",
    " * ",
    " / 0",
    ")",
    "(",
    "\"str $input.s\"",
    "'lit'",
    "[1..3]",
    "[1..100000]",
    "{\"a\": 1}",
    "#foreach($i in ",
    "$i",
    "#break",
    "#stop",
    "$input.s.substring(",
    "$input.l.get(",
    "$input.m.put(\"z\", $input.l)",
    "$input.l.add($input.m)",
    "$esc.url($input.s)",
    "$math.add(1, 2)",
    "#macro(m $a)$a#m($a)#end",
    "#m(1)",
    "#define($d)$d$d#end",
    "$d",
    "#evaluate('$input.s')",
    "## c\n",
    "#* c *#",
    "#[[ raw ]]#",
    "\n",
    " ",
    "\t",
    "&&",
    "||",
    "!",
    "==",
    "$foreach.count",
    "$velocityCount",
    "#literal()",
    "$input.s.replaceAll(\"l\", \"L\")",
    "$input.s.split(\"\")",
    "$input.s.repeat(1000)",
    "#set($s = \"$s$s\")",
];

fn near_valid() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24).prop_map(|v| v.concat())
}

fn vtl_chars() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            '$', '#', '{', '}', '(', ')', '[', ']', '!', '\\', '"', '\'', '.', ',', ':', '*', '=', '<', '>',
            '&', '|', ' ', '\n', '\r', '\t', 'a', 'i', 'f', 'e', 'n', 'd', 's', 't', '1', '0', '-', '+', '/',
            '%', 'é', '😀',
        ]),
        0..64,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode_never_panics(s in any::<String>()) {
        check(&s, false);
        check(&s, true);
    }

    #[test]
    fn vtl_character_soup_never_panics(s in vtl_chars()) {
        check(&s, false);
        check(&s, true);
    }

    #[test]
    fn near_valid_templates_terminate(s in near_valid()) {
        check(&s, false);
        check(&s, true);
    }
}

#[test]
fn runaway_loops_hit_fuel() {
    let t = Template::parse("#foreach($i in [1..100000])#foreach($j in [1..100000])x#end#end", "t").unwrap();
    let e = t.render(&ctx(), &opts(false)).unwrap_err();
    assert_eq!(e.kind, gcsync::velocity::ErrorKind::FuelExhausted);
}

#[test]
fn recursive_macro_is_bounded() {
    let t = Template::parse("#macro(m $a)$a#m($a)#end#m(1)", "t").unwrap();
    assert!(t.render(&ctx(), &opts(false)).is_err());
}

#[test]
fn output_limit_enforced() {
    let t = Template::parse(
        "#set($s = \"xxxxxxxxxxxxxxxx\")#foreach($i in [1..20])#set($s = \"$s$s\")#end$s",
        "t",
    )
    .unwrap();
    let o = RenderOptions { fuel: u64::MAX, ..opts(false) };
    let e = t.render(&ctx(), &o).unwrap_err();
    assert_eq!(e.kind, gcsync::velocity::ErrorKind::OutputLimit);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = "#if(true)".repeat(5000);
    assert!(Template::parse(&src, "t").is_err());
    let src = format!("$a{}", ".b(".repeat(3000));
    let _ = Template::parse(&src, "t");
    let src = "(".repeat(5000);
    check(&format!("#set($x = {src}1)"), false);
}

#[test]
fn exponential_string_growth_is_bounded() {
    for src in [
        "#set($s = \"ab\")#foreach($i in [1..60])#set($s = \"$s$s\")#end",
        "#set($s = \"ab\")#foreach($i in [1..60])#set($s = $s.concat($s))#end",
        "#set($s = \"ab\")#foreach($i in [1..60])#set($s = $s + $s)#end",
    ] {
        let t = Template::parse(src, "t").unwrap();
        let o = RenderOptions { fuel: u64::MAX, ..opts(false) };
        assert!(t.render(&ctx(), &o).is_err(), "{src}");
    }
}
