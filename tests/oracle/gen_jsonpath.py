#!/usr/bin/env python3
"""Generate JSONPath conformance cases for the Jayway JsonPath 2.10.0 oracle.

Owns: the list of oracle requests (one JSON object per line on stdout or in
--out), grouped by category through the id prefix ("<category>/<n>").
Must not: call the oracle (see record.py) or depend on anything but the
Python 3 standard library.

Categories:
  basic/       systematic path x document combinations
  filter/      every filter operator x operand type
  func/        every path function x input type
  opt/         Jayway options on selected paths
  syntax/      invalid paths (InvalidPathException and friends)
  number/      number typing (Integer / Long / BigInteger / Double)
  text/        document_text requests
  fuzz/        seeded random token combinations on the feature documents
  corpus-ok/   every translation-map path of the corpus on a derived document
  corpus-miss/ ... on a document where the leaf (or root key) is missing
  corpus-null/ ... on a document where the leaf is null
"""
import argparse
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = "/work/shared/corpus/actions"

# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------

STORE = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
            {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}

MIXED = {
    "int": 1, "neg": -5, "zero": 0, "big": 3000000000, "dbl": 1.5, "dblint": 100.0,
    "small": 0.001, "exp": 1e21, "negdbl": -2.25, "str": "hello", "numstr": "10",
    "empty": "", "t": True, "f": False, "n": None, "arr": [1, 2, 3], "earr": [],
    "eobj": {}, "nested": {"a": {"b": {"c": "deep"}}},
    "mixedarr": [1, "a", None, True, {"k": "v"}, [1, 2], 2.5],
    "strs": ["b", "a", "c"], "nums": [3, 1.5, -2, 10], "objs": [{"v": 1}, {"v": 2}, {"w": 3}],
}

WEIRD = {
    "ключ": "значение", "日本": "語", "emoji😀": "smile", "a.b": "dotted", "a b": "spaced",
    "it's": "quote", "dq\"": "dquote", "back\\slash": "bs", "": "emptykey", "$": "dollar",
    "@": "at", "*": "star", "[0]": "brk", "0": "zero-key", "-1": "neg-key", "tab\tkey": "tabbed",
    "a": {"b.c": {"d": 1}, "x y": [1, 2]},
}

PEOPLE = [
    {"name": "Ann", "age": 30, "tags": ["a", "b"], "addr": {"city": "Oslo"}, "active": True, "score": 9.5},
    {"name": "Bob", "age": 25, "tags": [], "addr": {"city": "Rome"}, "active": False, "score": 7},
    {"name": "Cid", "age": None, "tags": ["c"], "addr": None, "active": True},
    {"name": "Dee", "age": "40", "tags": ["a", "c"], "addr": {"city": "Oslo", "zip": "0150"}, "score": 8.0},
]

NULLS = {"a": None, "b": {"c": None}, "arr": [None, {"x": None}, {"x": 1}], "o": {"n": None, "v": 0}}

DEEP = {
    "m": [[1, 2], [3, [4, 5]], []],
    "o": {"o": {"o": {"v": 1, "name": "inner"}, "name": "mid"}, "name": "outer"},
    "list": [{"name": "l0", "sub": [{"name": "s0"}, {"name": "s1", "sub": [{"name": "ss"}]}]}],
    "name": "top",
}

GENESYS = {
    "id": "c-1", "pageCount": 3, "total": 2, "enabled": True, "conversationId": "conv-9",
    "entities": [
        {"id": "u1", "name": "Alice", "email": "a@x.io", "state": "active", "bodyType": "standard",
         "sender": {"id": "s1"}, "body": "hi", "routingStatus": {"status": "IDLE"}, "divisionId": "d1"},
        {"id": "u2", "name": "Bob", "email": None, "state": "inactive", "bodyType": "member-join",
         "sender": {"id": "s2"}, "body": "joined", "routingStatus": {"status": "OFF_QUEUE"}},
        {"id": "", "name": "Empty", "state": "deleted", "bodyType": "notice", "sender": None},
    ],
    "participants": [
        {"id": "p1", "purpose": "customer", "state": "connected", "calls": [{"id": "call-1", "state": "connected"}],
         "messages": [{"messageId": "m1"}, {"messageId": "m2"}], "attributes": {"k": "v"}},
        {"id": "p2", "purpose": "agent", "state": "disconnected", "userId": "usr-2",
         "calls": [{"id": "call-2", "state": "disconnected"}]},
        {"id": "p3", "purpose": "external", "state": "connected", "externalContactId": "ext-3",
         "sessions": [{"direction": "outbound"}, {"direction": "inbound"}]},
    ],
    "results": [
        {"group": {"queueId": "q1"}, "data": [{"metrics": [{"metric": "oWaiting", "stats": {"count": 4}},
                                                            {"metric": "oInteracting", "stats": {"count": 2}}]}]},
    ],
}

DOCS = {
    "store": STORE, "mixed": MIXED, "weird": WEIRD, "people": PEOPLE, "nulls": NULLS,
    "deep": DEEP, "genesys": GENESYS, "emptyobj": {}, "emptyarr": [],
    "scalar": 42, "string": "just a string",
}

# ---------------------------------------------------------------------------
# Feature paths
# ---------------------------------------------------------------------------

BASIC_PATHS = [
    "$", "@", "$.*", "$[*]", "$..*", "$..[*]", "$..name", "$..price", "$..book", "$..id",
    "$.store", "$.store.book", "$.store.book[0]", "$.store.book[0].title", "$.store.book[-1]",
    "$.store.book[-1].title", "$.store.book[10]", "$.store.book[-10]", "$.store.book[0,2]",
    "$.store.book[0,10]", "$.store.book[1:3]", "$.store.book[:2]", "$.store.book[-2:]",
    "$.store.book[2:]", "$.store.book[-2:2]", "$.store.book[1:-1]", "$.store.book[:-1]",
    "$.store.book[5:]", "$.store.book[0:100]", "$.store.book[*].author", "$.store.book.*.author",
    "$.store..price", "$.store.*", "$.store.bicycle.color", "$.store.bicycle.missing",
    "$.store.missing.deeper", "$.missing", "$.missing.deeper", "$..missing", "$.store.book[*].isbn",
    "$.store.book[*]['title','price']", "$.store.bicycle['color','price']",
    "$.store.bicycle['color','missing']", "$['store']['bicycle']", "$[\"store\"][\"bicycle\"]",
    "$['store'].bicycle.color", "$.store['book'][0]['author']", "$..book[0]", "$..book[-1]",
    "$..book[1:2]", "$..book[*].title", "$..book.length()", "$..*.price", "$..[0]",
    "store.bicycle.color", "$.expensive", "$.store.book[0].price", "$.store.book[1].price",
    "$.int", "$.neg", "$.big", "$.dbl", "$.dblint", "$.small", "$.exp", "$.str", "$.numstr",
    "$.empty", "$.t", "$.f", "$.n", "$.n.x", "$.n[0]", "$.arr", "$.arr[0]", "$.arr[-1]",
    "$.arr[3]", "$.arr.x", "$.arr[*]", "$.earr", "$.earr[0]", "$.earr[*]", "$.earr[-1:]",
    "$.eobj", "$.eobj.x", "$.eobj.*", "$.nested.a.b.c", "$.nested..c", "$.nested.a.x.c",
    "$.str.length", "$.str[0]", "$.int.x", "$.int[0]", "$.mixedarr[*]", "$.mixedarr[4].k",
    "$.mixedarr[*].k", "$.mixedarr[5][1]", "$.objs[*].v", "$.objs[*].w", "$.objs..v",
    "$['ключ']", "$.ключ", "$['日本']", "$['emoji😀']", "$['a.b']", "$.a.b", "$['a b']",
    "$['it\\'s']", "$[\"it's\"]", "$['dq\"']", "$[\"dq\\\"\"]", "$['back\\\\slash']", "$['']",
    "$['$']", "$['@']", "$['*']", "$['[0]']", "$['0']", "$[0]", "$['-1']", "$['tab\\tkey']",
    "$.a['b.c'].d", "$.a['x y'][1]", "$['a']['x y'][*]", "$[*].name", "$[0].name", "$[-1].name",
    "$[1:3].name", "$[*].addr.city", "$[*].tags[0]", "$[*].tags[*]", "$..city", "$..tags",
    "$..tags[0]", "$[*].age", "$[0,1].name", "$[*]['name','age']", "$[0]['name','age']",
    "$.a", "$.b.c", "$.b.c.d", "$.arr[0].x", "$.arr[*].x", "$.arr[1].x", "$..x", "$.o.n", "$.o.*",
    "$.m[0][1]", "$.m[1][1][0]", "$.m[*][0]", "$.m..[0]", "$.m[*][*]", "$..o", "$..o.name",
    "$.o.o.o.v", "$..sub[*].name", "$..sub..name", "$.list[0].sub[1].sub[0].name",
    "$.entities[*].id", "$.entities..name", "$.entities[0].sender.id", "$.entities[2].sender.id",
    "$.entities[*].sender.id", "$.participants[0].calls[0].id", "$.results[0].data[0].metrics[1].stats.count",
    "$.participants[*].calls[*].id", "$..metric", "$..stats.count",
    "$..[1]", "$..*[0]", "$.*.*", "$[*][*]", "$..book[?(@.price)]",
    "$.store.book[0]['title']", "$ .store", "$.store .book", "$.['store']", "$.[0]",
    "$..['name','price']", "$.store.book[0,1]['title']", "$.store.book[?(@.isbn)].title",
]

FILTER_DOC = {
    "items": [
        {"id": 0, "s": "abc", "n": 5, "d": 5.0, "b": True, "z": None, "a": [1, 2], "o": {"k": 1}, "e": "", "ns": "5"},
        {"id": 1, "s": "ABC", "n": 10, "d": 2.5, "b": False, "z": 0, "a": [], "o": {}, "e": "x", "ns": "10"},
        {"id": 2, "s": "b", "n": -1, "d": -1.5, "b": "true", "a": ["a", "b"], "o": None, "ns": "abc"},
        {"id": 3, "s": "", "n": 3000000000, "d": 1e21, "a": [1, "1", None], "ns": "5.0"},
        {"id": 4, "n": "5", "s": 5, "a": "notarray", "o": "str"},
        {"id": 5},
    ],
    "ref": {"n": 5, "s": "abc", "list": [1, 2, 3], "arr": ["a", "b"]},
}

FILTER_FIELDS = ["s", "n", "d", "b", "z", "a", "o", "e", "ns", "missing"]
FILTER_LITERALS = ["'abc'", "\"ABC\"", "5", "5.0", "-1", "10", "1e1", "true", "false", "null",
                   "'5'", "[1,2]", "['a','b']", "{'k':1}", "''", "$.ref.n", "$.ref.s", "@.n", "3000000000"]
FILTER_OPS = ["==", "!=", "<", "<=", ">", ">=", "===", "!=="]
LIST_OPS = ["in", "nin", "subsetof", "anyof", "noneof"]
LIST_LITERALS = ["[1,2]", "['abc','b']", "[5, 'abc', true]", "['a','b','c']", "[]", "[null]", "$.ref.list",
                 "$.ref.arr", "['5']", "[5.0]"]


def filter_paths():
    out = []
    for field in FILTER_FIELDS:
        for op in FILTER_OPS:
            for lit in FILTER_LITERALS:
                out.append(f"$.items[?(@.{field} {op} {lit})].id")
    # trim the cube: keep it representative but not enormous
    keep = []
    for i, p in enumerate(out):
        if ("==" in p and "===" not in p) or "!=" in p and "!==" not in p:
            keep.append(p)
        elif i % 3 == 0:
            keep.append(p)
    out = keep
    for field in ["s", "n", "a", "ns", "missing"]:
        for op in LIST_OPS:
            for lit in LIST_LITERALS:
                out.append(f"$.items[?(@.{field} {op} {lit})].id")
    for field in ["s", "n", "a", "e", "o", "missing", "b"]:
        for op, rhs in [("size", "0"), ("size", "2"), ("size", "3"), ("empty", "true"), ("empty", "false"),
                        ("contains", "'b'"), ("contains", "1"), ("=~", "/a.*/"), ("=~", "/a.*/i"),
                        ("=~", "/[0-9]+/"), ("exists", "true"), ("type", "'string'"), ("matches", "'x'"),
                        ("all", "[1]")]:
            out.append(f"$.items[?(@.{field} {op} {rhs})].id")
    out += [
        "$.items[?(@.s)].id", "$.items[?(!@.s)].id", "$.items[?(@.z)].id", "$.items[?(!@.z)].id",
        "$.items[?(@.o.k)].id", "$.items[?(@.a[0])].id", "$.items[?(@.a[*])].id", "$.items[?(@.missing)].id",
        "$.items[?(@.n > 1 && @.n < 10)].id", "$.items[?(@.n > 1 || @.s == 'b')].id",
        "$.items[?(@.n > 1 && (@.s == 'abc' || @.s == 'ABC'))].id", "$.items[?(!(@.n > 1))].id",
        "$.items[?(!(@.n > 1) && @.s)].id", "$.items[?((@.n == 5))].id", "$.items[?(@.n==5)].id",
        "$.items[?( @.n == 5 )].id", "$.items[?(@.n == $.ref.n)].id", "$.items[?(@.s == $.ref.s)].id",
        "$.items[?(@.n == $.missing)].id", "$.items[?(@.id == @.id)].id", "$.items[?(@.s =~ /^a.*$/)].id",
        "$.items[?(@.s =~ /AB.*/i)].id", "$.items[?(@.s =~ /.*b.*/)].id", "$.items[?(@.ns =~ /\\d+/)].id",
        "$.items[?(@.a.length() > 1)].id", "$.items[?(@.a.length() == 0)].id", "$.items[?(@.s.length() == 3)].id",
        "$.items[?(@.n > '5')].id", "$.items[?(@.s > 'a')].id", "$.items[?(@.s < 'b')].id",
        "$.items[?(@.s >= 'abc')].id", "$.items[?(@.d > 2)].id", "$.items[?(@.d == 5)].id",
        "$.items[?(@.n == 3e9)].id", "$.items[?(@.d == 1.0E21)].id", "$.items[?(@.n != null)].id",
        "$.items[?(@.z == null)].id", "$.items[?(@.b == true)].id", "$.items[?(@.b == 'true')].id",
        "$.items[?(@.b)].id", "$.items[?(@.a == [1,2])].id", "$.items[?([1,2] == @.a)].id",
        "$.items[?(@.o == {'k':1})].id", "$.items[?(@.o == {\"k\":1})].id", "$.items[?(@.a == @.a)].id",
        "$.items[?(@.id in [0, 2, 4])].id", "$.items[?(@.id nin [0, 2, 4])].id", "$.items[?(@.s in ['abc'])]",
        "$.items[?(@.a anyof [2, 'b'])].id", "$.items[?(@.a noneof [2, 'b'])].id", "$.items[?(@.a subsetof [1,2,3])].id",
        "$.items[?(@.a subsetof $.ref.list)].id", "$.items[?(@.id in $.ref.list)].id",
        "$.items[?(@ == 1)]", "$.items[*][?(@.k)]", "$.items[?(@.o[?(@.k)])].id", "$.items[?(@.a[?(@ == 2)])].id",
        "$.items[?(@['s'] == 'abc')].id", "$.items[?(@.s == \"abc\")].id", "$.items[?(@.s == 'ab\\'c')].id",
        "$.items[?(@.n IN [5, 10])].id", "$.items[?(@.n In [5])].id", "$.ref[?(@.n)]", "$.ref[?(@.n == 5)]",
        "$.ref[?(@.n == 6)]", "$.ref.n[?(@ == 5)]", "$.items[0][?(@.n)]", "$..[?(@.n == 5)].id",
        "$..[?(@.k)]", "$..items[?(@.id > 3)].id", "$.items[?(@.id > 3)]", "$.items[?(@.n > 1)].s",
        "$.items[?(@.n > 1)][0]", "$.items[?(@.n > 1)]['id','s']", "$.items[?(@.n > 1)].length()",
        "$.items[?(@.n > 1)].id.length()", "$.items[?(@.id < 2)].a[*]", "$.items[?(@.id < 2)].a[0]",
        "$.items[?(@.n > 1 && @.missing.x)].id", "$.items[?(@.d < -1)].id", "$.items[?(@.d <= -1.5)].id",
        "$.items[?(@.n < -0.5)].id", "$.items[?(@.n > 2999999999.5)].id", "$.items[?(@.id == 0.0)].id",
        "$.items[?(@.id == '0')].id", "$.items[?(@.ns == 5)].id", "$.items[?(@.ns == 10)].id",
        "$.items[?(5 == @.ns)].id", "$.items[?('5' == @.n)].id", "$.items[?(@.ns > 4)].id",
        "$.items[?(@.s == 5)].id", "$.items[?(@.n === '5')].id", "$.items[?(@.n !== 5)].id",
        "$.items[?(@.s != 'abc' && @.s != 'b' && @.s != '')].id", "$.items[?(@.s =~ /a\\/b/)].id",
        "$.items[?(@.a contains 1)].id", "$.items[?(@.s contains 'b')].id", "$.items[?(@.s empty false)].id",
        "$.items[?(@.a size 2)].id", "$.items[?(@.s size 3)].id", "$.items[?(@.o empty true)].id",
        "$.items[?(@.n exists true)].id", "$.items[?(@.id == -0)].id", "$.items[?(@.n == 05)].id",
    ]
    return out


FUNC_INPUTS = {
    "ints": [1, 2, 3, 4], "dbls": [1.5, 2.5], "mixed": [1, "2", 3.5, None, True, {"a": 1}, [1]],
    "strs": ["a", "b", "c"], "one": [7], "empty": [], "negs": [-1, -5, -2.5], "obj": {"x": 1, "y": 2.5, "z": "s"},
    "eobj": {}, "str": "hello", "num": 42, "dbl": 2.5, "bool": True, "null": None, "big": [3000000000, 1],
    "nested": [[1, 2], [3]], "objs": [{"v": 1}, {"v": 2}],
}
FUNCS = ["length()", "size()", "min()", "max()", "avg()", "sum()", "stddev()", "first()", "last()",
         "keys()", "concat()", "append(9)", "index(0)", "index(1)", "index(-1)", "index(-2)", "index(5)",
         "nosuch()", "concat('-')", "concat(\"x\", 1)", "sum(10)", "sum(1, 2)", "max(100)", "min(-100)",
         "avg(0)", "append(\"s\")", "append({\"k\": 1})", "append([1,2])", "append(true)",
         "sum($.ints)", "length($.ints)", "concat($.strs)", "first(1)"]


def func_paths():
    out = []
    for name in FUNC_INPUTS:
        for f in FUNCS:
            out.append(f"$.{name}.{f}")
    out += [
        "$.length()", "$.size()", "$.keys()", "$.sum($.ints)", "$.avg($.ints, $.dbls)", "$.max($..ints)",
        "$..ints.length()", "$..ints.sum()", "$..v.sum()", "$..v.max()", "$..v.length()", "$..objs.length()",
        "$..x.sum()", "$..missing.sum()", "$..missing.length()", "$.*.length()", "$.objs[*].v.sum()",
        "$.objs[*].length()", "$.ints.length().x", "$.missing.length()", "$.ints[0].length()",
        "$.ints[*].sum()", "$.nested[*].sum()", "$.nested[0].first()", "$.empty.first()", "$.empty.last()",
        "$.obj.keys().length()", "$.ints.sum().x", "$.objs..v.sum()", "$..length()", "$.concat($.strs[0], $.strs[1])",
        "$.ints.length( )", "$.ints.append(4, 5)", "$.ints.append()", "$.ints.sum(\"3\")",
        "$.strs.concat(1.5)", "$.strs.concat(1e3)", "$.ints.avg(-1)", "$.obj.length()",
        "$.ints.index($.ints[1])", "$.length($.ints)", "$.obj.length($.ints)", "$.ints[-1:].sum()",
        "$.ints.LENGTH()", "$.ints.length", "$.ints.max().x.y", "$.dbls.sum()", "$.ints.stddev(1)",
    ]
    return out


SYNTAX = [
    "", " ", "$.", "$..", "$[", "$]", "$[']", "$['a'", "$['a',]", "$['a',,'b']", "$[a]", "$[0", "$[0:1:2:3]",
    "$.a[?(@.b)", "$.a[?(@.b == )]", "$.a[?()]", "$.a[?]", "$.a[?,?]", "$.a..", "$...a", "$.a.", "a.",
    "$a", "@a", "#.a", "$.a b", "$.a[ 1 : 2 ]", "$.a[:]", "$.a[::]", "$.a[1:2:3]", "$.a[--1]", "$.a[1-]",
    "$.a[x]", "$.a[*", "$.a[* ]", "$.a[ *]", "$.a[ 0 ]", "$.a[0 ,1]", "$.a[0,]", "$.a[,0]",
    "$.a[99999999999]", "$.sum(", "$.sum(1", "$.sum(1))", "$.sum(})", "$.sum(])", "$.a[?(@.b =~ /x)]",
    "$.a[?(@.b =~ /(/)]", "$.a[?(@.b == 'x)]", "$.a[?(@.b == \"x)]", "$.a[?(@.b <> 1)]", "$.a[?(@.b == 1 &&)]",
    "$.a[?(@.b == tru)]", "$.a[?(@.b == nul)]", "$.a[?(@.b == x)]", "$.a[?(1 == 1)]", "$.a[?(@.b == 1))]",
    "$.a[?((@.b == 1)]", "$.a[?(@.b foo 1)]", "$.a[?(@.b == 1 & @.c)]", "$.a[?(@.b == 1 | @.c)]",
    "$[?(@.a)]garbage", "$.a[0]b", "$.a['b']c", "$['a'].", "$.*.", "$[*].", "$.a[?(@.b == --1)]",
    "$.a[?(@.b == 1.2.3)]", "$.a[?(@.b == 1e)]", "$.a[?(@.b in [1,2)]", "$.a[?(@.b in {)]",
    "$.a[?(!)]", "$.a[?(!1)]", "$.a[?(@.b =~ 'x')]", "$.a[?(@.b =~ /x/q)]", "$.a[?(@.b =~ /x/iq)]",
    "$.[", "$['a\\']", "$.a.b()c", "$.a.()", "$.(", "$..[", "$[''']", "$[\"\"\"]", "$['a'\"b\"]",
    "$['a' 'b']", "$.a[?(@.b == 'x' && )]", "$.a[?(@.b[)]", "$.a[?(@.b == $[)]",
]


def options_cases():
    paths = ["$.store.book[0].title", "$.store.missing", "$.store.book[*].isbn", "$..missing", "$.store.book.length()",
             "$.store.bicycle['color','missing']", "$.store.book[0].missing.x", "$.store.book[9]",
             "$.store.book[?(@.isbn)].title", "$.store.missing.x", "$..price.sum()", "$.expensive.x",
             "$.store.book[*].missing.x", "$.store.bicycle.color[0]", "$", "$.store.book[0:2].title"]
    opt_sets = [["ALWAYS_RETURN_LIST"], ["SUPPRESS_EXCEPTIONS"], ["DEFAULT_PATH_LEAF_TO_NULL"],
                ["REQUIRE_PROPERTIES"], ["AS_PATH_LIST"], ["ALWAYS_RETURN_LIST", "SUPPRESS_EXCEPTIONS"],
                ["AS_PATH_LIST", "SUPPRESS_EXCEPTIONS"], ["DEFAULT_PATH_LEAF_TO_NULL", "REQUIRE_PROPERTIES"]]
    out = []
    for p in paths:
        for o in opt_sets:
            out.append((p, o))
    return out


NUMBER_DOCS = [
    {"v": 0}, {"v": -0}, {"v": 2147483647}, {"v": 2147483648}, {"v": -2147483648}, {"v": -2147483649},
    {"v": 9223372036854775807}, {"v": 9223372036854775808}, {"v": 18446744073709551615}, {"v": 1.0},
    {"v": -0.0}, {"v": 0.1}, {"v": 1e-7}, {"v": 1.5e300}, {"v": 123456.789}, {"v": 1e7}, {"v": 9999999.0},
    {"v": [1, 2147483648, 1.0, -0.0]},
]

TEXT_DOCS = [
    ('{"a": 1}', "$.a"), ('{"a": 1.0}', "$.a"), ('{"a": 1e2}', "$.a"), ('{"a": 10E-1}', "$.a"),
    ('[1, 2, 3]', "$[1]"), ('{"a": {"b": [true, false, null]}}', "$.a.b[*]"), ('{"a":"\\u00e9\\ud83d\\ude00"}', "$.a"),
    ('  {"a": 1}  ', "$.a"), ('"str"', "$"), ('7', "$"), ('true', "$"), ('{"a": 1, "a": 2}', "$.a"),
    ('{"b": 1, "a": 2}', "$.*"), ('{"a": -0}', "$.a"), ('{"a": 12345678901234567890}', "$.a"),
]

# ---------------------------------------------------------------------------
# Corpus: derive documents from a path
# ---------------------------------------------------------------------------

TOKEN_RE = re.compile(r"""
    (?P<scan>\.\.)
  | (?P<dotbracket>\.(?=\[))
  | \.(?P<func>[A-Za-z_][A-Za-z0-9_]*)\((?P<args>[^)]*)\)
  | \.(?P<star>\*)
  | \.(?P<name>[^.\[\]()\s]+)
  | \[(?P<bracket>(?:'[^']*'|"[^"]*"|\?\((?:[^()]|\([^()]*\))*\)|[^\]])*)\]
  | (?P<bare>[^.\[\]()\s]+)
""", re.X)


def tokenize(path):
    p = path.strip()
    if p.startswith("$") or p.startswith("@"):
        p = p[1:]
    toks = []
    pos = 0
    while pos < len(p):
        m = TOKEN_RE.match(p, pos)
        if not m or m.end() == pos:
            return None
        pos = m.end()
        if m.group("dotbracket"):
            continue
        if m.group("scan"):
            toks.append(("scan",))
            # `..name` / `..[...]` / `..*`
            if pos < len(p) and p[pos] not in ".[":
                m2 = re.match(r"([^.\[\]()\s*]+)(\(\))?|\*", p[pos:])
                if m2:
                    if m2.group(0) == "*":
                        toks.append(("star",))
                    elif m2.group(2):
                        toks.append(("func", m2.group(1), ""))
                    else:
                        toks.append(("name", m2.group(1)))
                    pos += m2.end()
        elif m.group("func"):
            toks.append(("func", m.group("func"), m.group("args")))
        elif m.group("star"):
            toks.append(("star",))
        elif m.group("name") is not None:
            toks.append(("name", m.group("name")))
        elif m.group("bare") is not None:
            toks.append(("name", m.group("bare")))
        else:
            b = m.group("bracket").strip()
            if b == "*":
                toks.append(("star",))
            elif b.startswith("?"):
                toks.append(("filter", b[2:-1] if b.startswith("?(") and b.endswith(")") else ""))
            elif re.fullmatch(r"-?\d+", b):
                toks.append(("index", int(b)))
            elif re.fullmatch(r"-?\d*:-?\d*(:-?\d*)?", b):
                toks.append(("slice", b))
            elif re.fullmatch(r"-?\d+(\s*,\s*-?\d+)+", b):
                toks.append(("indexes", [int(x) for x in b.split(",")]))
            else:
                names = re.findall(r"'([^']*)'|\"([^\"]*)\"", b)
                if names:
                    toks.append(("names", [a or c for a, c in names]))
                else:
                    return None
    return toks


COND_RE = re.compile(r"""@((?:\.[A-Za-z_][\w]*|\['[^']*'\])+)\s*(==|!=|>=|<=|>|<|=~)?\s*(
    '(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)?""", re.X)


def parse_literal(s):
    if s is None:
        return None
    if s[0] in "'\"":
        return s[1:-1]
    if s in ("true", "false"):
        return s == "true"
    if s == "null":
        return None
    return float(s) if "." in s else int(s)


def set_nested(obj, keys, value):
    cur = obj
    for k in keys[:-1]:
        nxt = cur.get(k)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[k] = nxt
        cur = nxt
    cur[keys[-1]] = value


def satisfy(cond, item):
    """Mutate `item` so that the first `||` branch of `cond` holds."""
    branch = cond.split("||")[0]
    for m in COND_RE.finditer(branch):
        keys = re.findall(r"\.([A-Za-z_]\w*)|\['([^']*)'\]", m.group(1))
        keys = [a or b for a, b in keys]
        op, lit = m.group(2), parse_literal(m.group(3)) if m.group(3) else None
        if op is None:
            val = "present"
        elif op == "==":
            val = lit
        elif op == "!=":
            val = (lit + "-other") if isinstance(lit, str) else "other"
        elif op in (">", ">="):
            val = (lit + 1) if isinstance(lit, (int, float)) and not isinstance(lit, bool) else lit
        elif op in ("<", "<="):
            val = (lit - 1) if isinstance(lit, (int, float)) and not isinstance(lit, bool) else lit
        else:
            val = "match"
        set_nested(item, keys, val)
    return item


def build(toks, leaf, depth=0):
    if not toks:
        return leaf
    t, rest = toks[0], toks[1:]
    kind = t[0]
    if kind == "name":
        return {t[1]: build(rest, leaf, depth + 1), "other": "x"}
    if kind == "names":
        return {n: build(rest, leaf, depth + 1) for n in t[1]}
    if kind == "star":
        return [build(rest, leaf, depth + 1), build(rest, leaf, depth + 1)]
    if kind == "index":
        n = t[1]
        size = n + 2 if n >= 0 else -n + 1
        return [build(rest, leaf, depth + 1) for _ in range(max(size, 1))]
    if kind == "indexes":
        size = max(abs(i) for i in t[1]) + 2
        return [build(rest, leaf, depth + 1) for _ in range(size)]
    if kind == "slice":
        return [build(rest, leaf, depth + 1) for _ in range(4)]
    if kind == "scan":
        return {"wrapper": build(rest, leaf, depth + 1)}
    if kind == "filter":
        hit = build(rest, leaf, depth + 1)
        if not isinstance(hit, dict):
            hit = {"value": hit}
        hit = satisfy(t[1], hit)
        return [hit, {"unrelated": True}]
    if kind == "func":
        name = t[1]
        if name in ("length", "size", "first", "last", "index"):
            inner = [1, 2, 3]
        elif name in ("sum", "avg", "min", "max", "stddev"):
            inner = [1, 2.5, 3]
        elif name == "keys":
            inner = {"k1": 1, "k2": 2}
        elif name == "concat":
            inner = ["a", "b"]
        else:
            inner = leaf
        return build(rest, inner, depth + 1) if rest else inner
    return leaf


def remove_leaf(doc, toks):
    """Drop the last named property reached by the path (best effort)."""
    names = [i for i, t in enumerate(toks) if t[0] in ("name", "names")]
    if not names:
        return {"unrelated": 1}
    target = toks[names[-1]]
    keys = [target[1]] if target[0] == "name" else target[1]

    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in keys}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(doc)


def corpus_paths(corpus_dir):
    seen = []
    for f in sorted(glob.glob(os.path.join(corpus_dir, "*.json"))):
        with open(f, encoding="utf-8") as fh:
            d = json.load(fh)
        tm = ((d.get("config") or {}).get("response") or {}).get("translationMap") or {}
        for _, v in sorted(tm.items()):
            if isinstance(v, str) and v not in seen:
                seen.append(v)
    return seen



# ---------------------------------------------------------------------------
# Seeded random paths (fuzz/): token soup over a few documents
# ---------------------------------------------------------------------------

FUZZ_DOCS = [STORE, MIXED, PEOPLE, DEEP, GENESYS, NULLS, FILTER_DOC, WEIRD]
FUZZ_NAMES = ["store", "book", "price", "name", "a", "b", "c", "o", "v", "sub", "list", "m", "items", "id", "n", "s",
              "entities", "participants", "calls", "tags", "addr", "city", "x", "arr", "nested", "missing", "0",
              "ключ", "a.b", "a b", "it's", "title", "author", "isbn", "data", "metrics", "stats", "count"]
FUZZ_FILTERS = ["@.price > 10", "@.name", "!@.isbn", "@.n == 5", "@.s == 'abc'", "@.age >= 30", "@ == 2",
                "@.id in [0,1,'u1']", "@.name =~ /^[A-M].*/", "@.v", "@.tags size 2", "@.x == null",
                "@.a.length() > 0", "@..name", "@.price < $.expensive", "@.n > 1 && @.s", "@.c || @.b",
                "@['name'] == 'Ann'", "@.state == 'connected'", "@.purpose != 'agent'", "@.o.k == 1",
                "@.price", "@.age == '40'", "@.id == @.id"]
FUZZ_FUNCS = ["length()", "size()", "sum()", "min()", "max()", "avg()", "first()", "last()", "keys()",
              "concat()", "index(1)", "stddev()", "append(1)"]


def fuzz_token(rng):
    r = rng.random()
    name = rng.choice(FUZZ_NAMES)
    if r < 0.30:
        return "." + name if re.fullmatch(r"[A-Za-z_][\w]*|ключ|0", name) else "['" + name.replace("'", "\\'") + "']"
    if r < 0.38:
        return "['" + name.replace("'", "\\'") + "']"
    if r < 0.42:
        return "['" + name.replace("'", "\\'") + "','" + rng.choice(FUZZ_NAMES).replace("'", "\\'") + "']"
    if r < 0.52:
        return "[" + str(rng.choice([0, 1, 2, -1, -2, 5])) + "]"
    if r < 0.55:
        return "[" + ",".join(str(rng.choice([0, 1, 2, -1, 3])) for _ in range(2)) + "]"
    if r < 0.62:
        a, b = rng.choice(["", "0", "1", "-1", "-2", "2", "10"]), rng.choice(["", "1", "2", "-1", "3", "100"])
        if a == "" and b == "":
            b = "1"
        return "[" + a + ":" + b + "]"
    if r < 0.70:
        return rng.choice(["[*]", ".*"])
    if r < 0.80:
        return ".." + rng.choice([name, "*", "[0]", "[*]", "['" + name.replace("'", "\\'") + "']"])
    if r < 0.90:
        return "[?(" + rng.choice(FUZZ_FILTERS) + ")]"
    return "..[?(" + rng.choice(FUZZ_FILTERS) + ")]"


def all_keys(v, acc):
    if isinstance(v, dict):
        for k, x in v.items():
            acc.add(k)
            all_keys(x, acc)
    elif isinstance(v, list):
        for x in v:
            all_keys(x, acc)
    return acc


def all_values(v, acc):
    """key -> list of values found under that key anywhere below `v`."""
    if isinstance(v, dict):
        for k, x in v.items():
            acc.setdefault(k, []).append(x)
            all_values(x, acc)
    elif isinstance(v, list):
        for x in v:
            all_values(x, acc)
    return acc


def quote_name(rng, name):
    if re.fullmatch(r"[A-Za-z_][\w]*", name) and rng.random() < 0.7:
        return "." + name
    q = rng.choice(["'", '"'])
    esc = name.replace("\\", "\\\\").replace(q, "\\" + q)
    return "[" + q + esc + q + "]"


def walk_token(rng, cur, keys):
    """One token chosen mostly from what `cur` offers; returns (token, next)."""
    r = rng.random()
    if isinstance(cur, dict) and cur and r < 0.55:
        k = rng.choice(sorted(cur))
        if rng.random() < 0.12 and len(cur) > 1:
            k2 = rng.choice(sorted(cur))
            q = "'"
            return "[" + q + k.replace("'", "\\'") + q + "," + q + k2.replace("'", "\\'") + q + "]", None
        return quote_name(rng, k), cur[k]
    if isinstance(cur, list) and cur and r < 0.55:
        kind = rng.random()
        n = len(cur)
        if kind < 0.35:
            i = rng.choice([0, n - 1, -1, -n, n, 1 if n > 1 else 0])
            return f"[{i}]", (cur[i] if -n <= i < n else None)
        if kind < 0.5:
            return "[*]", rng.choice(cur)
        if kind < 0.65:
            a, b = rng.choice(["", "0", "1", "-1", "-2"]), rng.choice(["", "1", "2", "-1", str(n)])
            if a == "" and b == "":
                b = "1"
            return f"[{a}:{b}]", rng.choice(cur)
        if kind < 0.72:
            return f"[0,{n - 1}]", rng.choice(cur)
        elems = [e for e in cur if isinstance(e, dict)]
        if elems:
            e = rng.choice(elems)
            fields = sorted(e)
            if fields:
                f = rng.choice(fields)
                v = e[f]
                cond = filter_condition(rng, f, v)
                return f"[?({cond})]", e
        return "[*]", rng.choice(cur)
    local = all_values(cur, {}) if cur is not None else keys
    if r < 0.75 and local:
        k = rng.choice(sorted(local))
        tail = quote_name(rng, k)
        tail = tail[1:] if tail.startswith(".") else tail
        vals = local[k] if isinstance(local, dict) else [None]
        return ".." + tail, rng.choice(vals)
    if r < 0.85:
        return rng.choice([".*", "[*]", "..*", "..[0]", "..[*]"]), None
    return quote_name(rng, rng.choice(["missing", "name", "id", "price", "0"])), None


def filter_condition(rng, field, value):
    ref = "@." + field if re.fullmatch(r"[A-Za-z_]\w*", field) else "@['" + field.replace("'", "\\'") + "']"
    if isinstance(value, bool):
        return rng.choice([f"{ref} == {str(value).lower()}", f"{ref}", f"!{ref}", f"{ref} != true"])
    if isinstance(value, (int, float)):
        op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        lit = rng.choice([value, value + 1, value - 1, str(value)]) if not isinstance(value, bool) else value
        lit = f"'{lit}'" if isinstance(lit, str) else json.dumps(lit)
        return f"{ref} {op} {lit}"
    if isinstance(value, str):
        op = rng.choice(["==", "!=", "=~", "in", "nin", "<", ">"])
        if op == "=~":
            return f"{ref} =~ /{re.escape(value[:2]) if value else ''}.*/" + rng.choice(["", "i"])
        if op in ("in", "nin"):
            return f"{ref} {op} ['{value.replace(chr(39), '')}', 'zzz']"
        return f"{ref} {op} '{value.replace(chr(39), '')}'"
    if isinstance(value, list):
        return rng.choice([f"{ref}.length() > 1", f"{ref} size {len(value)}", f"{ref} empty false",
                           f"{ref}[0]", f"{ref} anyof [1, 'a', 'c']", f"{ref} contains 1"])
    if value is None:
        return rng.choice([f"{ref} == null", f"{ref}", f"!{ref}", f"{ref} != null"])
    return rng.choice([f"{ref}", f"!{ref}", f"{ref}.*"])


def fuzz_cases(n, seed=20240517):
    import random
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        doc = rng.choice(FUZZ_DOCS)
        keys = all_keys(doc, set())
        cur = doc
        toks = []
        for _ in range(rng.choice([1, 2, 2, 3, 3, 4, 5])):
            tok, cur = walk_token(rng, cur, keys)
            toks.append(tok)
        path = "$" + "".join(toks)
        if rng.random() < 0.15:
            path += "." + rng.choice(FUZZ_FUNCS)
        opts = None
        if rng.random() < 0.08:
            opts = [rng.choice(["ALWAYS_RETURN_LIST", "SUPPRESS_EXCEPTIONS", "DEFAULT_PATH_LEAF_TO_NULL",
                                "REQUIRE_PROPERTIES", "AS_PATH_LIST"])]
        out.append((path, doc, opts))
    return out


# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------

def req(path, document=None, options=None, text=None):
    r = {"kind": "jsonpath", "path": path}
    if text is not None:
        r["document_text"] = text
    else:
        r["document"] = document
    if options:
        r["options"] = options
    return r


def generate(corpus_dir):
    cases = []

    def add(cat, r):
        cases.append((cat, r))

    basic_docs = ["store", "mixed", "weird", "people", "nulls", "deep", "genesys", "emptyobj", "emptyarr",
                  "scalar", "string"]
    for p in BASIC_PATHS:
        for dn in basic_docs:
            # every path on its "home" documents, plus the small edge documents
            if dn in ("store", "mixed", "people", "nulls", "deep", "genesys", "weird"):
                add("basic", req(p, DOCS[dn]))
            elif BASIC_PATHS.index(p) % 4 == 0:
                add("basic", req(p, DOCS[dn]))
    for p in filter_paths():
        add("filter", req(p, FILTER_DOC))
    for p in ["$.entities[?(@.state == 'active')].id", "$..[?(@.purpose == 'customer')].id",
              "$.participants[?(@.purpose=='customer' || @.purpose=='external')].calls[0].id",
              "$.participants[?(@.state=='connected' && @.purpose=='customer')].messages.length()",
              "$.participants[?(@.state=='connected' && @.purpose=='customer')].messages[-1000:].messageId",
              "$.entities[?(@.id != '')].name", "$.entities[?(@.email)].email", "$.entities[?(@.email == null)].id",
              "$.entities[?(@.sender.id == 's1')].body", "$.entities[?(@.routingStatus.status in ['IDLE'])].id",
              "$[?(@.age > 26)].name", "$[?(@.age == '40')].name", "$[?(@.tags contains 'a')].name",
              "$[?(@.tags anyof ['c'])].name", "$[?(@.addr.city == 'Oslo')].name", "$[?(@.addr)].name",
              "$[?(@.score >= 8)].name", "$[?(@.active == true && @.age)].name", "$[?(@.tags size 0)].name",
              "$[?(@.tags empty true)].name", "$[?(@.name =~ /[AB].*/)].name", "$..[?(@.city == 'Oslo')].zip",
              "$.store.book[?(@.price < $.expensive)].title", "$.store.book[?(@.category == 'fiction')].author",
              "$.store.book[?(@.author =~ /.*REES/i)].title", "$..book[?(@.isbn)].price"]:
        for dn in ("genesys", "people", "store"):
            add("filter", req(p, DOCS[dn]))
    for p in func_paths():
        add("func", req(p, FUNC_INPUTS))
    for p in ["$.store.book.length()", "$..price.max()", "$..price.min()", "$..price.avg()", "$..price.sum()",
              "$..price.stddev()", "$.store.keys()", "$.store.book[*].price.sum()", "$..book.length()",
              "$..book[0].title.length()", "$.store.book[0].keys()", "$..author.concat()"]:
        add("func", req(p, STORE))
    for p in SYNTAX:
        add("syntax", req(p, STORE))
    for p, o in options_cases():
        add("opt", req(p, STORE, options=o))
    for p in ["$.a", "$.a.b", "$.arr[*]", "$.n", "$..x"]:
        for o in (["SUPPRESS_EXCEPTIONS"], ["DEFAULT_PATH_LEAF_TO_NULL"], ["REQUIRE_PROPERTIES"], ["AS_PATH_LIST"]):
            add("opt", req(p, NULLS, options=o))
    for d in NUMBER_DOCS:
        for p in ["$.v", "$.v[*]", "$.v.length()", "$[?(@.v > 0)]", "$.v.sum()"]:
            add("number", req(p, d))
    for text, p in TEXT_DOCS:
        add("text", req(p, text=text))
    add("text", req("$", document=None))
    for p, d, o in fuzz_cases(1500):
        add("fuzz", req(p, d, options=o))
    # corpus
    for p in corpus_paths(corpus_dir):
        toks = tokenize(p) or []
        ok_doc = build(toks, "value-1")
        null_doc = build(toks, None)
        miss_doc = remove_leaf(ok_doc, toks)
        add("corpus-ok", req(p, ok_doc))
        add("corpus-miss", req(p, miss_doc))
        add("corpus-null", req(p, null_doc))
        add("corpus-miss", req(p, {}))
        add("corpus-ok", req(p, GENESYS))
    out = []
    counters = {}
    for cat, r in cases:
        counters[cat] = counters.get(cat, 0) + 1
        r = dict(r)
        r_id = f"{cat}/{counters[cat]:04d}"
        out.append({"id": r_id, **r})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--out", default="-")
    args = ap.parse_args()
    cases = generate(args.corpus)
    lines = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(lines)
    cats = {}
    for c in cases:
        k = c["id"].split("/")[0]
        cats[k] = cats.get(k, 0) + 1
    print(f"{len(cases)} cases: " + ", ".join(f"{k}={v}" for k, v in cats.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
