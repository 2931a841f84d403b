//! `oncoqual lsp`: the real binary driven over standard input and output with recorded
//! exchanges (`tests/lsp/*.json`: the client's messages and the server's expected messages,
//! with the library folder's URI written `${ROOT}`), and bad input that must be answered
//! with an error, never a crash or a hang. `ONCOQUAL_LSP_RECORD=1` rewrites the expected
//! messages from the server's (review the diff before committing it).
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use cli_support::{Dir, bin};
use serde_json::{Value, json};

/// The library fixture copied into a scratch folder.
fn library(tag: &str) -> Dir {
    let dir = Dir::new(tag);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp/library");
    for sub in ["lib", "core", "valuesets"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(src.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join(sub).join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn root_uri(dir: &Dir) -> String {
    format!("file://{}", dir.path().to_str().unwrap())
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Runs the server on `input` and returns its messages; fails if it does not end within
/// a minute (a hang) or ends by a signal (a crash).
fn run_server(input: Vec<u8>) -> (Vec<Value>, i32) {
    let mut child = bin()
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let out = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out,
        Err(_) => {
            let _ = child.kill();
            panic!("the server hung");
        }
    };
    writer.join().unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        !stderr.contains("panicked"),
        "the server panicked: {stderr}"
    );
    let code = status.code().expect("the server ended by a signal");
    (parse_messages(&out), code)
}

fn parse_messages(mut out: &[u8]) -> Vec<Value> {
    let mut messages = Vec::new();
    while !out.is_empty() {
        let header_end = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header");
        let header = std::str::from_utf8(&out[..header_end]).unwrap();
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .expect("a Content-Length header")
            .parse()
            .unwrap();
        let body = &out[header_end + 4..header_end + 4 + length];
        messages.push(serde_json::from_slice(body).unwrap());
        out = &out[header_end + 4 + length..];
    }
    messages
}

/// Replaces `${ROOT}` in every string of `v` by `root`, and `${FILE:name}` (a whole
/// string) by the text of the library's file `name`.
fn fill(v: &mut Value, dir: &Dir, root: &str) {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${FILE:").and_then(|r| r.strip_suffix('}')) {
                *s = std::fs::read_to_string(dir.path().join(name)).unwrap();
            } else {
                *s = s.replace("${ROOT}", root);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| fill(i, dir, root)),
        Value::Object(map) => map.values_mut().for_each(|i| fill(i, dir, root)),
        _ => {}
    }
}

/// The server's messages with the root's URI written `${ROOT}` and the version `${VERSION}`.
fn normalise(v: &mut Value, root: &str) {
    match v {
        Value::String(s) => {
            *s = s.replace(root, "${ROOT}");
            if s == env!("CARGO_PKG_VERSION") {
                *s = "${VERSION}".into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| normalise(i, root)),
        Value::Object(map) => {
            // A URI can be a key too (a workspace edit's `changes`).
            let entries = std::mem::take(map);
            for (k, mut v) in entries {
                normalise(&mut v, root);
                map.insert(k.replace(root, "${ROOT}"), v);
            }
        }
        _ => {}
    }
}

/// Plays the recorded exchange `tests/lsp/NAME.json` and compares the server's messages
/// with the recorded ones; returns them.
fn play(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/lsp/{name}.json"));
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let dir = library(&format!("lsp-{name}"));
    let root = root_uri(&dir);
    let mut input = Vec::new();
    for m in recorded["client"].as_array().unwrap() {
        let mut m = m.clone();
        fill(&mut m, &dir, &root);
        if let Some(raw) = m.get("raw").and_then(Value::as_str) {
            input.extend_from_slice(raw.as_bytes());
        } else if let Some(bytes) = m.get("raw_bytes").and_then(Value::as_array) {
            input.extend(
                bytes
                    .iter()
                    .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap()),
            );
        } else {
            input.extend(frame(serde_json::to_string(&m).unwrap().as_bytes()));
        }
    }
    let (mut got, code) = run_server(input);
    got.iter_mut().for_each(|m| normalise(m, &root));
    let expected_code = recorded["exit_code"].as_i64().unwrap_or(0);
    assert_eq!(i64::from(code), expected_code, "exit code");
    if std::env::var_os("ONCOQUAL_LSP_RECORD").is_some() {
        let mut updated = recorded.clone();
        updated["server"] = Value::Array(got.clone());
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&updated).unwrap() + "\n",
        )
        .unwrap();
        return got;
    }
    let expected = recorded["server"].as_array().unwrap();
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert_eq!(
            g,
            e,
            "server message {i} differs:\n got: {}\nwant: {}",
            serde_json::to_string_pretty(g).unwrap(),
            serde_json::to_string_pretty(e).unwrap()
        );
    }
    assert_eq!(got.len(), expected.len(), "server messages: {got:#?}");
    got
}

fn response(messages: &[Value], id: i64) -> &Value {
    messages
        .iter()
        .find(|m| m["id"] == json!(id))
        .unwrap_or_else(|| panic!("no response {id}"))
}

#[test]
fn a_session_diagnoses_fixes_hovers_navigates_completes_and_outlines() {
    let got = play("session");
    // What the recorded answers must say, spelled out.
    let diagnostics: Vec<&Value> = got
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .collect();
    let first = &diagnostics[0]["params"];
    assert!(first["uri"].as_str().unwrap().ends_with("core/pain.oqm"));
    assert_eq!(first["diagnostics"][0]["code"], "E0201");
    assert!(
        diagnostics
            .iter()
            .any(|d| d["params"]["diagnostics"] == json!([])),
        "the fix clears the diagnostics"
    );
    let fix = &response(&got, 2)["result"][0];
    assert_eq!(fix["kind"], "quickfix");
    let edits = fix["edit"]["changes"].as_object().unwrap();
    let edit = &edits.values().next().unwrap()[0];
    assert_eq!(edit["newText"], "office_visits");
    let text = |id| {
        response(&got, id)["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        text(3).contains("diagnosis_date: optional date"),
        "{}",
        text(3)
    );
    assert!(text(4).contains("list of record Encounter"), "{}", text(4));
    assert!(text(4).contains("A comment of two lines"), "{}", text(4));
    assert!(
        text(5).contains("Pain assessed by the second office visit"),
        "{}",
        text(5)
    );
    // Hover after a string of non-ASCII characters: columns are UTF-16 units.
    assert!(text(6).contains("define recent"), "{}", text(6));
    let def = &response(&got, 7)["result"];
    assert_eq!(def["uri"], "${ROOT}/lib/common.oqm");
    assert_eq!(def["range"]["start"], json!({"line": 6, "character": 7}));
    let vs = &response(&got, 8)["result"];
    assert_eq!(vs["uri"], "${ROOT}/valuesets/oropharynx-sites.json");
    let labels: Vec<&str> = response(&got, 9)["result"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"diagnosis_date") && labels.contains(&"stage_group"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"encounters"), "{labels:?}");
    let symbols = &response(&got, 10)["result"][0];
    assert_eq!(symbols["name"], "core.pain-assessed-by-second-visit");
    let children: Vec<&str> = symbols["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        children.contains(&"recent") && children.contains(&"numerator"),
        "{children:?}"
    );
}

#[test]
fn bad_input_is_answered_with_errors_and_never_stops_the_server() {
    let got = play("bad-input");
    let errors: Vec<i64> = got
        .iter()
        .filter_map(|m| m["error"]["code"].as_i64())
        .collect();
    // Before initialize; malformed JSON; not UTF-8; too long; unknown method; a position
    // past the end; invalid params.
    for code in [-32002, -32700, -32601, -32602] {
        assert!(errors.contains(&code), "{code} in {errors:?}");
    }
}

#[test]
fn a_file_too_large_or_not_utf8_is_a_diagnostic() {
    let dir = library("lsp-large");
    let root = root_uri(&dir);
    std::fs::write(dir.path().join("core/bad.oqm"), b"measure \xff\xfe\n").unwrap();
    let huge = "# x\n".repeat(5 << 20);
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "rootUri": root}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": format!("{root}/core/huge.oqm"), "languageId": "oqm", "version": 1, "text": huge}}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": format!("{root}/core/huge.oqm")}, "position": {"line": 0, "character": 0}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
        json!({"jsonrpc": "2.0", "method": "exit"}),
    ];
    let mut input = Vec::new();
    for m in &messages {
        input.extend(frame(serde_json::to_string(m).unwrap().as_bytes()));
    }
    let (got, code) = run_server(input);
    assert_eq!(code, 0);
    let diags: Vec<&Value> = got
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .collect();
    let of = |name: &str| {
        diags
            .iter()
            .find(|d| d["params"]["uri"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no diagnostics for {name}: {diags:?}"))["params"]["diagnostics"]
            .clone()
    };
    assert_eq!(of("core/bad.oqm")[0]["code"], "E0005");
    assert!(
        of("core/bad.oqm")[0]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert_eq!(of("core/huge.oqm")[0]["code"], "E0005");
    assert!(response(&got, 2)["error"].is_object() || response(&got, 2)["result"].is_null());
}
