//! Renders measure-language diagnostics for a terminal with `annotate-snippets`.

use annotate_snippets::{Level, Renderer, Snippet};

use crate::dsl::{self, Diagnostic, Source};

/// Renders one diagnostic: `error[CODE]: message`, `--> file:line:col`, the excerpt with
/// carets and labels, and the help.
pub(crate) fn diagnostic(d: &Diagnostic, source: &Source, color: bool) -> String {
    let level = match d.level {
        dsl::Level::Error => Level::Error,
        dsl::Level::Warning => Level::Warning,
    };
    let text = source.text();
    let clamp = |r: std::ops::Range<usize>| {
        let end = r.end.min(text.len());
        let start = r.start.min(end);
        start..end.max(start)
    };
    let labels: Vec<(std::ops::Range<usize>, &str)> = d
        .labels
        .iter()
        .map(|(s, l)| (clamp(s.range()), l.as_str()))
        .collect();
    let mut snippet = Snippet::source(text)
        .origin(source.name())
        .line_start(1)
        .fold(true)
        .annotation(level.span(clamp(d.span.range())));
    for (range, label) in &labels {
        snippet = snippet.annotation(Level::Info.span(range.clone()).label(label));
    }
    let help = d.help.as_deref().unwrap_or("");
    let mut message = level.title(&d.message).id(d.code).snippet(snippet);
    if !help.is_empty() {
        message = message.footer(Level::Help.title(help));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    format!("{}\n\n", renderer.render(message))
}
