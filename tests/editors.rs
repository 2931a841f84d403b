//! The VS Code extension folder (`editors/vscode/`): its manifest, language configuration
//! and TextMate grammar parse, agree with each other, and the grammar highlights every
//! keyword of the language (the parser's reserved words, read from `src/dsl/parser.rs`, and
//! the population keywords). No npm here: the files are checked as JSON.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The reserved words, as `src/dsl/parser.rs` lists them in `RESERVED`.
fn reserved_words() -> Vec<String> {
    let parser = read("src/dsl/parser.rs");
    let start = parser
        .find("pub(crate) const RESERVED: &[&str] = &[")
        .expect("the RESERVED table");
    let body = &parser[start..];
    let end = body.find("];").unwrap();
    let words: Vec<String> = body[..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(words.len() > 20, "{words:?}");
    words
}

/// Every alternative of every `(a|b|c)` group of the grammar's `match` patterns.
fn grammar_words(grammar: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "match"
                        && let Some(re) = v.as_str()
                    {
                        let mut rest = re;
                        while let Some(open) = rest.find('(') {
                            rest = &rest[open + 1..];
                            let Some(close) = rest.find(')') else { break };
                            for alt in rest[..close].split('|') {
                                out.insert(alt.trim_start_matches("?:").to_owned());
                            }
                        }
                        // A lone `\bword\b`.
                        if let Some(w) = re.strip_prefix("\\b").and_then(|r| r.strip_suffix("\\b"))
                        {
                            out.insert(w.to_owned());
                        }
                    } else {
                        walk(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(grammar, &mut out);
    out
}

#[test]
fn the_grammar_highlights_every_keyword() {
    let grammar = json("editors/vscode/syntaxes/oqm.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.oqm");
    let words = grammar_words(&grammar);
    let populations = [
        "initial_population",
        "denominator",
        "denominator_exclusion",
        "denominator_exception",
        "numerator",
        "numerator_exclusion",
    ];
    let missing: Vec<String> = reserved_words()
        .into_iter()
        .chain(populations.map(str::to_owned))
        .chain(["reporting_period", "missing", "present", "desc"].map(str::to_owned))
        .filter(|w| !words.contains(w))
        .collect();
    assert!(missing.is_empty(), "not highlighted: {missing:?}");
    // Every pattern included from the top is defined in the repository.
    let repo = grammar["repository"].as_object().unwrap();
    for p in grammar["patterns"].as_array().unwrap() {
        let name = p["include"].as_str().unwrap().trim_start_matches('#');
        assert!(repo.contains_key(name), "#{name} is not in the repository");
    }
}

#[test]
fn the_extension_manifest_contributes_the_language_grammar_and_server() {
    let pkg = json("editors/vscode/package.json");
    let lang = &pkg["contributes"]["languages"][0];
    assert_eq!(lang["id"], "oqm");
    assert!(
        lang["extensions"]
            .as_array()
            .unwrap()
            .contains(&".oqm".into())
    );
    let config_path = format!(
        "editors/vscode/{}",
        lang["configuration"]
            .as_str()
            .unwrap()
            .trim_start_matches("./")
    );
    let config = json(&config_path);
    assert_eq!(config["comments"]["lineComment"], "#");
    assert!(config["brackets"].as_array().unwrap().len() >= 3);
    let g = &pkg["contributes"]["grammars"][0];
    assert_eq!(g["language"], "oqm");
    assert_eq!(g["scopeName"], "source.oqm");
    let grammar_path = format!(
        "editors/vscode/{}",
        g["path"].as_str().unwrap().trim_start_matches("./")
    );
    assert_eq!(json(&grammar_path)["scopeName"], "source.oqm");
    assert!(pkg["dependencies"]["vscode-languageclient"].is_string());
    let main = pkg["main"].as_str().unwrap().trim_start_matches("./");
    let ext = read(&format!("editors/vscode/{main}"));
    assert!(
        ext.contains("args: ['lsp']"),
        "the extension starts `oncoqual lsp`"
    );
    assert!(read("editors/vscode/README.md").contains("oncoqual lsp"));
}
