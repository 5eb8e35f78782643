#!/usr/bin/env python3
"""Generate Velocity conformance cases (oracle-protocol requests, without "engine").

Writes JSON lines {"id": ..., "request": {...}} to stdout (or the path given as
argv[1]). Categories are systematic combinations over every feature of the
Genesys data-action dialect, plus every template of the corpus actions under
/work/shared/corpus/actions (rendered lenient and strict with generated
contexts). Stdlib only; deterministic.
"""
import glob
import json
import os
import re
import sys

CORPUS = os.environ.get("CORPUS_DIR", "/work/shared/corpus/actions")

BASE_INPUT = {
    "s": "Hello World", "e": "", "sp": "  padded  ", "q": 'Ann "Q" O\'Neil', "u": "caf\u00e9 \u00fc\u00df \u20ac",
    "url": "a b&c=d/e?f", "html": "<b>&\"x\"</b>", "n": 7, "neg": -3, "zero": 0, "big": 3000000000,
    "maxint": 2147483647, "d": 10.5, "dn": -2.25, "dz": 0.0, "t": True, "f": False, "nul": None,
    "l": ["a", "b", "c"], "li": [3, 1, 2], "le": [], "ln": [1, None, "x"], "m": {"k": "v", "n": 1},
    "me": {}, "mm": {"inner": {"deep": "yes"}, "arr": [{"id": 1}, {"id": 2}]}, "num_s": "42", "dec_s": "3.75",
    "json": '{"a":1}', "multi": "line1\nline2", "tab": "a\tb", "dollar": "$5 #1",
}

cases = []


def add(cid, template, context=None, strict=False, tools=True, log_tag=None):
    req = {"kind": "velocity", "template": template,
           "context": {"input": BASE_INPUT} if context is None else context, "tools": tools}
    if strict:
        req["properties"] = {"runtime.references.strict": "true"}
    if log_tag:
        req["log_tag"] = log_tag
    cases.append({"id": cid, "request": req})


def both(cid, template, context=None, **kw):
    add(cid + ":lenient", template, context, **kw)
    add(cid + ":strict", template, context, strict=True, **kw)


# 1. reference forms x value types x null/missing -------------------------------
FORMS = ["$R", "${R}", "$!R", "$!{R}", "\\$R", "\\\\$R", "$R.toString()", "${R.class}", "#$R", "$$R", "[$R]", "$R-x", "$R."]
KEYS = ["s", "e", "n", "big", "d", "dz", "t", "f", "nul", "l", "le", "m", "me", "missing", "u", "ln"]
for fi, form in enumerate(FORMS):
    for k in KEYS:
        both(f"ref/{fi}/{k}", form.replace("R", "input." + k))
for fi, form in enumerate(["$R", "${R}", "$!R", "$!{R}", "\\$R"]):
    for k in ["top", "topnull", "absent"]:
        both(f"reftop/{fi}/{k}", form.replace("R", k), {"top": "T", "topnull": None})
for p in ["$input.mm.inner.deep", "$input.mm.inner.nope", "$input.mm.nope.deeper", "$input.mm.arr[1].id",
          "$input.mm.arr[-1].id", "$input.mm.arr[5].id", "$input.l[0]", "$input.l[-1]", "$input.l[3]", "$input.m['k']",
          "$input.m[\"n\"]", "$input.m.k.length()", "${input.mm.inner.deep.toUpperCase()}", "$!input.mm.x.y.z",
          "$input.s[0]", "$input.l.get(1)", "$input.m.get('missing')", "$input.m.k.foo", "$input.s.foo()",
          "$input.nul.foo", "$input.nul.foo()", "$input.missing.foo()", "$input.l.size", "$input.l.empty",
          "$input.m.empty", "$input.s.empty", "$input.e.empty", "$input.s.blank", "$input.s.bytes.size()",
          "$input.m.size()", "$input.li[$input.zero]", "$input.l[$input.n]", "$input.m[$input.nul]"]:
    both("path/" + p, p)

# 2. #if truthiness and operators ----------------------------------------------
TRUTH = ["true", "false", "$input.t", "$input.f", "$input.nul", "$input.missing", "$input.e", "$input.s", "$input.n",
         "$input.zero", "$input.l", "$input.le", "$input.m", "\"\"", "\"x\"", "1", "0", "[]", "{}", "!$input.t",
         "!$input.missing", "$input.t && $input.f", "$input.t || $input.f", "$input.missing || true",
         "$input.n > 1 && $input.s", "not $input.f", "$input.t and $input.t", "$input.f or $input.t", "($input.t)",
         "$input.missing.foo", "$input.n + 1", "!($input.n == 7)"]
for i, c in enumerate(TRUTH):
    both(f"if/truth/{i}", "#if(" + c + ")Y#{else}N#end")

OPERANDS = ["1", "2", "1.0", "2.5", "-1", "$input.n", "$input.d", "$input.big", "\"7\"", "\"abc\"", "'abc'", "$input.s",
            "$input.nul", "$input.missing", "true", "$input.t", "$input.l", "[\"a\", \"b\", \"c\"]", "$input.m",
            "$input.num_s"]
OPS = ["==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge"]
for oi, op in enumerate(OPS):
    for ai, a in enumerate(OPERANDS):
        for bi, b in enumerate(OPERANDS):
            if (ai * 7 + bi * 3 + oi) % 4 != 0:
                continue
            add(f"op/{oi}/{ai}/{bi}", "#if(" + a + " " + op + " " + b + ")T#{else}F#end")
for i, (a, b) in enumerate([("$input.nul", "1"), ("1", "$input.missing"), ("\"a\"", "1"), ("$input.l", "2")]):
    for op in ["<", ">="]:
        both(f"opstrict/{i}/{op}", "#if(" + a + " " + op + " " + b + ")T#{else}F#end")
add("if/elseif/1", "#if($input.n == 1)one#elseif($input.n == 7)seven#else other#end")
add("if/elseif/2", "#if($input.n == 1)one#elseif($input.n == 2)two#{else}other#end")
add("if/elseif/3", "#if(false)a#elseif(false)b#elseif(true)c#end")
add("if/nested", "#if(true)#if(false)x#else y#end#end")
add("if/brace", "#{if}(true)A#{elseif}(false)B#{else}C#{end}")
add("if/spaces", "#if ( true )yes#end")
add("if/newline", "#if(\ntrue\n)yes#end")

# 3. #set ------------------------------------------------------------------------
SETS = ["1", "-5", "2147483647", "9999999999", "1.5", "\"str\"", "'single'", "\"int $input.n\"", "'noint $input.n'",
        "true", "[1, 2]", "{\"a\": 1}", "[1..3]", "$input.s", "$input.nul", "$input.missing", "$input.n + 1",
        "$input.l", "$input.m.k", "\"\"", "$input.s.length()", "!$input.t", "$input.n == 7"]
for i, v in enumerate(SETS):
    both(f"set/{i}", "#set($x = " + v + ")$x")
    add(f"set/keep/{i}", "#set($x = \"old\")#set($x = " + v + ")$x")
both("set/map", "#set($m = {})#set($m.a = 1)#set($m.b = \"two\")$m $m.a")
both("set/list", "#set($l = [1, 2, 3])#set($l[0] = \"z\")$l")
both("set/nested", "#set($m = {\"in\": {}})#set($m.in.x = 5)$m")
both("set/ctx", "#set($input.m.k = \"w\")$input.m.k")
both("set/formal", "#set(${x} = 1)$x|${x}")
both("set/quiet", "#set($!x = 1)$!x")
both("set/undef-prop", "#set($nope.x = 1)$nope")
add("set/self", "#set($a = 1)#set($a = $a + 1)#set($a = $a * 10)$a")
add("set/nospace", "#set($a=1)$a#set( $b = 2 )$b")
add("set/braced", "#{set}($a = 3)$a")

# 4. arithmetic -------------------------------------------------------------------
NUMS = ["7", "2", "-7", "0", "1.5", "-2.5", "0.0", "2147483647", "-2147483648", "9223372036854775807",
        "$input.big", "$input.d", "$input.nul", "\"3\"", "$input.s", "1e3", "3000000000"]
for op in ["+", "-", "*", "/", "%"]:
    for ai, a in enumerate(NUMS):
        for bi, b in enumerate(NUMS):
            if (ai + bi * 5 + len(op)) % 3 != 0 and not (b in ("0", "0.0") or a.startswith("2147483647")):
                continue
            add(f"math/{op}/{ai}/{bi}", "#set($r = " + a + " " + op + " " + b + ")$r")
for i, e in enumerate(["1 + 2 * 3", "(1 + 2) * 3", "10 / 4 * 2", "10 % 4 + 1", "1 - -1", "2 * -3", "7 / 2.0",
                       "1.1 + 2.2", "0.1 * 3", "100.0 / 3", "1e21 * 10", "1.0e-5 + 0", "1 / 3.0", "-0.0 + 0",
                       "9223372036854775807 * 2", "2147483647 * 2", "-9223372036854775807 - 10",
                       "\"a\" + 1 + 2", "1 + 2 + \"a\"", "\"x\" + $input.l", "$input.m + \"y\"", "$input.n + $input.d"]):
    both(f"expr/{i}", "#set($r = " + e + ")$r")

# 5. string methods ---------------------------------------------------------------
SM = ["length()", "toUpperCase()", "toLowerCase()", "trim()", "isEmpty()", "substring(0)", "substring(2)",
      "substring(1, 4)", "substring(4, 1)", "substring(-1)", "substring(0, 99)", "charAt(0)", "charAt(99)",
      "indexOf(\"o\")", "indexOf(\"o\", 5)", "indexOf(\"zz\")", "lastIndexOf(\"o\")", "lastIndexOf(\"o\", 5)",
      "contains(\"World\")", "contains(\"world\")", "startsWith(\"Hell\")", "startsWith(\"W\", 6)",
      "endsWith(\"ld\")", "equals(\"Hello World\")", "equals($input.s)", "equalsIgnoreCase(\"hello world\")",
      "replace(\"o\", \"0\")", "replace(\"l\", \"\")", "replace(\"\", \"-\")", "replaceAll(\"[aeiou]\", \"*\")",
      "replaceAll(\"(\\w+) (\\w+)\", \"$2 $1\")", "replaceAll(\"\\s+\", \"_\")", "replaceFirst(\"l\", \"L\")",
      "replaceAll(\"o\", \"\\$\")", "matches(\"H.*d\")", "matches(\"hello.*\")", "matches(\"[A-Z][a-z]+ [A-Z][a-z]+\")",
      "split(\" \").size()", "split(\"o\").get(1)", "split(\"l\").size()", "split(\"l\", -1).size()",
      "split(\"l\", 2).get(1)", "split(\"\").size()", "concat(\"!\")", "compareTo(\"Hello\")", "compareTo(\"Z\")",
      "hashCode()", "toString()", "strip()", "isBlank()", "repeat(2)", "indexOf(111)", "concat($input.nul)",
      "contains($input.nul)", "substring($input.n)", "substring($input.big)", "substring(1.5)", "foo()",
      "replace($input.s, \"x\")", "toCharArray().size()", "matches(\"(a\")", "split(\",\").get(0)",
      "trim().length()", "toLowerCase().contains(\"world\")", "substring(0, 5).toUpperCase()",
      "replaceAll(\"(?i)WORLD\", \"There\")", "matches(\"\\d+\")", "split(\"\\s\")[1]", "intern()",
      "subSequence(0, 2)", "codePointAt(0)", "equals(5)", "startsWith($input.nul)"]
for i, m in enumerate(SM):
    add(f"str/{i}", "$input.s." + m)
for i, m in enumerate(["trim()", "strip()", "length()", "isBlank()", "replace(\" \", \"\")"]):
    add(f"strsp/{i}", "[$input.sp." + m + "]")
for i, m in enumerate(["length()", "toUpperCase()", "substring(1)", "charAt(3)", "indexOf(\"\u00e9\")", "split(\" \").size()"]):
    add(f"stru/{i}", "$input.u." + m)
for i, m in enumerate(["matches(\"\\d+\")", "replaceAll(\"2\", \"9\")", "length()"]):
    add(f"strnum/{i}", "$input.num_s." + m)
for i, m in enumerate(SM[:25]):
    add(f"strstrict/{i}", "$input.s." + m, strict=True)
add("strstrict/nomethod", "$input.s.foo()", strict=True)
add("strstrict/nullarg", "$input.s.concat($input.nul)", strict=True)

# 6. list / map methods -----------------------------------------------------------
LM = ["size()", "get(0)", "get(5)", "get(-1)", "isEmpty()", "contains(\"b\")", "contains(\"z\")", "indexOf(\"c\")",
      "lastIndexOf(\"a\")", "subList(0, 2)", "subList(2, 1)", "toString()", "hashCode()", "equals([\"a\", \"b\", \"c\"])",
      "add(\"d\")", "remove(\"a\")", "remove(0)", "set(0, \"q\")", "clear()", "containsAll([\"a\"])", "foo()"]
for i, m in enumerate(LM):
    add(f"list/{i}", "$input.l." + m + "|$input.l")
MM = ["size()", "get(\"k\")", "get(\"zz\")", "containsKey(\"k\")", "containsKey(\"zz\")", "containsValue(1)",
      "keySet()", "values()", "entrySet()", "isEmpty()", "put(\"x\", 1)", "put(\"k\", \"w\")", "remove(\"k\")",
      "toString()", "getOrDefault(\"zz\", \"dflt\")", "keySet().size()", "values().contains(1)", "foo()", "clear()"]
for i, m in enumerate(MM):
    add(f"map/{i}", "$input.m." + m + "|$input.m")
add("map/entries", "#foreach($e in $input.m.entrySet())$e.key=$e.value;#end")
add("map/keys", "#foreach($k in $input.m.keySet())$k,#end")
add("map/iter", "#foreach($v in $input.m)$v,#end")
add("list/build", "#set($out = [])#foreach($x in $input.li)#set($ok = $out.add($x))#end$out")
add("list/empty", "#foreach($x in $input.le)X#end|$input.le.size()")
add("list/nulls", "#foreach($x in $input.ln)[$x]#end")
add("list/nulls-quiet", "#foreach($x in $input.ln)[$!x]#end")

# 7. #foreach ---------------------------------------------------------------------
FE = ["#foreach($i in $input.l)$i#end", "#foreach($i in $input.l)$foreach.index:$foreach.count#end",
      "#foreach($i in $input.l)$foreach.hasNext,$foreach.first,$foreach.last;#end",
      "#foreach($i in $input.l)$velocityCount#end", "#foreach($i in $input.l)$velocityHasNext#end",
      "#foreach($i in [1..5])#if($i == 3)#break#end$i#end", "#foreach($i in [1..3])#foreach($j in [1..3])$i$j #end#end",
      "#foreach($i in [1..3])#foreach($j in [1..3])#if($j == 2)#break#end$i$j #end#end",
      "#foreach($i in [1..2])#foreach($j in [1..2])$foreach.parent.count$foreach.count #end#end",
      "#foreach($i in [1..3])#foreach($j in [1..3])#if($j == 2)#break($foreach.parent)#end$i$j #end#end",
      "#foreach($i in $input.missing)x#end", "#foreach($i in $input.s)x#end", "#foreach($i in $input.n)x#end",
      "#foreach($i in [5..2])$i#end", "#foreach($i in [-2..2])$i#end", "#foreach($i in [$input.zero..$input.n])$i#end",
      "#foreach($i in [1..$input.missing])$i#end", "#foreach($i in [\"a\"..2])$i#end",
      "#foreach( $i in [1, 2] )$i#end", "#foreach($i in $input.mm.arr)$i.id#end",
      "#set($i = \"keep\")#foreach($i in [1..2])$i#end$i", "#foreach($i in [1..2])#end$i",
      "#foreach($i in [1..3])$i#if($foreach.hasNext),#end#end", "#foreach($i in $input.l)$foreach#end",
      "#foreach($x in {\"a\": 1, \"b\": 2})$x#end", "$foreach.count", "#foreach($i in [1..2])\n$i\n#end\n",
      "#foreach($i in [1..2]) $i #end", "#{foreach}($i in [1..2])$i#{end}", "#foreach($i foo [1..2])$i#end",
      "#foreach($i in [1..3])$i#stop#end after"]
for i, t in enumerate(FE):
    both(f"foreach/{i}", t)

# 8. whitespace / gobbling --------------------------------------------------------
WS = ["", " ", "  ", "\t", "\n", " \n", "\n  ", "x ", "x\n"]
for i, pre in enumerate(WS):
    for j, post in enumerate(WS):
        if (i + j) % 2:
            continue
        add(f"ws/set/{i}/{j}", "A" + pre + "#set($a = 1)" + post + "B$a")
        add(f"ws/if/{i}/{j}", "A" + pre + "#if(true)" + post + "B" + pre + "#end" + post + "C")
        add(f"ws/else/{i}/{j}", "A" + pre + "#if(false)x" + pre + "#else" + post + "B" + pre + "#end" + post + "C")
        add(f"ws/foreach/{i}/{j}", "A" + pre + "#foreach($i in [1..2])" + post + "$i" + pre + "#end" + post + "C")
add("ws/crlf", "a\r\n#set($x = 1)\r\nb\r\n#if(true)\r\nc\r\n#end\r\nd")
add("ws/cr", "a\r#set($x = 1)\rb")
add("ws/json", "{\n  \"a\": \"$input.s\",\n#if($input.t)\n  \"b\": $input.n,\n#end\n  \"c\": true\n}")
add("ws/ref-set", "$input.n #set($x = 1)$x")
add("ws/trailing", "#if(true)\n  x\n#end   \n")

# 9. escapes / comments / text blocks ----------------------------------------------
ESC = ["\\$input.s", "\\\\$input.s", "\\\\\\$input.s", "\\$input.missing", "\\\\$input.missing", "\\$!input.s",
       "\\$!input.missing", "$\\!input.s", "\\#if(true)x\\#end", "\\\\#if(true)x#end", "\\#set($a = 1)$a",
       "\\#foreach", "\\#stop", "\\#break", "\\#foo", "\\#{if}", "\\\\\\#if(true)x#end", "a\\b", "a\\\\b",
       "\\", "\\\\", "$esc.d", "$esc.h", "${esc.dollar}input", "$esc.b", "$esc.q$esc.s$esc.n", "$esc.e",
       "## comment only", "a ## c\nb", "a#* multi\nline *#b", "a#** doc *#b", "#**#x", "#[[ $x #if( ]]#y",
       "#[[ a ## b ]]#c", "$## c", "x#*", "a$#* c *#b", "#*$x*#", "$x##", "#[[]]#", "##\n##\nx"]
for i, t in enumerate(ESC):
    both(f"esc/{i}", t)

# 10. string literals ---------------------------------------------------------------
SL = ["\"plain\"", "'plain'", "\"$input.s\"", "'$input.s'", "\"${input.n}x\"", "\"$!input.missing\"",
      "\"$input.missing\"", "\"a\\tb\"", "\"\\u0041\\u00e9\"", "'\\u0041'", "\"x\"\"y\"", "'x''y'", "\"$\"",
      "\"#\"", "\"a#b\"", "\"#if(true)y#end\"", "\"#set($z = 1)$z\"", "\"$input.l.get(0)\"", "\"a ## c\"",
      "\"$input.n + 1\"", "\"\"", "''", "\"line\nbreak\"", "\"x $esc.q y\"", "\"[$input.s.length()]\"",
      "\"$input.s\" + \"!\"", "'$'"]
for i, v in enumerate(SL):
    both(f"strlit/{i}", "#set($v = " + v + ")[$v]")

# 11. ranges, list & map literals ---------------------------------------------------
LIT = ["[1..3]", "[3..1]", "[0..0]", "[-1..1]", "[ 1 .. 3 ]", "[1, 2, 3]", "[]", "[\"a\", 'b', 1, 2.5, true, $input.n]",
       "[[1, 2], [3]]", "{\"a\": 1, \"b\": [1, 2]}", "{}", "{'k': 'v'}", "{1: \"one\", true: \"t\"}",
       "{\"k\": $input.s, $input.s: 1}", "[1..3].size()", "[$input.nul]", "{\"a\": $input.nul}", "[1..$input.n]",
       "{\"b\": 1, \"a\": 2}", "[1 .. 2]"]
for i, v in enumerate(LIT):
    add(f"lit/{i}", "#set($v = " + v + ")$v")
add("lit/in-method", "$input.l.addAll([\"x\", \"y\"])$input.l")
add("lit/map-in-method", "$input.m.putAll({\"z\": 26})$input.m")

# 12. EscapeTool / MathTool -----------------------------------------------------------
ESC_M = ["url", "javascript", "java", "html", "xml", "sql", "velocity", "propertyKey", "propertyValue"]
ESC_IN = ["$input.s", "$input.q", "$input.u", "$input.url", "$input.html", "$input.multi", "$input.tab",
          "$input.dollar", "$input.nul", "$input.n", "$input.l", "\" lead\"", "\"a/b\\\\c\""]
for m in ESC_M:
    for i, a in enumerate(ESC_IN):
        add(f"esctool/{m}/{i}", "$esc." + m + "(" + a + ")")
for i, a in enumerate(["\"00e9\"", "\"\\\\u0041\"", "\"zz\"", "\"1F600\"", "$input.n"]):
    add(f"esctool/unicode/{i}", "$esc.unicode(" + a + ")")
for i, a in enumerate(["$esc.jsonString($input.q)", "$esc.jsonEncode($input.s)", "$esc.uriEncode($input.url)",
                       "$esc.urlFormEncode($input.s)", "$esc.url()", "$esc.url(1, 2)", "$esc.key", "$esc.newline"]):
    both(f"esctool/genesys/{i}", a)
MATH = [("add", ["1", "2"]), ("add", ["1.5", "2"]), ("add", ["\"1\"", "\"2\""]), ("add", ["\"x\"", "1"]),
        ("add", ["$input.nul", "1"]), ("add", ["1", "2", "3"]), ("add", ["5"]), ("sub", ["5", "7"]),
        ("sub", ["5.5", "0.5"]), ("mul", ["2.5", "2"]), ("mul", ["$input.d", "2"]), ("mul", ["100000", "100000"]),
        ("div", ["4", "2"]), ("div", ["1", "0"]), ("div", ["1", "3"]), ("div", ["7", "2"]), ("div", ["\"9\"", "3"]),
        ("max", ["1", "2.5"]), ("max", ["-5", "-3"]), ("min", ["3", "2"]), ("min", ["1.5", "1.5"]), ("pow", ["2", "10"]),
        ("pow", ["2.0", "2"]), ("pow", ["2", "0.5"]), ("abs", ["-3"]), ("abs", ["-2.5"]), ("abs", ["-3.0"]),
        ("ceil", ["2.1"]), ("floor", ["2.9"]), ("floor", ["-2.1"]), ("round", ["2.5"]), ("round", ["3.5"]),
        ("round", ["-2.5"]), ("roundTo", ["2", "3.14159"]), ("roundTo", ["0", "2.5"]), ("roundTo", ["3", "\"2.0005\""]),
        ("toInteger", ["\"3.7\""]), ("toInteger", ["$input.d"]), ("toInteger", ["\"abc\""]), ("toDouble", ["3"]),
        ("toDouble", ["\"1,234.5\""]), ("toNumber", ["\"12\""]), ("toNumber", ["\"-0\""]), ("idiv", ["7", "2"]),
        ("idiv", ["7", "0"]), ("mod", ["7", "3"]), ("mod", ["-7", "3"]), ("add", ["$input.big", "1"]),
        ("mul", ["$input.maxint", "2"]), ("sub", ["0.3", "0.1"]), ("div", ["1", "8"]), ("add", ["1e3", "0"]),
        ("add", ["\"1E3\"", "0"]), ("add", ["\" 5\"", "0"]), ("add", ["\"5 \"", "0"]), ("add", ["\"+5\"", "0"]),
        ("getTotal", ["[1, 2, 3]"]), ("getAverage", ["[1, 2]"]), ("getTotal", ["[1.5, 2]"]), ("foo", ["1"]),
        ("add", [])]
for i, (m, args) in enumerate(MATH):
    add(f"mathtool/{i}/{m}", "$math." + m + "(" + ", ".join(args) + ")")
add("mathtool/in-set", "#set($x = $math.add($input.n, 1))$x #set($y = $x * 2)$y")

# 13. strict mode specifics -------------------------------------------------------------
STRICT = ["$undefined", "${undefined}", "$!undefined", "$!{undefined}", "#if($undefined)a#else b#end",
          "#if(!$undefined)a#end", "#if($undefined && true)a#else b#end", "#if($undefined == 1)a#else b#end",
          "#set($x = $undefined)$x", "#set($x = $input.nul)$x", "$input.nul", "$!input.nul", "$input.nope",
          "$!input.nope", "$input.nope.x", "$input.s.nope", "$input.s.nope()", "$input.nul.x", "#if($input.nope)a#end",
          "#if($input.nope.x)a#end", "#foreach($i in $undefined)x#end", "#foreach($i in $input.s)x#end",
          "#foreach($i in $input.nul)x#end", "\\$undefined", "$undefined.foo", "#set($undefined.x = 1)",
          "$esc.nope()", "$math.nope", "#if(true)#set($x = !$undefined)$x#end", "#if($input.l[9])x#end",
          "#undefinedMacro()", "#undefinedMacro", "$top", "${top}x", "{\"PresenceArray\" : $Presences}",
          "#set($a = 1)$a", "$input.nul.length()", "\"$undefined\"", "#set($s = \"$undefined\")$s",
          "#set($s = \"$!undefined\")[$s]", "$input.l.get(9)", "#if($input.nul > 1)a#end", "$input.m.nope",
          "#if(\"$!{input.nope}\" != \"\")x#end"]
for i, t in enumerate(STRICT):
    add(f"strict/{i}", t, {"input": BASE_INPUT, "top": None}, strict=True)
    add(f"strictlog/{i}", t, {"input": BASE_INPUT, "top": None}, strict=True, log_tag="successTemplate")

# 14. parse errors ------------------------------------------------------------------------
PERR = ["#if(", "#if(true)x", "#if(true)#else#else#end", "#end", "#else", "#elseif(true)", "#set($a = )",
        "#set($a 1)", "#set(a = 1)", "${a", "$a.b(", "$a.b(1,", "$a.b(1 2)", "$a[x]", "$a[", "#foreach($i in)",
        "#foreach($i in [1..2])", "#foreach", "#macro()", "#macro(\"x\")#end", "#set($a = \"unterminated)",
        "#if(1 +)", "#if((true)", "$true", "$false", "#{if", "#if(true)#{end", "x$", "x#", "$!", "#[[ open",
        "#set($a = [1, 2)", "#set($a = {\"a\" 1})", "#set($a = 1 2)", "#break(1, 2)", "#stop(1, 2)",
        "#define()x#end", "#evaluate()", "#evaluate(1)", "#literal", "#set($a = \"#if(\")", "line1\nline2 #if(",
        "\tx #if(", "#if($a == )x#end", "$a.b($c.d(1)", "#foreach($i [1..2])x#end"]
for i, t in enumerate(PERR):
    add(f"perr/{i}", t)

# 15. other directives -----------------------------------------------------------------------
DIRS = ["#define($blk)Hi $input.s#end$blk $blk", "#define($b)x#end#set($c = \"[$b]\")$c",
        "#evaluate('#set($q = 5)$q')$q", "#evaluate(\"$input.s\")", "#evaluate($input.nul)",
        "#set($src = '$input.n + 1')#evaluate($src)", "#literal()$a #if(true)x#end#end", "#literal()#end",
        "#macro(hi $who)Hi $who!#end#hi(\"x\") #hi($input.s) #hi($input.missing) #hi()",
        "#macro(two $a $b)$a-$b#end#two(1 2)|#two(1, 2)|#two(1)", "#hi(\"early\")#macro(hi $w)[$w]#end",
        "#macro(rec $n)$n#if($n > 0)#set($m = $n - 1)#rec($m)#end#end#rec(3)", "#macro(loop)#loop()#end#loop()",
        "#macro(brk)a#break b#end#brk()c", "#include(\"x.vm\")", "#parse(\"x.vm\")", "a#stop b", "a#stop() b",
        "a#stop(\"msg\") b", "#foreach($i in [1..3])$i#break($foreach)#end", "#break", "x#break y",
        "#evaluate('a#stop b')c", "#@blk()body#end", "#macro(wrap)[$bodyContent]#end#@wrap()in$input.n#end",
        "#foo", "#foo()", "#foo($x)", "#foo bar", "#{foo}x", "#@foo", "#1", "# x", "#$input.s", "#!x",
        "#macro(m $x)#set($x = 2)$x#end#m(1)", "#set($l = [1, 2])#macro(m $v)$v.size()#end#m($l)"]
for i, t in enumerate(DIRS):
    both(f"dir/{i}", t)

# 16. misc edge cases ----------------------------------------------------------------------------
MISC = ["$input.s$input.s", "$input.s.$input.n", "${input.s}text", "$input.stext", "$input.s-text", "$input.s_text",
        "$input.s[0]", "$input.s()", "$input.s.length( )", "$input.s.substring( 1 , 2 )", "$input.l[ 0 ]",
        "$input.l[$input.zero]", "${input.s}.${input.n}", "$input.n.5", "$input.d.toString()",
        "$input.big.toString()", "$input.n.equals(7)", "$input.n.equals($input.big)", "$input.d.intValue()",
        "$input.t.toString()", "$input.m.k.class.simpleName", "$input.l.class.name", "email@example.com",
        "price: $5.00", "#notadirective text", "100% done", "a & b < c > d", "$input.json", "$input.u",
        "$input.multi", "$!input.s.nope", "$input.l.get($input.nul)", "$input.s.substring($input.nul)",
        "#if($input.s.length() > 5)long#end", "#set($x = $input.s.length() * 2)$x", "$input.li.size() $input.li",
        "#set($d = 1.0)$d #set($e = 100)$e #set($f = 1e10)$f", "#set($g = 0.001)$g #set($h = 1.0E-4)$h",
        "#set($i = 12345678.9)$i #set($j = 1234567.0)$j", "$input.nul.toString()", "${input.s.length()}",
        "$!{input.s.foo()}", "$input.ln.get(1)", "$input.ln[1]", "$input.mm.arr.get(0).id",
        "#set($x = $input.l)#set($ok = $x.add(\"z\"))$input.l|$x",
        "#set($l=[1,2])#foreach($i in $l)$i#set($d=$l.add(3))#end", "$math.add(##1\\..$</:in1&&.#end$esc.url(.>",
        "$math.add(##1\n)"]
for i, t in enumerate(MISC):
    add(f"misc/{i}", t)


# 17. corpus actions --------------------------------------------------------------------------
def sample_for(name, schema):
    t = (schema or {}).get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "integer":
        return 42
    if t == "number":
        return 3.5
    if t == "boolean":
        return True
    if t == "array":
        return ["a1", "a2"]
    if t == "object":
        return {"k": "v"}
    h = sum(ord(c) for c in name) % 4
    return ["val-" + name, "v " + name + " & co", "x\"y\\z", "caf\u00e9-" + name][h]


def json_text_for(schema):
    t = (schema or {}).get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "integer":
        return "5"
    if t == "number":
        return "2.5"
    if t == "boolean":
        return "true"
    if t == "array":
        items = (schema or {}).get("items") or {}
        return "[" + json_text_for(items) + "]"
    if t == "object":
        return '{"k":"v"}'
    return '"text"'


def corpus():
    files = sorted(glob.glob(os.path.join(CORPUS, "*.json")))
    for f in files:
        base = os.path.basename(f)[:-5]
        try:
            a = json.load(open(f, encoding="utf-8"))
        except Exception:
            continue
        cfg = a.get("config") or {}
        req = cfg.get("request") or {}
        resp = cfg.get("response") or {}
        contract = a.get("contract") or {}
        props = (((contract.get("input") or {}).get("inputSchema") or {}).get("properties")) or {}
        out_props = (((contract.get("output") or {}).get("successSchema") or {}).get("properties")) or {}
        templates = []
        if isinstance(req.get("requestUrlTemplate"), str):
            templates.append(("url", req["requestUrlTemplate"], "request"))
        for hk, hv in sorted((req.get("headers") or {}).items()):
            if isinstance(hv, str):
                templates.append(("header-" + re.sub(r"[^A-Za-z0-9]", "_", hk), hv, "request"))
        if isinstance(req.get("requestTemplate"), str):
            templates.append(("body", req["requestTemplate"], "request"))
        if isinstance(resp.get("successTemplate"), str):
            templates.append(("success", resp["successTemplate"], "success"))
        alltext = " ".join(t for _, t, _ in templates)
        inp = {k: sample_for(k, v if isinstance(v, dict) else {}) for k, v in props.items()}
        for k in set(re.findall(r"input\.([A-Za-z_][A-Za-z0-9_-]*)", alltext)):
            inp.setdefault(k, "val-" + k)
        inp["rawRequest"] = json.dumps({k: v for k, v in inp.items()})
        creds = {k: "cred-" + k for k in set(re.findall(r"credentials\.([A-Za-z_][A-Za-z0-9_-]*)", alltext))}
        auth = {k: "auth-" + k for k in set(re.findall(r"authResponse\.([A-Za-z_][A-Za-z0-9_-]*)", alltext))}
        req_ctx = {"input": inp, "credentials": creds, "authResponse": auth}
        tm = resp.get("translationMap") or {}
        succ_ctx = {}
        for k in tm:
            succ_ctx[k] = json_text_for(out_props.get(k) if isinstance(out_props.get(k), dict) else {})
        succ_ctx["rawResult"] = json.dumps({"id": "abc", "items": [1, 2], "name": "n\u00e9"})
        for tid, text, kind in templates:
            ctx = req_ctx if kind == "request" else succ_ctx
            add(f"corpus/{base}/{tid}:lenient", text, ctx, log_tag="requestTemplate" if kind == "request" else "successTemplate")
            add(f"corpus/{base}/{tid}:strict", text, ctx, strict=True,
                log_tag="requestTemplate" if kind == "request" else "successTemplate")
            if kind == "success":
                # the same template with the translation values missing (strict error paths)
                add(f"corpus/{base}/{tid}:strict-empty", text, {"rawResult": succ_ctx["rawResult"]}, strict=True,
                    log_tag="successTemplate")
            else:
                nul_ctx = {"input": {k: None for k in inp}, "credentials": creds, "authResponse": auth}
                add(f"corpus/{base}/{tid}:nulls", text, nul_ctx, log_tag="requestTemplate")


corpus()

seen = set()
for c in cases:
    assert c["id"] not in seen, c["id"]
    seen.add(c["id"])

out = open(sys.argv[1], "w", encoding="utf-8") if len(sys.argv) > 1 else sys.stdout
for c in cases:
    out.write(json.dumps(c, ensure_ascii=False) + "\n")
if out is not sys.stdout:
    out.close()
print(f"{len(cases)} cases", file=sys.stderr)
