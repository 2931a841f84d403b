//! Diagnostics of the measure language: every error of a file, each with a location, a caret
//! excerpt, labelled secondary spans and an optional `help` (did you mean ...).

use std::fmt;

use super::span::{Source, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Level {
    /// Something to look at; the spec still compiles.
    Warning,
    /// The spec does not compile.
    Error,
}

/// One diagnostic about a measure file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// Stable code (`E0101`, ...), one per kind of problem.
    pub code: &'static str,
    /// What is wrong: lowercase, no trailing period, names in backticks.
    pub message: String,
    /// Where.
    pub span: Span,
    /// Secondary places, each with what it shows ("first defined here").
    pub labels: Vec<(Span, String)>,
    /// Advice, e.g. a did-you-mean suggestion.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and `message` at `span`.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            span,
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a secondary labelled span.
    pub fn with_label(mut self, span: Span, label: impl Into<String>) -> Self {
        self.labels.push((span, label.into()));
        self
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic against its source: `file:line:col`, the line with a caret
    /// under the span, labels, and help.
    pub fn render(&self, source: &Source) -> String {
        Rendered {
            diagnostic: self,
            source,
        }
        .to_string()
    }
}

struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a Source,
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnostic;
        let level = match d.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        writeln!(f, "{level}[{}]: {}", d.code, d.message)?;
        excerpt(f, self.source, d.span, "")?;
        for (span, label) in &d.labels {
            excerpt(f, self.source, *span, label)?;
        }
        if let Some(help) = &d.help {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

fn excerpt(f: &mut fmt::Formatter<'_>, source: &Source, span: Span, label: &str) -> fmt::Result {
    let (line, col) = source.line_col(span.start);
    let (end_line, end_col) = source.line_col(span.end);
    writeln!(f, "  --> {}:{line}:{col}", source.name())?;
    let text = source.line_text(line);
    let width = line.to_string().len();
    writeln!(f, "{:width$} |", "")?;
    writeln!(f, "{line:width$} | {text}")?;
    // Columns are 1-based and bounded by the line's length plus one: nothing saturates.
    let last = if end_line == line {
        end_col.max(col.saturating_add(1))
    } else {
        text.chars().count().saturating_add(1)
    };
    let carets = "^".repeat(last.saturating_sub(col).max(1));
    let pad = " ".repeat(col.saturating_sub(1));
    if label.is_empty() {
        writeln!(f, "{:width$} | {pad}{carets}", "")
    } else {
        writeln!(f, "{:width$} | {pad}{carets} {label}", "")
    }
}

/// The closest of `candidates` to `name`, if it is close enough to suggest.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    // A name cut short (`age` for `age_at`) is the likeliest slip: the shortest completion.
    if name.len() >= 3
        && let Some(c) = candidates
            .iter()
            .filter(|c| c.len() > name.len() && c.starts_with(name))
            .min_by_key(|c| (c.len(), **c))
    {
        return Some(c);
    }
    candidates
        .into_iter()
        .map(|c| (c, strsim::damerau_levenshtein(name, c)))
        .filter(|&(c, d)| d > 0 && d <= 2.max(c.len() / 4))
        .min_by_key(|&(c, d)| (d, c))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cut_short_suggests_its_shortest_completion() {
        let names = ["range", "age_at", "age_at_death", "days_between"];
        assert_eq!(did_you_mean("age", names), Some("age_at"));
        assert_eq!(did_you_mean("rang", names), Some("range"));
        assert_eq!(did_you_mean("days_betwen", names), Some("days_between"));
        assert_eq!(did_you_mean("zz", names), None);
    }

    #[test]
    fn renders_location_caret_label_and_help() {
        let src = Source::new("m.oqm", "define a = 1\ndefine b = vists\n");
        let d = Diagnostic::error("E0201", Span::new(24, 29), "unknown name `vists`")
            .with_label(Span::new(7, 8), "a define declared here")
            .with_help("did you mean `visits`?");
        assert_eq!(
            d.render(&src),
            "error[E0201]: unknown name `vists`\n  --> m.oqm:2:12\n  |\n2 | define b = vists\n  |            ^^^^^\n  --> m.oqm:1:8\n  |\n1 | define a = 1\n  |        ^ a define declared here\n  = help: did you mean `visits`?\n"
        );
    }

    #[test]
    fn suggestions_are_close_names_only() {
        assert_eq!(did_you_mean("vists", ["visits", "labs"]), Some("visits"));
        assert_eq!(did_you_mean("zzz", ["visits", "labs"]), None);
    }
}
