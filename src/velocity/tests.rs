//! Unit tests of the engine's features (rendering end to end).
//! Owns: tests only. Must not touch: production code.

use super::*;

fn ctx() -> Context {
    let mut c = Context::new();
    c.insert(
        "input",
        Value::from(&serde_json::json!({"userId": "u-42", "n": 7, "price": 10.5, "list": ["a", "b", "c"], "nul": null})),
    );
    c.bind_tools(ToolSet::Genesys);
    c
}

fn render(t: &str) -> Result<String, Error> {
    Template::parse(t, "template")?.render(&ctx(), &RenderOptions::default())
}

fn strict(t: &str) -> Result<String, Error> {
    Template::parse(t, "successTemplate")?.render(&ctx(), &RenderOptions::strict())
}

#[test]
fn references_and_null_rendering() {
    assert_eq!(render("${input.userId}").unwrap(), "u-42");
    assert_eq!(
        render("$input.missing|$!input.missing|${input.nul}|$!{input.nul}").unwrap(),
        "$input.missing||${input.nul}|"
    );
}

#[test]
fn strict_mode_message() {
    let e = strict("{\"PresenceArray\" : $Presences}").unwrap_err();
    assert_eq!(e.to_string(), "Variable $Presences has not been set at successTemplate[line 1, column 20]");
    assert_eq!(e.kind, ErrorKind::MethodInvocation);
}

#[test]
fn template_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<Context>();
    assert_send_sync::<Value>();
}

#[test]
fn escapes() {
    assert_eq!(
        render("\\$input.userId|\\$input.nope|\\\\$input.userId").unwrap(),
        "$input.userId|\\$input.nope|\\u-42"
    );
    assert_eq!(render("\\#if(true)x\\#end").unwrap(), "#if(true)x#end");
    assert_eq!(render("#[[ $raw #if ]]#!").unwrap(), " $raw #if !");
    assert_eq!(render("a## comment\nb#* c *#c").unwrap(), "abc");
}

#[test]
fn if_elseif_else_and_truthiness() {
    assert_eq!(render("#if($input.n == 7)a#elseif(true)b#else c#end").unwrap(), "a");
    assert_eq!(render("#if($input.n lt 7)a#elseif($input.n eq 7)b#{else}c#end").unwrap(), "b");
    assert_eq!(render("#if($input.nul)a#{else}b#end").unwrap(), "b");
    // Velocity 1.7: string literals and numbers evaluate to false in #if, references to "" are true
    assert_eq!(render("#if(\"x\")a#{else}b#end|#if(1)a#{else}b#end").unwrap(), "b|b");
    assert_eq!(render("#set($e = \"\")#if($e)a#{else}b#end").unwrap(), "a");
    assert_eq!(render("#if(!$input.nope && not false)y#end").unwrap(), "y");
}

#[test]
fn set_null_rule() {
    assert_eq!(render("#set($y = \"v\")#set($y = $input.missing)$y").unwrap(), "v");
    assert_eq!(render("#set($m = {})#set($m.a = 1)$m").unwrap(), "{a=1}");
}

#[test]
fn foreach_variables_and_break() {
    assert_eq!(
        render("#foreach($x in $input.list)$foreach.count:$foreach.index:$velocityCount:$foreach.hasNext:$foreach.first:$foreach.last;#end").unwrap(),
        "1:0:1:true:true:false;2:1:2:true:false:false;3:2:3:false:false:true;"
    );
    assert_eq!(render("#foreach($i in [1..5])#if($i == 3)#break#end$i#end").unwrap(), "12");
    assert_eq!(render("#foreach($i in [3..1])$i#end").unwrap(), "321");
    assert_eq!(render("a#stop b").unwrap(), "a");
}

#[test]
fn directive_whitespace_gobbling_like_1_7() {
    assert_eq!(render("a #set($x = 1) b").unwrap(), "a  b");
    assert_eq!(render("$input.n #set($x = 1)$x").unwrap(), "71");
    assert_eq!(render("#if(true)\nA\n#end\nB").unwrap(), "A\nB");
    assert_eq!(render("  #if(true)  \n  A\n  #end  \n B").unwrap(), "    A\n   B");
}

#[test]
fn literals_and_arithmetic() {
    assert_eq!(render("#set($a = \"n=$input.n\")#set($b = 'n=$input.n')$a|$b").unwrap(), "n=7|n=$input.n");
    assert_eq!(render("#set($a = 7 / 2)$a|#set($b = -7 % 3)$b|#set($c = 7 / 2.0)$c").unwrap(), "3|-1|3.5");
    assert_eq!(render("#set($a = 2147483647 + 1)$a|#set($b = 1 / 0)$b").unwrap(), "2147483648|$b");
    assert_eq!(
        render("#set($d = 1e21 * 1)$d|#set($e = 1.5e-7 * 1)$e|#set($f = 20 * 1.05)$f").unwrap(),
        "1.0E21|1.5E-7|21.0"
    );
    assert_eq!(
        render("#set($l = [1, \"a\", true])$l|#set($m = {\"k\": [1..2]})$m").unwrap(),
        "[1, a, true]|{k=[1, 2]}"
    );
}

#[test]
fn java_string_methods() {
    assert_eq!(
        render("$input.userId.toUpperCase() $input.userId.length() $input.userId.substring(2) $input.userId.replace(\"-\", \"_\")").unwrap(),
        "U-42 4 42 u_42"
    );
    assert_eq!(
        render("$input.userId.replaceAll(\"\\d\", \"#\") $input.userId.matches(\"u-\\d+\")").unwrap(),
        "u-## true"
    );
    assert_eq!(
        render("$input.userId.split(\"-\")[1] $input.list.size() $input.list.get(1)").unwrap(),
        "42 3 b"
    );
    let e = render("$input.userId.substring(10)").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MethodInvocation);
}

#[test]
fn unknown_method_lenient_literal_strict_error() {
    assert_eq!(render("$input.userId.foo() $esc.nope(1)").unwrap(), "$input.userId.foo() $esc.nope(1)");
    let e = strict("$input.userId.foo()").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MethodInvocation);
    assert!(e.message.contains("does not contain method foo()"), "{}", e.message);
}

#[test]
fn strict_mode_rules() {
    assert_eq!(strict("#if($nope)a#{else}b#end").unwrap(), "b");
    assert_eq!(strict("$!input.nul|").unwrap(), "|");
    assert_eq!(strict("$!{input.missing}|").unwrap(), "|");
    assert_eq!(strict("$!nope").unwrap_err().kind, ErrorKind::MethodInvocation);
    let e = strict("$input.nul.foo").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Velocity);
    assert!(e.message.contains("on a null value"));
    assert_eq!(strict("$input.missing").unwrap_err().kind, ErrorKind::Velocity);
}

#[test]
fn parse_errors_have_positions() {
    let e = Template::parse("line1\n  #if(", "requestTemplate").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_eq!((e.line, e.column), (2, 6));
    assert!(e.to_string().contains("requestTemplate[line 2, column 6]"));
    let e = Template::parse("$true", "t").unwrap_err();
    assert_eq!((e.line, e.column), (1, 1));
}

#[test]
fn limits() {
    let t = Template::parse("#foreach($i in [1..1000000])x#end", "t").unwrap();
    let o = RenderOptions { fuel: 1000, ..RenderOptions::default() };
    assert_eq!(t.render(&ctx(), &o).unwrap_err().kind, ErrorKind::FuelExhausted);
    let o = RenderOptions { max_output_bytes: 10, ..RenderOptions::default() };
    let t = Template::parse("#foreach($i in [1..100])x#end", "t").unwrap();
    assert_eq!(t.render(&ctx(), &o).unwrap_err().kind, ErrorKind::OutputLimit);
}

#[test]
fn references_for_linters() {
    let t = Template::parse(
        "${input.a}/$!input.b.trim() \"$esc.url($input.c)\"\n#if($flag)#set($x = \"$input.d\")#end",
        "t",
    )
    .unwrap();
    let refs = t.references();
    let paths: Vec<&str> = refs.iter().map(|r| r.full_path.as_str()).collect();
    assert_eq!(paths, vec!["input.a", "input.b.trim()", "esc.url()", "input.c", "flag", "x", "input.d"]);
    assert!(refs[0].formal && !refs[0].quiet);
    assert!(refs[1].quiet);
    assert!(refs[4].in_directive);
    let d = refs.iter().find(|r| r.full_path == "input.d").unwrap();
    assert!(d.in_string_literal && d.in_directive);
    assert_eq!((d.line, d.column), (2, 22));
}

#[test]
fn genesys_tools_in_templates() {
    assert_eq!(render("\"$esc.jsonString($input.userId)\"").unwrap(), "\"u-42\"");
    assert_eq!(render("$encoding.base64(\"user:pass\")").unwrap(), "dXNlcjpwYXNz");
    assert_eq!(render("/x?a=1$urlTool.optionalQueryParam(\"q\", $input.nul)$urlTool.optionalQueryParam(\"u\", $input.userId)").unwrap(), "/x?a=1&u=u-42");
    let mut c = ctx();
    c.insert("ids", "[\"p1\",\"p2\"]");
    c.insert("empty", "[]");
    let t = Template::parse(
        "{\"id\": ${successTemplateUtils.firstFromArray(\"${ids}\")}, \"e\": ${successTemplateUtils.firstFromArray(\"${empty}\", \"$esc.quote$esc.quote\")}}",
        "successTemplate",
    )
    .unwrap();
    assert_eq!(t.render(&c, &RenderOptions::strict()).unwrap(), "{\"id\": \"p1\", \"e\": \"\"}");
}

#[test]
fn stock_toolset_has_no_genesys_methods() {
    let mut c = ctx();
    c.bind_tools(ToolSet::Stock);
    let t = Template::parse("$esc.jsonString('a\"b')|$esc.javascript('a\"b')", "t").unwrap();
    assert_eq!(t.render(&c, &RenderOptions::default()).unwrap(), "$esc.jsonString('a\"b')|a\\\"b");
}

#[test]
fn context_is_not_mutated_by_render() {
    let c = ctx();
    let t = Template::parse("#set($input.list[0] = \"z\")$input.list.add(\"q\")$input.list", "t").unwrap();
    assert_eq!(t.render(&c, &RenderOptions::default()).unwrap(), "true[z, b, c, q]");
    assert_eq!(t.render(&c, &RenderOptions::default()).unwrap(), "true[z, b, c, q]");
}

#[test]
fn macros_define_evaluate() {
    assert_eq!(render("#macro(hi $who)Hi $who!#end#hi(\"x\") #hi($input.userId)").unwrap(), "Hi x! Hi u-42!");
    assert_eq!(render("#define($b)[$input.n]#end$b$b").unwrap(), "[7][7]");
    assert_eq!(render("#evaluate('#set($q = 5)$q')$q").unwrap(), "55");
}

#[test]
fn bad_integer_literal_is_an_init_error_after_parsing() {
    // 1.7 lexes `##1` inside call arguments as an INTEGER_LITERAL; `new BigInteger("##1")`
    // fails in init(), i.e. only when the whole template parsed.
    let e = render("$math.add(##1\n)").unwrap_err();
    assert_eq!(e.kind, ErrorKind::JavaRuntime("java.lang.NumberFormatException"));
    assert_eq!(e.to_string(), "For input string: \"##1\"");
    // A later parse error wins over the literal.
    let e = render("$math.add(##1\\..$</:in1&&.#end$esc.url(.>").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse);
    // Valid but beyond 128 bits: still this engine's documented limit (D3).
    let e = render("#set($x = 999999999999999999999999999999999999999999)").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

// ------------------------------------------------- untrusted input (issue 12)

/// Class 1: a long operator chain is one nesting level per operator — a
/// located parse error instead of a stack overflow in the evaluator, the
/// tree's drop or the parser — and parsing stays linear (each node's literal
/// is a prefix of the chain's shared text, not a copy).
#[test]
fn long_operator_chains_are_a_located_nesting_error() {
    for op in ["+", " - ", "*", "/", "%", " && ", " || ", " == ", " < "] {
        let src = format!("#if(false)#set($x = {})#end", vec!["1"; 20_000].join(op));
        let e = Template::parse(&src, "template").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Parse, "{op}");
        assert!(e.message.starts_with("Template nesting too deep (limit 100)"), "{op}: {e}");
        assert_eq!((e.line, e.column > 0), (1, true), "{op}: {e}");
    }
    // below the limit, chains evaluate as before, literals included
    let src = format!("#set($x = {})$x", vec!["1"; 90].join("+"));
    assert_eq!(render(&src).unwrap(), "90");
    assert_eq!(render("#set($s = $nope + 'a' + $nope)$s").unwrap(), "$nopea$nope");
    assert_eq!(render("#set($s = 1 + 2 + $nope + 'a')$s").unwrap(), " 1 + 2 + $nope a");
}

/// Class 1: 30,000 statements in a dead branch parse in linear time.
#[test]
fn many_statements_parse_linearly() {
    let body: String = (0..30_000).map(|i| format!("#set($x{i} = $a + {i} + \"s\")")).collect();
    let t = std::time::Instant::now();
    let tpl = Template::parse(&format!("#if(false){body}#end"), "template").unwrap();
    assert_eq!(tpl.render(&ctx(), &RenderOptions::default()).unwrap(), "");
    // generous: the quadratic parser took tens of seconds here
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
}

/// Class 1 (values): a value nested deeper than the limit at run time is a located error,
/// never a stack overflow (dropping, comparing or printing it would recurse per level) —
/// through list and map literals, `add`, `put` and `#set($a.b = …)`. Up to the limit it
/// works as before.
#[test]
fn values_nested_too_deeply_are_a_located_error() {
    for t in [
        "#set($a=[])#foreach($i in [1..200000])#set($a=[$a])#end",
        "#set($m={})#foreach($i in [1..200000])#set($m={'a':$m})#end",
        "#set($a=[])#foreach($i in [1..200000])#set($b=[])#set($x=$b.add($a))#set($a=$b)#end",
        "#set($m={})#foreach($i in [1..200000])#set($n={})#set($x=$n.put('k', $m))#set($m=$n)#end",
        "#set($m={})#foreach($i in [1..200000])#set($n={})#set($n.k = $m)#set($m=$n)#end",
    ] {
        let e = render(t).unwrap_err();
        assert_eq!(e.kind, ErrorKind::MemoryLimit, "{t}: {e}");
        assert!(e.message.starts_with("Value nested too deeply (limit 1000"), "{t}: {e}");
        assert_eq!(e.line, 1, "{t}: {e}");
    }
    let ok = "#set($a=[])#foreach($i in [1..900])#set($a=[$a])#end#set($s=$a.toString())$s.length()";
    assert!(render(ok).unwrap().parse::<usize>().unwrap() > 0);
}

/// Class 2: work inside one method call is charged — a structure that contains itself
/// (`$a.add($a)`, `addAll` doubling) compared, hashed or printed; scanning a large string
/// in a loop; building large strings in a loop hits the memory budget. Each ends in a
/// `gcsync.velocity` error, fast.
#[test]
fn work_and_memory_inside_method_calls_are_metered() {
    let o = RenderOptions { fuel: 200_000, ..RenderOptions::default() };
    let run = |t: &str| Template::parse(t, "template").unwrap().render(&ctx(), &o).unwrap_err();
    let started = std::time::Instant::now();
    for t in [
        "#set($a=[1])#foreach($i in [1..60])#set($x=$a.add($a))#end#if($a == $a)eq#end",
        "#set($a=[1])#foreach($i in [1..60])#set($x=$a.add($a))#end$a.hashCode()",
        "#set($a=[1])#foreach($i in [1..60])#set($x=$a.addAll($a))#end",
        "#set($s='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')#foreach($i in [1..14])#set($s=\"$s$s\")#end#foreach($i in [1..100000])#set($x=$s.indexOf('y'))#end",
    ] {
        assert_eq!(run(t).kind, ErrorKind::FuelExhausted, "{t}");
    }
    // Printing a self-sharing structure stops at the output limit instead of building GBs.
    let e = render("#set($a=[1])#foreach($i in [1..40])#set($x=$a.add($a))#end$a").unwrap_err();
    assert!(matches!(e.kind, ErrorKind::OutputLimit | ErrorKind::FuelExhausted), "{e}");
    let e = render("#set($s='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')#foreach($i in [1..16])#set($s=\"$s$s\")#end#set($l=[])#foreach($i in [1..100000])#set($x=$l.add(\"$s\"))#end").unwrap_err();
    assert_eq!(e.kind, ErrorKind::MemoryLimit, "{e}");
    assert!(e.message.contains("memory budget (256 MiB"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "bounded: {:?}", started.elapsed());
}
