//! Table-driven tests of parsing, marks, anchors and merge keys, and typed deserialization.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::*;

fn json_of(text: &str) -> serde_json::Value {
    match parse(text) {
        Ok(parsed) => parsed.root.to_json(),
        Err(e) => panic!("parse failed for {text:?}: {e}"),
    }
}

#[test]
fn documents_become_the_json_sigs_k8s_yaml_produces() {
    let cases = [
        ("", json!(null)),
        ("# only a comment\n", json!(null)),
        ("---\n", json!(null)),
        ("---\na: 1\n", json!({"a": 1})),
        ("a: 1\n---\n", json!({"a": 1})),
        ("---\n# comment\n---\na: 1\n", json!({"a": 1})),
        (
            "a: yes\nb: 'yes'\nc: ~\nd:\ne: 0x10\nf: 1.5\ng: 1e3\n",
            json!({"a": true, "b": "yes", "c": null, "d": null, "e": 16, "f": 1.5, "g": 1000}),
        ),
        (
            "1: a\ntrue: b\n1.5: c\nnull: d\n",
            json!({"1": "a", "true": "b", "1.5": "c", "null": "d"}),
        ),
        // go-yaml v2 reads a plain `y` / `n` as a boolean, so as a key it becomes "true" / "false".
        ("y: 1\nn: 2\non: 3\n", json!({"true": 3, "false": 2})),
        (
            "a: !!str 123\nb: !!int '7'\nc: !!float 2\n",
            json!({"a": "123", "b": 7, "c": 2}),
        ),
        (
            "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n",
            json!({"a": "line1\nline2\n", "b": "folded text\n"}),
        ),
        (
            "- [1, two, {k: v}]\n- {}\n- []\n",
            json!([[1, "two", {"k": "v"}], {}, []]),
        ),
        (
            "a: 2024-01-02\nb: 1h30m\nc: 08\n",
            json!({"a": "2024-01-02", "b": "1h30m", "c": 8}),
        ),
        // libyaml accepts quoted scalars whose continuation lines are not indented (Prow configs
        // have them); the line break folds into a space.
        (
            "args:\n  - \"-c\"\n  - \"make test\n\"\n",
            json!({"args": ["-c", "make test "]}),
        ),
        (
            "a:\n  b: 'one\ntwo ''q''\n  three'\n  c: \"x\\\"\ny\"\n",
            json!({"a": {"b": "one two 'q' three", "c": "x\" y"}}),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(json_of(text), want, "document {text:?}");
    }
}

#[test]
fn anchors_aliases_and_merge_keys_are_resolved() {
    let cases = [
        (
            "a: &x {k: 1}\nb: *x\n",
            json!({"a": {"k": 1}, "b": {"k": 1}}),
        ),
        (
            "a: &s hello\nb: [*s, *s]\n",
            json!({"a": "hello", "b": ["hello", "hello"]}),
        ),
        // Single merge; explicit keys beat merged ones wherever they appear.
        (
            "base: &b {x: 1, w: 2}\nc:\n  w: 20\n  <<: *b\n  z: 3\n",
            json!({"base": {"x": 1, "w": 2}, "c": {"x": 1, "w": 20, "z": 3}}),
        ),
        (
            "base: &b {x: 1, w: 2}\nc:\n  <<: *b\n  w: 20\n",
            json!({"base": {"x": 1, "w": 2}, "c": {"x": 1, "w": 20}}),
        ),
        // List merge: earlier sources win.
        (
            "a: &a {k: a, only_a: 1}\nb: &b {k: b, only_b: 2}\nc:\n  <<: [*a, *b]\n",
            json!({"a": {"k": "a", "only_a": 1}, "b": {"k": "b", "only_b": 2}, "c": {"k": "a", "only_a": 1, "only_b": 2}}),
        ),
        (
            "a: &a {k: a}\nb: &b {k: b}\nc:\n  <<: [*b, *a]\n",
            json!({"a": {"k": "a"}, "b": {"k": "b"}, "c": {"k": "b"}}),
        ),
        // Nested merges: a merged source can itself use a merge key.
        (
            "a: &a {x: 1}\nb: &b\n  <<: *a\n  w: 2\nc:\n  <<: *b\n  z: 3\n",
            json!({"a": {"x": 1}, "b": {"x": 1, "w": 2}, "c": {"x": 1, "w": 2, "z": 3}}),
        ),
        // A quoted "<<" is an ordinary key.
        ("a: {'<<': 1}\n", json!({"a": {"<<": 1}})),
        ("a: !!merge {x: 1}\n", json!({"a": {"x": 1}})),
    ];
    for (text, want) in cases {
        assert_eq!(json_of(text), want, "document {text:?}");
    }
}

#[test]
fn invalid_documents_are_errors_with_marks() {
    let cases = [
        (
            "a: 1\n---\nb: 2\n",
            Some(Mark { line: 3, col: 1 }),
            "more than one YAML document",
        ),
        ("a: *nope\n", None, "unknown anchor"),
        (
            "a: &s x\nb:\n  <<: *s\n",
            Some(Mark { line: 3, col: 7 }),
            "map merge",
        ),
        ("a: [1, 2\n", None, ""),
        ("a: b: c\n", Some(Mark { line: 1, col: 5 }), ""),
        (
            "? [a]\n: 1\n",
            Some(Mark { line: 1, col: 3 }),
            "mapping key must be a scalar",
        ),
    ];
    for (text, mark, message) in cases {
        let err = match parse(text) {
            Ok(p) => panic!("{text:?} parsed as {:?}", p.root.to_json()),
            Err(e) => e,
        };
        assert!(err.message.contains(message), "{text:?}: {err}");
        assert!(err.mark.is_some(), "{text:?}: error without a mark: {err}");
        if let Some(mark) = mark {
            assert_eq!(err.mark, Some(mark), "{text:?}: {err}");
        }
    }
}

#[test]
fn duplicate_keys_keep_the_last_value_and_are_reported() {
    let text = "a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\na: 4\nlist:\n- x: 1\n  x: 2\n";
    let parsed = parse(text).expect("parses");
    assert_eq!(
        parsed.root.to_json(),
        json!({"a": 4, "b": {"c": 3, "d": 2}, "list": [{"x": 2}]})
    );
    assert_eq!(
        parsed.duplicate_keys,
        vec![
            ("b.c".to_string(), Mark { line: 5, col: 3 }),
            ("a".to_string(), Mark { line: 6, col: 1 }),
            ("list[0].x".to_string(), Mark { line: 9, col: 3 }),
        ]
    );
    // A big mapping (hash-indexed) detects duplicates too.
    let mut big: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
    big.push_str("k7: last\n");
    let parsed = parse(&big).expect("parses");
    assert_eq!(parsed.root.get("k7").and_then(Node::as_str), Some("last"));
    assert_eq!(
        parsed.duplicate_keys,
        vec![("k7".to_string(), Mark { line: 41, col: 1 })]
    );
}

#[test]
fn marks_point_at_keys_and_values() {
    let text = "top:\n  key: value\n  list:\n    - 'quoted'\n    - {a: 1}\n";
    let root = parse(text).expect("parses").root;
    let top = root.get("top").expect("top");
    let (key, value) = top.entry("key").expect("key");
    let list = top.get("list").and_then(Node::as_seq).expect("list");
    let cases = [
        (key.mark, (2, 3)),
        (value.mark, (2, 8)),
        (list[0].mark, (4, 7)),
        (list[1].mark, (5, 7)),
        (list[1].get("a").expect("a").mark, (5, 11)),
    ];
    for (i, (mark, (line, col))) in cases.into_iter().enumerate() {
        assert_eq!(mark, Mark { line, col }, "case {i}");
    }
    assert_eq!(Mark { line: 2, col: 8 }.to_string(), "2:8");
}

#[derive(Debug, Deserialize, PartialEq, Default)]
#[serde(default)]
struct Job {
    name: String,
    always_run: bool,
    max_concurrency: u32,
    weight: f64,
    labels: BTreeMap<String, String>,
    branches: Vec<String>,
    optional: Option<bool>,
    kind: Kind,
    #[serde(flatten)]
    brancher: Brancher,
}

#[derive(Debug, Deserialize, PartialEq, Default)]
#[serde(default)]
struct Brancher {
    skip_branches: Vec<String>,
}

#[derive(Debug, Deserialize, PartialEq, Default)]
#[serde(rename_all = "lowercase")]
enum Kind {
    #[default]
    Presubmit,
    Periodic,
}

fn decode<'de, T: Deserialize<'de>>(node: &'de Node) -> (Result<T, YamlError>, Vec<UnknownField>) {
    let mut unknown = Vec::new();
    let result = from_node(node, &mut unknown);
    (result, unknown)
}

#[test]
fn typed_deserialization_follows_encoding_json() {
    let text = "name: job\nalways_run: yes\nmax_concurrency: 0x10\nweight: 2\nlabels: {a: b}\nbranches: [main]\noptional: ~\nkind: periodic\nskip_branches: [old]\n";
    let root = parse(text).expect("parses").root;
    let (job, unknown) = decode::<Job>(&root);
    assert_eq!(
        job.expect("decodes"),
        Job {
            name: "job".into(),
            always_run: true,
            max_concurrency: 16,
            weight: 2.0,
            labels: BTreeMap::from([("a".into(), "b".into())]),
            branches: vec!["main".into()],
            optional: None,
            kind: Kind::Periodic,
            brancher: Brancher {
                skip_branches: vec!["old".into()],
            },
        }
    );
    assert!(unknown.is_empty(), "{unknown:?}");
    // null gives the default.
    let root = parse("name:\nbranches: ~\nlabels:\nalways_run: null\n")
        .expect("parses")
        .root;
    assert_eq!(decode::<Job>(&root).0.expect("decodes"), Job::default());
}

#[test]
fn type_errors_name_path_mark_and_fix() {
    let cases = [
        (
            "name: [a]\n",
            "name",
            (1, 7),
            "expected a string, found a sequence",
        ),
        (
            "always_run: 'yes'\n",
            "always_run",
            (1, 13),
            "expected a boolean, found string `yes`",
        ),
        (
            "max_concurrency: 1.5\n",
            "max_concurrency",
            (1, 18),
            "expected an integer, found float `1.5`",
        ),
        (
            "max_concurrency: -1\n",
            "max_concurrency",
            (1, 18),
            "invalid value: integer `-1`",
        ),
        (
            "weight: abc\n",
            "weight",
            (1, 9),
            "expected a number, found string `abc`",
        ),
        ("kind: weekly\n", "kind", (1, 7), "unknown variant `weekly`"),
        ("- a\n", "", (1, 1), "expected a mapping, found a sequence"),
    ];
    for (text, path, (line, col), message) in cases {
        let root = parse(text).expect("parses").root;
        let err = decode::<Job>(&root).0.expect_err(text);
        assert_eq!(err.path, path, "{text:?}: {err}");
        assert_eq!(err.mark, Some(Mark { line, col }), "{text:?}: {err}");
        assert!(err.message.contains(message), "{text:?}: got {err}");
    }
    let root = parse("spec:\n  name: [5]\n").expect("parses").root;
    let job = root.get("spec").expect("spec");
    let mut unknown = Vec::new();
    let err = from_node_at::<Job>(job, "presubmits.org/repo[3]", &mut unknown).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "2:9: presubmits.org/repo[3].name: expected a string, found a sequence"
    );
}

#[test]
fn unknown_fields_are_collected_with_key_marks() {
    let text = "name: a\nnmae: b\nlabels: {x: z}\nextra:\n  deep: 1\n";
    let root = parse(text).expect("parses").root;
    // No `#[serde(flatten)]` here: serde buffers the keys a flattened struct does not take and
    // drops them without asking the deserializer, so they cannot be seen (nor by serde_ignored).
    #[derive(Deserialize)]
    struct Named {
        name: String,
        #[serde(default)]
        #[allow(dead_code)]
        labels: BTreeMap<String, String>,
    }
    let (job, unknown) = decode::<Named>(&root);
    assert_eq!(job.expect("decodes").name, "a");
    assert_eq!(
        unknown,
        vec![
            UnknownField {
                path: "nmae".into(),
                mark: Mark { line: 2, col: 1 }
            },
            UnknownField {
                path: "extra".into(),
                mark: Mark { line: 4, col: 1 }
            },
        ]
    );
}

#[test]
fn unknown_fields_inside_a_kubernetes_pod_spec_are_reported() {
    use k8s_openapi::api::core::v1::PodSpec;
    let text = "\
presubmits:
  org/repo:
  - name: job
    spec:
      containers:
      - image: golang
        imagePullPolicyy: Always
        command: [make]
        resources:
          requests:
            cpu: 2
            memory: 1Gi
      nodeSelektor: {a: b}
";
    let root = parse(text).expect("parses").root;
    let spec = root
        .get("presubmits")
        .and_then(|p| p.get("org/repo"))
        .and_then(Node::as_seq)
        .and_then(|jobs| jobs[0].get("spec"))
        .expect("spec");
    let mut unknown = Vec::new();
    let pod: PodSpec =
        from_node_at(spec, "presubmits.org/repo[0].spec", &mut unknown).expect("decodes");
    assert_eq!(pod.containers[0].image.as_deref(), Some("golang"));
    assert_eq!(
        unknown,
        vec![
            UnknownField {
                path: "presubmits.org/repo[0].spec.containers[0].imagePullPolicyy".into(),
                mark: Mark { line: 7, col: 9 },
            },
            UnknownField {
                path: "presubmits.org/repo[0].spec.nodeSelektor".into(),
                mark: Mark { line: 13, col: 7 },
            },
        ]
    );
}

#[test]
fn enums_take_the_usual_serde_forms() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Strategy {
        Merge,
        Squash(String),
        Rebase { onto: String },
        Pair(u8, u8),
    }
    let cases = [
        ("merge", Strategy::Merge),
        ("{merge: ~}", Strategy::Merge),
        ("squash: all", Strategy::Squash("all".into())),
        (
            "rebase: {onto: main}",
            Strategy::Rebase {
                onto: "main".into(),
            },
        ),
        ("pair: [1, 2]", Strategy::Pair(1, 2)),
    ];
    for (text, want) in cases {
        let root = parse(text).expect("parses").root;
        assert_eq!(decode::<Strategy>(&root).0.expect(text), want, "{text}");
    }
    let root = parse("rebase: {onto: [5]}").expect("parses").root;
    let err = decode::<Strategy>(&root).0.expect_err("fails");
    assert_eq!(err.path, "rebase.onto", "{err}");
    assert_eq!(err.mark, Some(Mark { line: 1, col: 16 }), "{err}");
}

#[test]
fn struct_fields_match_case_insensitively_like_encoding_json() {
    use k8s_openapi::api::core::v1::EnvVar;
    let root = parse("NAME: a\nValue: b\n").expect("parses").root;
    let (env, unknown) = decode::<EnvVar>(&root);
    let env = env.expect("decodes");
    assert_eq!((env.name.as_str(), env.value.as_deref()), ("a", Some("b")));
    assert!(unknown.is_empty(), "{unknown:?}");
    // Maps keep their keys as written.
    let root = parse("NAME: a\n").expect("parses").root;
    let (map, _) = decode::<BTreeMap<String, String>>(&root);
    assert_eq!(map.expect("decodes").keys().collect::<Vec<_>>(), ["NAME"]);
}

#[test]
fn any_value_deserializes_to_the_resolved_type() {
    let text = "a: [1, 1.5, yes, ~, 'x', 0o17, 1e3]\n";
    let root = parse(text).expect("parses").root;
    let (value, _) = decode::<serde_json::Value>(&root);
    let value = value.expect("decodes");
    assert_eq!(value, json!({"a": [1, 1.5, true, null, "x", 15, 1000]}));
    assert_eq!(value, root.to_json());
}

#[test]
fn strings_are_borrowed_from_the_node() {
    #[derive(Deserialize)]
    struct Borrowing<'a> {
        #[serde(borrow)]
        name: &'a str,
    }
    let root = parse("name: borrowed\n").expect("parses").root;
    let (value, _) = decode::<Borrowing<'_>>(&root);
    assert_eq!(value.expect("decodes").name, "borrowed");
}

#[test]
fn plain_numbers_and_booleans_become_strings_where_a_string_is_expected() {
    // sigs.k8s.io/yaml converts them when the Go target is a string (struct field, map value
    // or slice element), spelling them as JSON would.
    let cases = [
        ("name: 123\n", "123"),
        ("name: yes\n", "true"),
        ("name: Off\n", "false"),
        ("name: 0x10\n", "16"),
        ("name: 1.50\n", "1.5"),
        ("name: 1e6\n", "1e+06"),
        ("name: '007'\n", "007"),
    ];
    for (text, expected) in cases {
        let root = parse(text).expect("parses").root;
        let job: Job = decode(&root).0.unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(job.name, expected, "{text:?}");
    }
    let root = parse("labels: {a: 1}\nbranches: [main, 7]\n")
        .expect("parses")
        .root;
    let job: Job = decode(&root).0.expect("decodes");
    assert_eq!(job.labels.get("a").map(String::as_str), Some("1"));
    assert_eq!(job.branches, ["main", "7"]);
}
