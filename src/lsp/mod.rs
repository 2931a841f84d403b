//! `oncoqual lsp`: a language server for `.oqm` measure specs over standard input and
//! output (the Language Server Protocol, JSON-RPC framed by `Content-Length` headers).
//!
//! - **Diagnostics as you type**: on open, change (full text) and save, the file's library
//!   (the nearest folder above it holding `lib/` or `valuesets/`, else the workspace folder)
//!   is read from disk with the open buffers over it and checked exactly as `oncoqual check`
//!   checks it; every file of the library with diagnostics gets them.
//! - **Quick fixes**: a diagnostic with a did-you-mean suggestion offers a code action that
//!   replaces the misspelt name.
//! - **Hover**: a chart field's type and data-dictionary text, a define's signature, type
//!   and leading `#` comment, a value set's title and size, the catalog text of the measure
//!   on its header and of a population on its keyword.
//! - **Go to definition** of defines (across `use`d libraries), value sets and libraries.
//! - **Completion** of chart paths (roots, then `x.` fields by what `x` is), enumeration
//!   values after `=` / `in [`, defines in scope, built-ins and keywords.
//! - **Document symbols**: the measure with its defines, populations and stratifiers.
//!
//! Positions are UTF-16 columns, as the protocol counts them. Built on `lsp-server`'s message
//! types with a synchronous loop and a reader of its own that bounds every header and
//! message, answers unreadable input with a JSON-RPC error and goes on.
//!
//! Nothing here reads patient data: the server sees specs, value sets and the catalog.

mod features;
mod transport;
mod workspace;

use std::io::{self, BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use lsp_server::{Message, Notification, Request, RequestId, Response};
use serde_json::{Value, json};

use crate::dsl::{Diagnostic, Level, Source, Span};
use features::{Ctx, ItemKind, SymbolKind};
use transport::Incoming;
use workspace::{Doc, Workspace, library_root, name_in};

/// JSON-RPC error codes.
mod code {
    pub(super) const INVALID_REQUEST: i32 = -32600;
    pub(super) const METHOD_NOT_FOUND: i32 = -32601;
    pub(super) const INVALID_PARAMS: i32 = -32602;
    pub(super) const INTERNAL_ERROR: i32 = -32603;
    pub(super) const SERVER_NOT_INITIALIZED: i32 = -32002;
}

/// Serves one client on `input` / `output` until `exit` or the end of the input. Returns
/// whether the client asked to shut down first (the exit code is 0 then, else 1).
pub(crate) fn serve(mut input: impl BufRead, output: impl Write) -> io::Result<bool> {
    let mut server = Server {
        out: output,
        ws: Workspace::default(),
        initialized: false,
        shutdown: false,
    };
    loop {
        match transport::read(&mut input)? {
            Incoming::Eof => return Ok(server.shutdown),
            Incoming::Malformed(why) => transport::write_parse_error(&mut server.out, why)?,
            Incoming::Message(Message::Request(req)) => server.request(req)?,
            Incoming::Message(Message::Notification(n)) => {
                if n.method == "exit" {
                    return Ok(server.shutdown);
                }
                let outcome = catch_unwind(AssertUnwindSafe(|| server.notification(n)));
                match outcome {
                    Ok(r) => r?,
                    // A bug of ours: the notification is dropped and the server goes on.
                    Err(_) => continue,
                }
            }
            Incoming::Message(Message::Response(_)) => {}
        }
    }
}

struct Server<W: Write> {
    out: W,
    ws: Workspace,
    initialized: bool,
    shutdown: bool,
}

/// A request's failure: a JSON-RPC error code and message.
type Failure = (i32, String);

fn params<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|e| {
        // serde's message names the field and the expected type; it is the client's own
        // request, never patient data.
        (code::INVALID_PARAMS, format!("invalid params: {e}"))
    })
}

impl<W: Write> Server<W> {
    fn send(&mut self, message: Message) -> io::Result<()> {
        transport::write_message(&mut self.out, &message)
    }

    fn reply(&mut self, id: RequestId, result: Result<Value, Failure>) -> io::Result<()> {
        let response = match result {
            Ok(v) => Response::new_ok(id, v),
            Err((c, m)) => Response::new_err(id, c, m),
        };
        self.send(Message::Response(response))
    }

    fn request(&mut self, req: Request) -> io::Result<()> {
        let id = req.id.clone();
        if req.method == "initialize" {
            let result = if self.initialized {
                Err((code::INVALID_REQUEST, "already initialized".to_owned()))
            } else {
                self.initialize(req.params)
            };
            return self.reply(id, result);
        }
        if !self.initialized {
            let e = (code::SERVER_NOT_INITIALIZED, "not initialized".to_owned());
            return self.reply(id, Err(e));
        }
        if self.shutdown {
            let e = (
                code::INVALID_REQUEST,
                "the server is shutting down".to_owned(),
            );
            return self.reply(id, Err(e));
        }
        if req.method == "shutdown" {
            self.shutdown = true;
            return self.reply(id, Ok(Value::Null));
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| self.handle(&req.method, req.params)));
        let result = outcome.unwrap_or_else(|_| {
            Err((
                code::INTERNAL_ERROR,
                format!("internal error while answering `{}`", req.method),
            ))
        });
        self.reply(id, result)
    }

    fn initialize(&mut self, value: Value) -> Result<Value, Failure> {
        let p: lsp_types::InitializeParams = params(value)?;
        let mut folders: Vec<PathBuf> = p
            .workspace_folders
            .unwrap_or_default()
            .iter()
            .filter_map(|f| uri_to_path(f.uri.as_str()))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty()
            && let Some(root) = p.root_uri.as_ref().and_then(|u| uri_to_path(u.as_str()))
        {
            folders.push(root);
        }
        self.ws.folders = folders;
        self.initialized = true;
        Ok(json!({
            "capabilities": {
                "positionEncoding": "utf-16",
                "textDocumentSync": {
                    "openClose": true,
                    "change": 1,
                    "save": { "includeText": false }
                },
                "hoverProvider": true,
                "definitionProvider": true,
                "completionProvider": { "triggerCharacters": ["."] },
                "documentSymbolProvider": true,
                "codeActionProvider": { "codeActionKinds": ["quickfix"] }
            },
            "serverInfo": { "name": "oncoqual", "version": env!("CARGO_PKG_VERSION") }
        }))
    }

    fn handle(&mut self, method: &str, value: Value) -> Result<Value, Failure> {
        match method {
            "textDocument/hover" => {
                let p: lsp_types::HoverParams = params(value)?;
                let pos = p.text_document_position_params;
                self.at(
                    pos.text_document.uri.as_str(),
                    pos.position,
                    |ctx, offset| {
                        Ok(match features::hover(ctx, offset) {
                            Some((text, span)) => json!({
                                "contents": { "kind": "markdown", "value": text },
                                "range": range(ctx.source, span),
                            }),
                            None => Value::Null,
                        })
                    },
                )
            }
            "textDocument/definition" => {
                let p: lsp_types::GotoDefinitionParams = params(value)?;
                let pos = p.text_document_position_params;
                let place = self.at(pos.text_document.uri.as_str(), pos.position, |ctx, offset| {
                    Ok(features::definition(ctx, offset).map(|place| {
                        let target = place
                            .name
                            .as_deref()
                            .and_then(|n| ctx.analysis.sources.get(n));
                        let r = match target {
                            Some(src) => range(src, place.span),
                            None => json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}),
                        };
                        json!({ "uri": path_to_uri(&place.path), "range": r })
                    }))
                })?;
                Ok(place)
            }
            "textDocument/completion" => {
                let p: lsp_types::CompletionParams = params(value)?;
                let pos = p.text_document_position;
                self.at(
                    pos.text_document.uri.as_str(),
                    pos.position,
                    |ctx, offset| {
                        let items: Vec<Value> = features::complete(ctx, offset)
                            .into_iter()
                            .map(|i| {
                                json!({
                                    "label": i.label,
                                    "kind": completion_kind(i.kind),
                                    "detail": i.detail,
                                })
                            })
                            .collect();
                        Ok(json!({ "isIncomplete": false, "items": items }))
                    },
                )
            }
            "textDocument/documentSymbol" => {
                let p: lsp_types::DocumentSymbolParams = params(value)?;
                let Some((_, _, source)) = self.source_of(p.text_document.uri.as_str()) else {
                    return Ok(Value::Null);
                };
                let symbols = features::symbols(&source);
                Ok(Value::Array(
                    symbols.iter().map(|s| symbol_json(&source, s)).collect(),
                ))
            }
            "textDocument/codeAction" => {
                let p: lsp_types::CodeActionParams = params(value)?;
                let uri = p.text_document.uri.as_str().to_owned();
                let (start, end) = (p.range.start, p.range.end);
                let fixes = self.at(&uri, start, |ctx, s| {
                    let e = ctx
                        .source
                        .utf16_offset(end.line, end.character)
                        .ok_or_else(past_the_end)?;
                    Ok(features::fixes(ctx, s, e)
                        .into_iter()
                        .map(|f| {
                            json!({
                                "title": f.title,
                                "kind": "quickfix",
                                "isPreferred": true,
                                "diagnostics": [diagnostic_json(ctx.source, &f.diagnostic, &uri)],
                                "edit": { "changes": { uri.clone(): [
                                    { "range": range(ctx.source, f.span), "newText": f.text }
                                ] } }
                            })
                        })
                        .collect::<Vec<Value>>())
                })?;
                Ok(fixes)
            }
            _ => Err((
                code::METHOD_NOT_FOUND,
                format!(
                    "unknown method `{}`",
                    method.chars().take(100).collect::<String>()
                ),
            )),
        }
    }

    /// The library root, the file's name in it and its text (analysing the library first if
    /// it has not been).
    fn source_of(&mut self, uri: &str) -> Option<(PathBuf, String, Source)> {
        let path = uri_to_path(uri)?;
        let root = library_root(&path, &self.ws.folders);
        if !self.ws.analyses.contains_key(&root) {
            self.ws.analyse(&root);
        }
        let name = name_in(&root, &path)?;
        let source = self.ws.analyses.get(&root)?.sources.get(&name)?.clone();
        Some((root, name, source))
    }

    /// Runs `f` on the file of `uri` at `position` (a byte offset); `null` for a file
    /// outside any library, an error for a position past the end.
    fn at<R: Into<Value>>(
        &mut self,
        uri: &str,
        position: lsp_types::Position,
        f: impl FnOnce(&Ctx<'_>, u32) -> Result<R, Failure>,
    ) -> Result<Value, Failure> {
        let Some((root, name, source)) = self.source_of(uri) else {
            return Ok(Value::Null);
        };
        let offset = source
            .utf16_offset(position.line, position.character)
            .ok_or_else(past_the_end)?;
        let Some(analysis) = self.ws.analyses.get(&root) else {
            return Ok(Value::Null);
        };
        let path = root.join(&name);
        let ctx = Ctx {
            root: &root,
            analysis,
            name: &name,
            source: &source,
            settled: self.ws.settled.get(&path),
        };
        f(&ctx, offset).map(Into::into)
    }

    fn notification(&mut self, n: Notification) -> io::Result<()> {
        if !self.initialized {
            return Ok(());
        }
        let path = match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = params::<lsp_types::DidOpenTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let Some(path) = uri_to_path(p.text_document.uri.as_str()) else {
                    return Ok(());
                };
                let doc = Doc {
                    text: p.text_document.text,
                };
                self.ws.docs.insert(path.clone(), doc);
                path
            }
            "textDocument/didChange" => {
                let Ok(p) = params::<lsp_types::DidChangeTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let Some(path) = uri_to_path(p.text_document.uri.as_str()) else {
                    return Ok(());
                };
                let Some(doc) = self.ws.docs.get_mut(&path) else {
                    return Ok(());
                };
                for change in p.content_changes {
                    match change.range {
                        None => doc.text = change.text,
                        Some(r) => {
                            let src = Source::new("", doc.text.as_str());
                            let s = src.utf16_offset(r.start.line, r.start.character);
                            let e = src.utf16_offset(r.end.line, r.end.character);
                            if let (Some(s), Some(e)) = (s, e)
                                && s <= e
                            {
                                doc.text.replace_range(s as usize..e as usize, &change.text);
                            }
                        }
                    }
                }
                path
            }
            "textDocument/didClose" => {
                let Ok(p) = params::<lsp_types::DidCloseTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let Some(path) = uri_to_path(p.text_document.uri.as_str()) else {
                    return Ok(());
                };
                self.ws.docs.remove(&path);
                path
            }
            "textDocument/didSave" => {
                let Ok(p) = params::<lsp_types::DidSaveTextDocumentParams>(n.params) else {
                    return Ok(());
                };
                let Some(path) = uri_to_path(p.text_document.uri.as_str()) else {
                    return Ok(());
                };
                path
            }
            _ => return Ok(()),
        };
        let root = library_root(&path, &self.ws.folders);
        self.ws.analyse(&root);
        self.publish(&root)
    }

    /// Publishes the diagnostics of every file of the library at `root` that has some, had
    /// some, or is open.
    fn publish(&mut self, root: &Path) -> io::Result<()> {
        let Some(analysis) = self.ws.analyses.get(root) else {
            return Ok(());
        };
        let mut names: std::collections::BTreeSet<String> =
            analysis.diagnostics.keys().cloned().collect();
        let before = self.ws.published.remove(root).unwrap_or_default();
        names.extend(before);
        for path in self.ws.docs.keys() {
            if let Some(name) = name_in(root, path)
                && analysis.sources.contains_key(&name)
            {
                names.insert(name);
            }
        }
        let mut messages = Vec::new();
        for name in &names {
            let diags = analysis.diagnostics.get(name);
            let uri = path_to_uri(&root.join(name));
            let list: Vec<Value> = match (diags, analysis.sources.get(name)) {
                (Some(d), Some(src)) => d.iter().map(|d| diagnostic_json(src, d, &uri)).collect(),
                _ => Vec::new(),
            };
            messages.push(Notification::new(
                "textDocument/publishDiagnostics".to_owned(),
                json!({ "uri": uri, "diagnostics": list }),
            ));
        }
        let now = analysis.diagnostics.keys().cloned().collect();
        self.ws.published.insert(root.to_path_buf(), now);
        for m in messages {
            self.send(Message::Notification(m))?;
        }
        Ok(())
    }
}

fn past_the_end() -> Failure {
    (
        code::INVALID_PARAMS,
        "the position is past the end of the document".to_owned(),
    )
}

fn position(source: &Source, offset: u32) -> Value {
    let (line, character) = source.utf16_position(offset);
    json!({ "line": line, "character": character })
}

fn range(source: &Source, span: Span) -> Value {
    json!({ "start": position(source, span.start), "end": position(source, span.end) })
}

fn diagnostic_json(source: &Source, d: &Diagnostic, uri: &str) -> Value {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let severity = match d.level {
        Level::Warning => 2,
        _ => 1,
    };
    let mut v = json!({
        "range": range(source, d.span),
        "severity": severity,
        "code": d.code,
        "source": "oncoqual",
        "message": message,
    });
    if !d.labels.is_empty()
        && let Some(obj) = v.as_object_mut()
    {
        let related: Vec<Value> = d
            .labels
            .iter()
            .map(|(span, label)| {
                json!({ "location": { "uri": uri, "range": range(source, *span) }, "message": label })
            })
            .collect();
        obj.insert("relatedInformation".into(), Value::Array(related));
    }
    v
}

fn completion_kind(kind: ItemKind) -> u32 {
    // The protocol's CompletionItemKind numbers.
    match kind {
        ItemKind::Field => 5,
        ItemKind::Define => 3,
        ItemKind::Enum => 20,
        ItemKind::Keyword => 14,
        ItemKind::Function => 3,
        ItemKind::Variable => 6,
        ItemKind::ValueSet => 21,
    }
}

fn symbol_json(source: &Source, s: &features::Symbol) -> Value {
    // The protocol's SymbolKind numbers.
    let kind = match s.kind {
        SymbolKind::Measure => 2,
        SymbolKind::Library => 3,
        SymbolKind::Define => 12,
        SymbolKind::Population => 7,
        SymbolKind::Stratifier => 8,
    };
    let mut v = json!({
        "name": s.name,
        "kind": kind,
        "range": range(source, s.span),
        "selectionRange": range(source, s.name_span),
        "children": s.children.iter().map(|c| symbol_json(source, c)).collect::<Vec<_>>(),
    });
    if let (Some(d), Some(obj)) = (&s.detail, v.as_object_mut()) {
        obj.insert("detail".into(), d.clone().into());
    }
    v
}

/// The path of a `file:` URI (percent-decoded), `None` for another scheme.
pub(crate) fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // An authority (`localhost`) before the path.
    let path = match rest.find('/') {
        Some(i) => rest.get(i..)?,
        None => return None,
    };
    let mut bytes = Vec::with_capacity(path.len());
    let raw = path.as_bytes();
    let mut i = 0usize;
    while let Some(&b) = raw.get(i) {
        if b == b'%'
            && let Some(hex) = path.get(i.saturating_add(1)..i.saturating_add(3))
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            bytes.push(v);
            i = i.saturating_add(3);
            continue;
        }
        bytes.push(b);
        i = i.saturating_add(1);
    }
    let text = String::from_utf8(bytes).ok()?;
    // `file:///C:/x` on Windows.
    #[cfg(windows)]
    let text = text
        .strip_prefix('/')
        .filter(|t| t.get(1..2) == Some(":"))
        .map_or(text.clone(), str::to_owned);
    Some(PathBuf::from(text))
}

/// The `file:` URI of a path (percent-encoding what a URI path cannot hold).
pub(crate) fn path_to_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) || (b == b':');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths_round_trip() {
        let p = Path::new("/tmp/a b/é#.oqm");
        let uri = path_to_uri(p);
        assert_eq!(uri, "file:///tmp/a%20b/%C3%A9%23.oqm");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(p));
        assert_eq!(
            uri_to_path("file://localhost/x/y.oqm").as_deref(),
            Some(Path::new("/x/y.oqm"))
        );
        assert_eq!(uri_to_path("untitled:Untitled-1"), None);
        assert_eq!(uri_to_path("file://%ff"), None);
    }
}
