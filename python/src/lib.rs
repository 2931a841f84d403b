//! Python bindings of oncoqual: the `oncoqual._oncoqual` extension module behind the
//! `oncoqual` package (`python/oncoqual/`).
//!
//! Thin by design: every check, count and refusal is the crate's own (charts parsed and
//! validated by `oncoqual::io`, evaluated by `Library`, folded by `pipeline::tally_jsonl`
//! under one chart ledger, merged by `Tally::merge`, reported by `Report::build[_for]`),
//! and every error carries the crate's located, PHI-free message. What this file adds is
//! the conversion of Python values (dicts, strings, paths, iterables) to the crate's
//! inputs, the report's tables as plain columns, and the GIL released while Rust works on
//! more than one chart.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use oncoqual::benchmark::{RegistrationPolicy, Report as RReport, ReportOptions, Tally as RTally};
use oncoqual::chart::{ChartKey, FindingKind};
use oncoqual::io::{ChartLedger, JsonlReader, Limits, RecordError};
use oncoqual::measure::{Library as RLibrary, Outcome, Population};
use oncoqual::program::Practices;
use oncoqual::report::{ReportView, tables};
use oncoqual::{Chart, Date, Period, RoundCalendar, parse_chart};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyIterator, PyList, PyString};

create_exception!(
    oncoqual,
    OncoqualError,
    PyException,
    "The base of every error oncoqual raises. Messages say where and what, never a chart's values."
);
create_exception!(
    oncoqual,
    ChartError,
    OncoqualError,
    "A chart was refused (invalid, or its evaluation stopped): the line or field path and what was expected."
);
create_exception!(
    oncoqual,
    SpecError,
    OncoqualError,
    "A measure library did not load or check: every diagnostic with its file, line and column."
);
create_exception!(
    oncoqual,
    TallyError,
    OncoqualError,
    "Counts that cannot be counted together: a chart given twice, tallies that share charts, or of two libraries, versions, chart keys or round calendars."
);
create_exception!(
    oncoqual,
    ReportError,
    OncoqualError,
    "A report could not be built or read (a library or round calendar that is not the tally's)."
);
create_exception!(
    oncoqual,
    ConfigError,
    OncoqualError,
    "An option or configuration input was refused: a period, a rounds file, a practices file, a chart key."
);

/// Error messages listed in one exception at most; the rest are counted.
const SHOWN: usize = 10;

/// The library a handle uses: the bundled one (compiled once per process) or a loaded one.
#[derive(Clone)]
enum Lib {
    Bundled(&'static RLibrary),
    Owned(Arc<RLibrary>),
}

impl std::ops::Deref for Lib {
    type Target = RLibrary;
    fn deref(&self) -> &RLibrary {
        match self {
            Lib::Bundled(l) => l,
            Lib::Owned(l) => l,
        }
    }
}

fn bundled() -> PyResult<Lib> {
    RLibrary::bundled()
        .map(Lib::Bundled)
        .map_err(|e| SpecError::new_err(e.to_string()))
}

// --- Python values to the crate's inputs ------------------------------------------------

/// Whether `obj` names a file: a `str` or an `os.PathLike`.
fn is_path(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    if obj.is_instance_of::<PyString>() {
        return Ok(true);
    }
    let pathlike = obj.py().import("os")?.getattr("PathLike")?;
    obj.is_instance(&pathlike)
}

fn to_path(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    obj.extract::<PathBuf>()
}

/// The JSON text of a value: a `str` as it is, `bytes` as UTF-8, anything else through
/// `json.dumps`. With `one_line`, text with line breaks is written again on one line (a
/// JSONL record). A value `json` cannot write is refused naming its type only.
fn json_text(obj: &Bound<'_, PyAny>, one_line: bool) -> PyResult<String> {
    let py = obj.py();
    let json = py.import("json")?;
    let text: String = if obj.is_instance_of::<PyString>() {
        obj.extract()?
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        String::from_utf8(b.as_bytes().to_vec())
            .map_err(|_| ChartError::new_err("a chart given as bytes is not UTF-8"))?
    } else {
        let kwargs = PyDict::new(py);
        kwargs.set_item("ensure_ascii", false)?;
        kwargs.set_item("allow_nan", false)?;
        return match json.call_method("dumps", (obj,), Some(&kwargs)) {
            Ok(s) => s.extract(),
            Err(_) => Err(ChartError::new_err(format!(
                "a chart of type `{}` cannot be written as JSON (JSON objects, lists, strings, numbers, booleans and None only)",
                obj.get_type().name()?
            ))),
        };
    };
    if one_line && text.contains(['\n', '\r']) {
        let kwargs = PyDict::new(py);
        kwargs.set_item("ensure_ascii", false)?;
        let value = json
            .call_method1("loads", (text.as_str(),))
            .map_err(|_| ChartError::new_err("a chart given as text is not valid JSON"))?;
        return json
            .call_method("dumps", (value,), Some(&kwargs))?
            .extract();
    }
    Ok(text)
}

/// A `START..END` period.
fn period_arg(period: Option<&str>) -> PyResult<Option<Period>> {
    period
        .map(|p| {
            p.parse::<Period>()
                .map_err(|e| ConfigError::new_err(format!("period: {e}")))
        })
        .transpose()
}

/// The text of a configuration input: a path (`str` or `os.PathLike`) read as a file, or a
/// JSON value (dict or list) written as JSON.
fn config_text(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(String, String)> {
    if let Some(text) = json_str(obj)? {
        return Ok((text, what.to_owned()));
    }
    if is_path(obj)? {
        let path = to_path(obj)?;
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError::new_err(format!("{name}: cannot read {what}: {e}")))?;
        return Ok((text, name));
    }
    let json = obj.py().import("json")?;
    let text = json
        .call_method1("dumps", (obj,))
        .map_err(|_| ConfigError::new_err(format!("the {what} cannot be written as JSON")))?;
    Ok((text.extract()?, what.to_owned()))
}

/// A `str` holding JSON text (an object or a list) rather than a path: `None` otherwise.
fn json_str(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if !obj.is_instance_of::<PyString>() {
        return Ok(None);
    }
    let s: String = obj.extract()?;
    Ok(s.trim_start().starts_with(['{', '[']).then_some(s))
}

/// The round calendar: the default one, or a rounds file (path) or rounds object (dict).
fn calendar_arg(rounds: Option<&Bound<'_, PyAny>>) -> PyResult<RoundCalendar> {
    let Some(rounds) = rounds else {
        return Ok(RoundCalendar::new());
    };
    let (text, name) = config_text(rounds, "rounds file")?;
    RoundCalendar::from_json(&text).map_err(|e| ConfigError::new_err(format!("{name}: {e}")))
}

/// The chart key: unkeyed, the secret as `bytes`, or a file holding it (path).
fn key_arg(key: Option<&Bound<'_, PyAny>>) -> PyResult<ChartKey> {
    let Some(key) = key else {
        return Ok(ChartKey::unkeyed());
    };
    let (secret, name) = if let Ok(b) = key.cast::<PyBytes>() {
        (b.as_bytes().to_vec(), "chart key".to_owned())
    } else if is_path(key)? {
        let path = to_path(key)?;
        let name = path.display().to_string();
        let bytes = std::fs::read(&path)
            .map_err(|e| ConfigError::new_err(format!("{name}: cannot read the chart key: {e}")))?;
        (bytes, name)
    } else {
        return Err(PyTypeError::new_err(
            "chart_key: the secret as bytes, or the path of a file holding it",
        ));
    };
    ChartKey::from_secret(&secret).map_err(|e| ConfigError::new_err(format!("{name}: {e}")))
}

/// The slot where a Python error met while Rust reads an iterable waits to be raised.
type Failed = Arc<Mutex<Option<PyErr>>>;

fn take_failed(failed: &Failed) -> Option<PyErr> {
    failed.lock().ok().and_then(|mut f| f.take())
}

/// A Python iterable read as JSONL: each item (a dict, a JSON string, bytes) is one line,
/// so a record's line number is the item's position (1-based). Items are taken from
/// Python (the GIL held for each) only as the reader asks, so Rust works on the charts
/// read with the GIL released and memory is what the reader holds.
struct PyLines {
    iter: Py<PyIterator>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
    failed: Failed,
}

impl PyLines {
    fn pull(&mut self) -> io::Result<()> {
        self.buf.clear();
        self.pos = 0;
        let next: PyResult<Option<String>> = Python::attach(|py| {
            let mut it = self.iter.bind(py).clone();
            match it.next() {
                None => Ok(None),
                Some(Err(e)) => Err(e),
                Some(Ok(item)) => json_text(&item, true).map(Some),
            }
        });
        match next {
            Ok(Some(text)) => {
                self.buf.extend_from_slice(text.as_bytes());
                self.buf.push(b'\n');
                Ok(())
            }
            Ok(None) => {
                self.done = true;
                Ok(())
            }
            Err(e) => {
                self.done = true;
                if let Ok(mut slot) = self.failed.lock() {
                    slot.get_or_insert(e);
                }
                Err(io::Error::other(
                    "the iterable of charts raised an exception",
                ))
            }
        }
    }
}

impl Read for PyLines {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for PyLines {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.buf.len() && !self.done {
            self.pull()?;
        }
        Ok(self.buf.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.pos = self.pos.saturating_add(amt).min(self.buf.len());
    }
}

type Input = Box<dyn BufRead + Send + Sync>;

/// A source of charts: a JSONL file (a `str` or `os.PathLike` path), JSONL content
/// (`bytes`), or an iterable of charts (dicts or JSON strings), one record each. Returns
/// the input, its name in messages (the path, or empty) and the slot of a Python error.
fn chart_source(obj: &Bound<'_, PyAny>) -> PyResult<(Input, String, Failed)> {
    let failed: Failed = Arc::new(Mutex::new(None));
    // Refused without echoing it: the text may be a chart.
    if json_str(obj)?.is_some() {
        return Err(PyTypeError::new_err(
            "charts: a str is the path of a JSONL file; give JSONL text as bytes, or charts in a list",
        ));
    }
    if is_path(obj)? {
        let path = to_path(obj)?;
        let name = path.display().to_string();
        let file = std::fs::File::open(&path)
            .map_err(|e| ChartError::new_err(format!("{name}: cannot read: {e}")))?;
        return Ok((
            Box::new(BufReader::with_capacity(1 << 20, file)),
            name,
            failed,
        ));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok((
            Box::new(io::Cursor::new(b.as_bytes().to_vec())),
            String::new(),
            failed,
        ));
    }
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(
            "charts: a JSONL path (str or os.PathLike), JSONL bytes, or an iterable of charts (dicts or JSON strings)",
        )
    })?;
    let lines = PyLines {
        iter: iter.unbind(),
        buf: Vec::new(),
        pos: 0,
        done: false,
        failed: failed.clone(),
    };
    Ok((Box::new(lines), String::new(), failed))
}

/// A record error as raised: with the input's name before it when it has one.
fn located(name: &str, e: &RecordError) -> String {
    if name.is_empty() {
        e.to_string()
    } else {
        format!("{name}: {e}")
    }
}

/// Parses one chart given as a dict or JSON text.
fn one_chart(obj: &Bound<'_, PyAny>) -> PyResult<Chart> {
    let text = json_text(obj, false)?;
    parse_chart(&text, &Limits::default())
        .map(|c| c.chart)
        .map_err(|e| ChartError::new_err(e.to_string()))
}

// --- outcomes as Python values ----------------------------------------------------------

/// One outcome as a dict: `measure`, `populations` (FHIR codes in reporting order) and
/// `strata` (stratifier → value, `None` when missing).
fn outcome_dict<'py>(py: Python<'py>, lib: &RLibrary, o: &Outcome) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("measure", o.measure_id())?;
    let pops: Vec<&str> = o.populations.iter().map(Population::code).collect();
    d.set_item("populations", pops)?;
    let strata = PyDict::new(py);
    if let Some(info) = lib.measure(o.measure) {
        for (name, value) in info.stratifiers.iter().zip(&o.strata) {
            strata.set_item(name, value.as_deref())?;
        }
    }
    d.set_item("strata", strata)?;
    Ok(d)
}

fn outcome_list<'py>(
    py: Python<'py>,
    lib: &RLibrary,
    outcomes: &[Outcome],
    all: bool,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for o in outcomes {
        if all || o.populations.contains(Population::InitialPopulation) {
            list.append(outcome_dict(py, lib, o)?)?;
        }
    }
    Ok(list)
}

fn errors_arg(errors: &str) -> PyResult<bool> {
    match errors {
        "raise" => Ok(false),
        "skip" => Ok(true),
        _ => Err(PyValueError::new_err("errors: \"raise\" or \"skip\"")),
    }
}

// --- Library ----------------------------------------------------------------------------

/// A compiled measure library.
#[pyclass(module = "oncoqual", name = "Library", frozen)]
struct Library {
    lib: Lib,
}

#[pymethods]
impl Library {
    /// The library of the measures bundled with oncoqual.
    #[staticmethod]
    fn bundled() -> PyResult<Library> {
        Ok(Library { lib: bundled()? })
    }

    /// Loads and checks every `.oqm` spec below a folder (as the CLI's `--specs`).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Library> {
        let loaded = py.detach(|| RLibrary::load(&path));
        loaded
            .map(|l| Library {
                lib: Lib::Owned(Arc::new(l)),
            })
            .map_err(|e| SpecError::new_err(e.to_string()))
    }

    fn __len__(&self) -> usize {
        self.lib.measures().len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncoqual.Library: {} measures, {}>",
            self.lib.measures().len(),
            self.lib.fingerprint()
        )
    }

    /// The library's fingerprint (every measure id, spec text and value set).
    #[getter]
    fn fingerprint(&self) -> String {
        self.lib.fingerprint().to_string()
    }

    /// The measures, in file-name order, as dicts.
    fn measures<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for m in self.lib.measures() {
            let d = PyDict::new(py);
            d.set_item("id", &m.id)?;
            d.set_item("title", &m.title)?;
            d.set_item("module", &m.module)?;
            d.set_item("tracks", &m.tracks)?;
            d.set_item("direction", m.direction.as_str())?;
            d.set_item("scoring", m.scoring.as_str())?;
            d.set_item("source", &m.source)?;
            d.set_item("version", &m.version)?;
            d.set_item("components", &m.components)?;
            d.set_item("stratifiers", &m.stratifiers)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// Evaluates one chart (a dict or JSON text).
    #[pyo3(signature = (chart, period=None, *, rounds=None, all=false))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        chart: &Bound<'py, PyAny>,
        period: Option<&str>,
        rounds: Option<&Bound<'py, PyAny>>,
        all: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let chart = one_chart(chart)?;
        let period = match period_arg(period)? {
            Some(p) => p,
            None => calendar_arg(rounds)?.period(chart.round),
        };
        let outcomes = self
            .lib
            .try_evaluate(&chart, period)
            .map_err(|e| ChartError::new_err(e.to_string()))?;
        outcome_list(py, &self.lib, &outcomes, all)
    }

    /// Evaluates a stream of charts, one dict per chart, lazily.
    #[pyo3(signature = (charts, period=None, *, rounds=None, all=false, errors="raise"))]
    fn evaluate_jsonl(
        &self,
        charts: &Bound<'_, PyAny>,
        period: Option<&str>,
        rounds: Option<&Bound<'_, PyAny>>,
        all: bool,
        errors: &str,
    ) -> PyResult<OutcomeStream> {
        let skip = errors_arg(errors)?;
        let period = period_arg(period)?;
        let calendar = calendar_arg(rounds)?;
        let (input, name, failed) = chart_source(charts)?;
        Ok(OutcomeStream {
            lib: self.lib.clone(),
            state: Mutex::new(StreamState {
                reader: Some(JsonlReader::new(input)),
                errors: Vec::new(),
                out: Vec::new(),
            }),
            name,
            period,
            calendar,
            all,
            skip,
            failed,
        })
    }

    /// Why one chart is or is not in each population of one measure (shows the chart's
    /// values: an explicit opt-in).
    #[pyo3(signature = (chart, measure, period=None, *, rounds=None))]
    fn explain(
        &self,
        chart: &Bound<'_, PyAny>,
        measure: &str,
        period: Option<&str>,
        rounds: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Explanation> {
        let index = self.lib.index_of(measure).ok_or_else(|| {
            let hint = self
                .lib
                .suggest(measure)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            SpecError::new_err(format!("no measure `{measure}`{hint}"))
        })?;
        let chart = one_chart(chart)?;
        let period = match period_arg(period)? {
            Some(p) => p,
            None => calendar_arg(rounds)?.period(chart.round),
        };
        // `explain` is `None` only when the evaluation stops: say why.
        match self.lib.explain(&chart, period, index) {
            Some(e) => Ok(Explanation { inner: e }),
            None => Err(ChartError::new_err(
                self.lib
                    .try_evaluate_selected(&chart, period, &[index])
                    .err()
                    .map_or_else(
                        || format!("measure `{measure}` could not be explained"),
                        |e| e.to_string(),
                    ),
            )),
        }
    }

    /// Evaluates charts and folds them into a tally (in parallel, the GIL released).
    #[pyo3(signature = (charts, period=None, *, rounds=None, chart_key=None, errors="raise"))]
    fn tally(
        &self,
        py: Python<'_>,
        charts: &Bound<'_, PyAny>,
        period: Option<&str>,
        rounds: Option<&Bound<'_, PyAny>>,
        chart_key: Option<&Bound<'_, PyAny>>,
        errors: &str,
    ) -> PyResult<Tally> {
        let skip = errors_arg(errors)?;
        let period = period_arg(period)?;
        let calendar = calendar_arg(rounds)?;
        let key = key_arg(chart_key)?;
        let (input, name, failed) = chart_source(charts)?;
        let lib = self.lib.clone();
        let (result, rejected, invalid, duplicates) = py.detach(move || {
            let mut reader = JsonlReader::new(input).sharing(ChartLedger::new(key), &name);
            let (mut rejected, mut invalid, mut duplicates) = (Vec::new(), 0usize, 0usize);
            let per = |c: &Chart| period.unwrap_or_else(|| calendar.period(c.round));
            let result = oncoqual::pipeline::tally_jsonl(&lib, &mut reader, per, |e| {
                let dup = e
                    .findings
                    .iter()
                    .any(|f| matches!(f.kind, FindingKind::DuplicateChartId { .. }));
                if dup {
                    duplicates = duplicates.saturating_add(1);
                } else {
                    invalid = invalid.saturating_add(1);
                }
                rejected.push((dup, located(&name, &e)));
                ControlFlow::Continue(())
            });
            (result, rejected, invalid, duplicates)
        });
        if let Some(e) = take_failed(&failed) {
            return Err(e);
        }
        if duplicates > 0 {
            let shown = listed(rejected.iter().filter(|r| r.0).map(|r| &r.1), duplicates);
            return Err(TallyError::new_err(format!(
                "refused: {duplicates} record{} repeat a chart already read (the same chart id, practice and round): counting {} would inflate the counts, so no tally was made\n{shown}",
                if duplicates == 1 { "" } else { "s" },
                if duplicates == 1 { "it" } else { "them" }
            )));
        }
        if invalid > 0 && !skip {
            let shown = listed(rejected.iter().filter(|r| !r.0).map(|r| &r.1), invalid);
            return Err(ChartError::new_err(format!(
                "{invalid} record{} refused (pass errors=\"skip\" to tally the others)\n{shown}",
                if invalid == 1 { " was" } else { "s were" }
            )));
        }
        let tally = result.map_err(|e| TallyError::new_err(e.to_string()))?;
        Ok(Tally {
            inner: tally,
            skipped: rejected.into_iter().map(|r| r.1).collect(),
        })
    }
}

/// Up to [`SHOWN`] messages, one a line, and how many more.
fn listed<'a>(messages: impl Iterator<Item = &'a String>, total: usize) -> String {
    let mut out: Vec<String> = messages.take(SHOWN).cloned().collect();
    if let Some(more) = total.checked_sub(SHOWN).filter(|m| *m > 0) {
        out.push(format!("… and {more} more"));
    }
    out.join("\n")
}

// --- the outcome stream -----------------------------------------------------------------

struct StreamState {
    reader: Option<JsonlReader<Input>>,
    errors: Vec<String>,
    out: Vec<Outcome>,
}

/// The outcomes of a stream of charts, one dict per chart, read as iterated.
#[pyclass(module = "oncoqual", name = "OutcomeStream", frozen)]
struct OutcomeStream {
    lib: Lib,
    state: Mutex<StreamState>,
    name: String,
    period: Option<Period>,
    calendar: RoundCalendar,
    all: bool,
    skip: bool,
    failed: Failed,
}

#[pymethods]
impl OutcomeStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let mut guard = self
            .state
            .lock()
            .map_err(|_| OncoqualError::new_err("the stream failed earlier"))?;
        let state = &mut *guard;
        loop {
            let Some(reader) = state.reader.as_mut() else {
                return Ok(None);
            };
            let (lib, period, calendar, out) =
                (&self.lib, self.period, &self.calendar, &mut state.out);
            // Read, parse and evaluate the next chart with the GIL released.
            let next = py.detach(|| {
                reader.next().map(|record| {
                    record.and_then(|c| {
                        let p = period.unwrap_or_else(|| calendar.period(c.chart.round));
                        let line = c.line;
                        lib.try_evaluate_into(&c.chart, p, out)
                            .map(|()| (c, p))
                            .map_err(|e| e.to_record_error(line))
                    })
                })
            });
            if let Some(e) = take_failed(&self.failed) {
                state.reader = None;
                return Err(e);
            }
            match next {
                None => {
                    state.reader = None;
                    return Ok(None);
                }
                Some(Err(e)) => {
                    let message = located(&self.name, &e);
                    if self.skip {
                        state.errors.push(message);
                        continue;
                    }
                    return Err(ChartError::new_err(message));
                }
                Some(Ok((c, p))) => {
                    let d = PyDict::new(py);
                    d.set_item("chart", c.chart.id.as_str())?;
                    d.set_item("practice", c.chart.practice.as_str())?;
                    d.set_item("round", c.chart.round.to_string())?;
                    d.set_item("period", p.to_string())?;
                    d.set_item("line", c.line)?;
                    d.set_item(
                        "outcomes",
                        outcome_list(py, &self.lib, &state.out, self.all)?,
                    )?;
                    return Ok(Some(d));
                }
            }
        }
    }

    /// The messages of the records skipped so far (with `errors="skip"`).
    #[getter]
    fn errors(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.errors.clone())
            .unwrap_or_default()
    }
}

// --- Explanation ------------------------------------------------------------------------

/// Why one chart is or is not in each population of one measure. `str()` is the trace as
/// `oncoqual explain` prints it; it shows the chart's values.
#[pyclass(module = "oncoqual", name = "Explanation", frozen)]
struct Explanation {
    inner: oncoqual::Explanation,
}

#[pymethods]
impl Explanation {
    #[getter]
    fn measure(&self) -> &str {
        &self.inner.measure
    }

    #[getter]
    fn period(&self) -> &str {
        &self.inner.period
    }

    #[getter]
    fn populations(&self) -> Vec<&'static str> {
        self.inner
            .populations
            .iter()
            .map(Population::code)
            .collect()
    }

    /// The explanation as a dict (criteria with their steps, values and locations).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = serde_json::to_string(&self.inner)
            .map_err(|e| OncoqualError::new_err(e.to_string()))?;
        py.import("json")?.call_method1("loads", (text,))
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("<oncoqual.Explanation of `{}`>", self.inner.measure)
    }
}

// --- Tally ------------------------------------------------------------------------------

/// Exact, stamped population counts of any number of charts; tallies merge exactly.
#[pyclass(module = "oncoqual", name = "Tally")]
struct Tally {
    inner: RTally,
    skipped: Vec<String>,
}

impl Tally {
    fn of(inner: RTally) -> Tally {
        Tally {
            inner,
            skipped: Vec::new(),
        }
    }
}

#[pymethods]
impl Tally {
    /// An empty tally: the identity of `merge`.
    #[new]
    fn new() -> Tally {
        Tally::of(RTally::new())
    }

    /// Adds `other` into this tally; refused (and nothing changed) when they share a chart
    /// or were computed with two libraries, versions, chart keys or round calendars.
    fn merge(slf: &Bound<'_, Self>, other: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let refused =
            |e: oncoqual::benchmark::TallyError| TallyError::new_err(format!("refused: {e}"));
        if slf.is(other) {
            // A tally merged with itself shares every chart: refused, as Rust refuses.
            let copy = slf.borrow().inner.clone();
            let mut ours = slf.borrow_mut();
            let inner = &mut ours.inner;
            return py.detach(|| inner.merge(&copy)).map_err(refused);
        }
        let theirs = other.borrow();
        let mut ours = slf.borrow_mut();
        let (inner, other_inner) = (&mut ours.inner, &theirs.inner);
        py.detach(|| inner.merge(other_inner)).map_err(refused)?;
        ours.skipped.extend(theirs.skipped.iter().cloned());
        Ok(())
    }

    /// Pickles as its bytes and skipped messages (so tallies travel between processes,
    /// e.g. Spark executors).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        let bytes = slf.borrow().to_bytes(py)?;
        Ok((from_bytes, (bytes, slf.borrow().skipped.clone())))
    }

    /// A new tally holding both; refused as `merge` is.
    fn merged(&self, py: Python<'_>, other: &Bound<'_, Self>) -> PyResult<Tally> {
        let other = other.borrow();
        let theirs = &other.inner;
        let mut copy = self.inner.clone();
        py.detach(|| copy.merge(theirs))
            .map_err(|e| TallyError::new_err(format!("refused: {e}")))?;
        let mut skipped = self.skipped.clone();
        skipped.extend(other.skipped.iter().cloned());
        Ok(Tally {
            inner: copy,
            skipped,
        })
    }

    /// The tally as `oncoqual tally -o FILE` writes it: stamped JSON, exact, with a
    /// newline at the end.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let inner = &self.inner;
        let bytes = py.detach(|| {
            serde_json::to_vec(inner).map(|mut v| {
                v.push(b'\n');
                v
            })
        });
        let bytes = bytes.map_err(|e| OncoqualError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Reads a tally written by `to_bytes` or `oncoqual tally`; `skipped` restores the
    /// located messages of the records it left out (they are not part of the bytes).
    #[staticmethod]
    #[pyo3(signature = (data, skipped = None))]
    fn from_bytes(py: Python<'_>, data: &[u8], skipped: Option<Vec<String>>) -> PyResult<Tally> {
        let parsed: Result<RTally, serde_json::Error> = py.detach(|| serde_json::from_slice(data));
        parsed
            .map(|inner| Tally {
                inner,
                skipped: skipped.unwrap_or_default(),
            })
            .map_err(|e| {
                TallyError::new_err(format!(
                    "not a tally: line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ))
            })
    }

    /// Unique charts counted.
    #[getter]
    fn charts(&self) -> u64 {
        self.inner
            .rows()
            .fold(0u64, |n, (_, _, row)| n.saturating_add(row.charts))
    }

    /// The rounds present, in order.
    #[getter]
    fn rounds(&self) -> Vec<String> {
        self.inner
            .rounds()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// What the counts were computed with (`None` while empty).
    #[getter]
    fn stamp(&self) -> Option<String> {
        self.inner.stamp().map(ToString::to_string)
    }

    /// The records skipped with `errors="skip"`: their located messages.
    #[getter]
    fn skipped(&self) -> Vec<String> {
        self.skipped.clone()
    }

    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Tally>()
            .is_ok_and(|o| o.borrow().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncoqual.Tally: {} charts, rounds {:?}>",
            self.charts(),
            self.rounds()
        )
    }
}

/// What `Tally.__reduce__` gives pickle: `from_bytes` and its arguments.
type Reduced<'py> = (Bound<'py, PyAny>, (Bound<'py, PyBytes>, Vec<String>));

// --- benchmark and Report ---------------------------------------------------------------

/// Merges tallies and builds the benchmark report, as `oncoqual benchmark --tallies`.
#[pyfunction]
#[pyo3(signature = (tallies, practices=None, *, library=None, rounds=None, period=None,
    issued_on=None, final_report=false, min_denominator=10, level=0.95,
    registration="strict"))]
#[allow(clippy::too_many_arguments)]
fn benchmark(
    py: Python<'_>,
    tallies: &Bound<'_, PyAny>,
    practices: Option<&Bound<'_, PyAny>>,
    library: Option<&Bound<'_, Library>>,
    rounds: Option<&Bound<'_, PyAny>>,
    period: Option<&str>,
    issued_on: Option<&str>,
    final_report: bool,
    min_denominator: u64,
    level: f64,
    registration: &str,
) -> PyResult<Report> {
    let lib = match library {
        Some(l) => l.get().lib.clone(),
        None => bundled()?,
    };
    if lib.selection().is_some() && final_report {
        return Err(ConfigError::new_err(
            "final_report cannot be used with a selection: a final report scores the whole library",
        ));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(ConfigError::new_err("level must be between 0 and 1"));
    }
    let policy = match registration {
        "strict" => RegistrationPolicy::Strict,
        "list-only" | "list_only" => RegistrationPolicy::ListOnly,
        _ => {
            return Err(PyValueError::new_err(
                "registration: \"strict\" or \"list-only\"",
            ));
        }
    };
    let mut calendar = calendar_arg(rounds)?;
    let period = period_arg(period)?;
    let practices = practices
        .map(|p| {
            let (text, name) = config_text(p, "practices file")?;
            Practices::from_json(&text).map_err(|e| ConfigError::new_err(format!("{name}: {e}")))
        })
        .transpose()?;
    let parts: Vec<RTally> = if let Ok(t) = tallies.cast::<Tally>() {
        vec![t.borrow().inner.clone()]
    } else {
        let mut v = Vec::new();
        for item in tallies.try_iter()? {
            let item = item?;
            let t = item
                .cast::<Tally>()
                .map_err(|_| PyTypeError::new_err("tallies: a Tally or an iterable of Tally"))?;
            v.push(t.borrow().inner.clone());
        }
        v
    };
    let lib2 = lib.clone();
    let merged = py.detach(move || merge_all(&lib2, parts));
    let tally = merged.map_err(TallyError::new_err)?;
    if let Some(p) = period {
        for r in tally.rounds() {
            calendar.set(r, p);
        }
    }
    let issued_on = match issued_on {
        Some(s) => Date::parse(s)
            .ok_or_else(|| ConfigError::new_err("issued_on must be a date YYYY-MM-DD"))?,
        None => match tally.rounds().last() {
            Some(r) => calendar.period(*r).end.add_days(1).ok_or_else(|| {
                ConfigError::new_err(format!(
                    "round {r} ends on {}, the last supported date: give the report's date with issued_on",
                    calendar.period(*r).end
                ))
            })?,
            None => Date::MIN,
        },
    };
    let mut options = ReportOptions::default();
    options.aggregate.min_denominator = min_denominator;
    options.aggregate.level = level;
    options.registration = policy;
    let (l, c) = (&*lib, &calendar);
    let built = py.detach(|| match &practices {
        Some(p) => RReport::build_for(&tally, l, c, &options, issued_on, final_report, p),
        None => RReport::build(&tally, l, &options, issued_on, final_report),
    });
    let report = built.map_err(|e| ReportError::new_err(format!("refused: {e}")))?;
    Ok(Report { inner: report, lib })
}

/// Merges tallies in order, each checked against the library's strata first; a refusal
/// names the input (`tallies[i]`) and the earlier one it conflicts with, as the CLI names
/// files.
fn merge_all(lib: &RLibrary, parts: Vec<RTally>) -> Result<RTally, String> {
    let mut into = RTally::new();
    for (i, t) in parts.iter().enumerate() {
        t.check_strata(lib)
            .map_err(|e| format!("tallies[{i}]: refused: {e}"))?;
        let Err(e) = into.merge(t) else { continue };
        for (j, earlier) in parts.iter().take(i).enumerate() {
            if let Err(pair) = earlier.clone().merged(t) {
                return Err(format!(
                    "tallies[{i}]: refused: cannot be merged with `tallies[{j}]`: {pair}"
                ));
            }
        }
        return Err(format!("tallies[{i}]: refused: cannot be merged: {e}"));
    }
    Ok(into)
}

/// A benchmark report: exact numbers, as `oncoqual benchmark` writes it.
#[pyclass(module = "oncoqual", name = "Report", frozen)]
struct Report {
    inner: RReport,
    lib: Lib,
}

#[pymethods]
impl Report {
    /// The report as `oncoqual benchmark -o report.json` writes it (the same bytes).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.inner)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| OncoqualError::new_err(e.to_string()))
    }

    /// Reads a report written by `to_json` or `oncoqual benchmark` (measure titles and
    /// directions in the tables come from `library`, the bundled one by default).
    #[staticmethod]
    #[pyo3(signature = (text, *, library=None))]
    fn from_json(text: &str, library: Option<&Bound<'_, Library>>) -> PyResult<Report> {
        let lib = match library {
            Some(l) => l.get().lib.clone(),
            None => bundled()?,
        };
        let report: RReport = serde_json::from_str(text).map_err(|e| {
            ReportError::new_err(format!(
                "not a report: line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        report
            .check_strata(&lib)
            .map_err(|e| ReportError::new_err(format!("refused: {e}")))?;
        Ok(Report { inner: report, lib })
    }

    /// The rounds covered.
    #[getter]
    fn rounds(&self) -> Vec<String> {
        self.inner.rounds.iter().map(ToString::to_string).collect()
    }

    /// The issue date (`YYYY-MM-DD`).
    #[getter]
    fn issued_on(&self) -> String {
        self.inner.issued_on.to_string()
    }

    /// Whether this is the round's final report.
    #[getter]
    fn final_report(&self) -> bool {
        self.inner.final_report
    }

    /// Whether registration was checked (a practices file was given).
    #[getter]
    fn registration_checked(&self) -> bool {
        self.inner.registration.checked
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncoqual.Report issued {}: rounds {:?}, {} practice rates>",
            self.inner.issued_on,
            self.rounds(),
            self.inner.rates.len()
        )
    }

    /// The report's tables as plain columns: `{table: {column: [values]}}`.
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for t in py_tables(&self.inner, &self.lib) {
            out.set_item(t.name, columns(py, &t)?)?;
        }
        Ok(out)
    }

    /// The tables as pandas DataFrames (pandas imported only here).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let pd = optional(py, "pandas", "Report.to_pandas")?;
        let out = PyDict::new(py);
        for t in py_tables(&self.inner, &self.lib) {
            let cols = columns(py, &t)?;
            let series = PyDict::new(py);
            for (name, kind) in t.names.iter().zip(&t.kinds) {
                let kwargs = PyDict::new(py);
                kwargs.set_item("dtype", kind.pandas())?;
                kwargs.set_item("name", name)?;
                let values = cols.get_item(name)?;
                series.set_item(name, pd.call_method("Series", (values,), Some(&kwargs))?)?;
            }
            let kwargs = PyDict::new(py);
            kwargs.set_item("columns", &t.names)?;
            out.set_item(
                t.name,
                pd.call_method("DataFrame", (series,), Some(&kwargs))?,
            )?;
        }
        Ok(out)
    }

    /// The tables as pyarrow Tables (pyarrow imported only here).
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let pa = optional(py, "pyarrow", "Report.to_arrow")?;
        let out = PyDict::new(py);
        for t in py_tables(&self.inner, &self.lib) {
            let cols = columns(py, &t)?;
            let fields = PyList::empty(py);
            for (name, kind) in t.names.iter().zip(&t.kinds) {
                let ty = pa.call_method0(kind.arrow())?;
                fields.append(pa.call_method1("field", (name, ty))?)?;
            }
            let schema = pa.call_method1("schema", (fields,))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("schema", schema)?;
            out.set_item(t.name, pa.call_method("table", (cols,), Some(&kwargs))?)?;
        }
        Ok(out)
    }
}

// --- the report's tables ----------------------------------------------------------------

/// One cell: exact numbers become `int` or `float` (rates are exact decimals in the report
/// and in `to_json`; a float is the nearest double), text `str`, dates ISO text, absent
/// values `None`.
enum Cell {
    Int(u64),
    Float(Option<f64>),
    Text(Option<String>),
    Bool(bool),
}

impl Cell {
    /// A cell of the crate's report tables (`oncoqual::report::tables`).
    fn of(cell: &tables::Cell<'_>) -> Cell {
        match cell {
            tables::Cell::Int(n) => Cell::Int(*n),
            tables::Cell::Decimal(d) => {
                Cell::Float(d.and_then(|d| d.to_string().parse::<f64>().ok()))
            }
            tables::Cell::Float(f) => Cell::Float(*f),
            tables::Cell::Bool(b) => Cell::Bool(*b),
            tables::Cell::Text(t) => Cell::Text(t.as_deref().map(str::to_owned)),
            tables::Cell::Date(d) => Cell::Text(d.map(|d| d.to_string())),
            tables::Cell::Strata(pairs) => Cell::Text(Some(
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
            _ => Cell::Text(None),
        }
    }

    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self {
            Cell::Int(n) => n.into_pyobject(py)?.into_any(),
            Cell::Float(f) => f.into_pyobject(py)?.into_any(),
            Cell::Text(t) => t.as_deref().into_pyobject(py)?.into_any(),
            Cell::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        })
    }
}

/// A table's columns as a dict of lists, in column order.
fn columns<'py>(py: Python<'py>, t: &Table) -> PyResult<Bound<'py, PyDict>> {
    let cols = PyDict::new(py);
    for (name, col) in t.names.iter().zip(&t.columns) {
        let list = PyList::empty(py);
        for cell in col {
            list.append(cell.to_py(py)?)?;
        }
        cols.set_item(name, list)?;
    }
    Ok(cols)
}

/// An optional dependency, or an `ImportError` saying how to install it.
fn optional<'py>(py: Python<'py>, module: &str, what: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import(module).map_err(|_| {
        pyo3::exceptions::PyImportError::new_err(format!(
            "{what} needs {module}: pip install {module} (or the extra: pip install './python[{module}]')"
        ))
    })
}

/// A column's type: `int64`, `float64`, `str` (pandas `object`, arrow `string`), `bool`.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Float,
    Text,
    Bool,
}

impl Kind {
    /// Decimals become floats; dates and strata text.
    fn of(kind: tables::ColumnKind) -> Kind {
        match kind {
            tables::ColumnKind::Int => Kind::Int,
            tables::ColumnKind::Decimal | tables::ColumnKind::Float => Kind::Float,
            tables::ColumnKind::Bool => Kind::Bool,
            _ => Kind::Text,
        }
    }

    fn pandas(self) -> &'static str {
        match self {
            Kind::Int => "int64",
            Kind::Float => "float64",
            Kind::Text => "object",
            Kind::Bool => "bool",
        }
    }

    fn arrow(self) -> &'static str {
        match self {
            Kind::Int => "int64",
            Kind::Float => "float64",
            Kind::Text => "string",
            Kind::Bool => "bool_",
        }
    }
}

/// A table as columns of Python-ready cells.
struct Table {
    name: &'static str,
    names: Vec<String>,
    kinds: Vec<Kind>,
    columns: Vec<Vec<Cell>>,
}

/// The tables: the crate's report tables (the columns of the CLI's CSV files, `oncoqual
/// report --format csv`, with exact numbers unrounded and text unquoted, plus
/// participation and exclusions), column by column.
fn py_tables(report: &RReport, lib: &RLibrary) -> Vec<Table> {
    let view = ReportView::new(report).with_library(lib);
    tables::report_tables(&view)
        .into_iter()
        .map(|t| {
            let mut columns: Vec<Vec<Cell>> = t
                .columns
                .iter()
                .map(|_| Vec::with_capacity(t.rows.len()))
                .collect();
            for row in &t.rows {
                for (col, cell) in columns.iter_mut().zip(row) {
                    col.push(Cell::of(cell));
                }
            }
            Table {
                name: t.name,
                names: t.columns.iter().map(|c| c.name.clone()).collect(),
                kinds: t.columns.iter().map(|c| Kind::of(c.kind)).collect(),
                columns,
            }
        })
        .collect()
}

/// The extension module.
#[pymodule]
fn _oncoqual(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Library>()?;
    m.add_class::<Tally>()?;
    m.add_class::<Report>()?;
    m.add_class::<OutcomeStream>()?;
    m.add_class::<Explanation>()?;
    m.add_function(wrap_pyfunction!(benchmark, m)?)?;
    m.add("OncoqualError", py.get_type::<OncoqualError>())?;
    m.add("ChartError", py.get_type::<ChartError>())?;
    m.add("SpecError", py.get_type::<SpecError>())?;
    m.add("TallyError", py.get_type::<TallyError>())?;
    m.add("ReportError", py.get_type::<ReportError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
