//! A fast first pass of the projected parse: one scan of a chart's JSON text, driven by the
//! schema and the projection, that checks the unread values as the projected parse skims
//! them (JSON syntax, the keys of the records and codes the schema has there, the JSON
//! shape) and writes the kept members, byte for byte, into a much shorter text, which the
//! projected parse then reads ([`super::project::chart_from_str`]).
//!
//! It decides nothing alone: on anything it does not take in its stride (an error, an
//! escape it does not know at a glance, a record written as an array where it skims, a
//! number with an exponent or of many digits), it gives up and the projected parse reads
//! the original text, as it did before this pass existed. When it does not give up, the
//! short text reads as the original would under the projection:
//!
//! - a kept value is copied whole, from its first byte to the `,` or `}` that the scan
//!   finds after it, so serde_json reads the same bytes followed by the same delimiter;
//!   kept records that are not read whole are scanned as records, their unread members
//!   left out;
//! - every unread value was checked as `project::Skip` checks it: a scalar (or `null`)
//!   where a scalar belongs, an array of such where a list belongs, an object of known,
//!   unrepeated keys where a record or a code belongs; strings without control
//!   characters, with valid escapes (`\u` ones give up), numbers of JSON's grammar that
//!   fit an `f64`, `true`, `false`, `null`;
//! - every key of a scanned record is a field of its schema and comes once;
//! - after the chart, only whitespace.
//!
//! So the short text is refused exactly when the original would be (both are then read
//! again by the full parse, which words the error).

use std::sync::OnceLock;

use super::project::Node;
use super::schema::{BaseType, RecordSchema, Scalar};

/// A record type as the scan sees it: its fields' names and shapes.
struct Rec {
    names: Vec<(Words, &'static [u8])>,
    fields: Vec<Field>,
}

struct Field {
    shape: Shape,
    list: bool,
}

enum Shape {
    Record(Box<Rec>),
    Code,
    Leaf,
}

/// The first sixteen bytes of a key as two words (zero past its end), and its length.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Words {
    lo: u64,
    hi: u64,
    len: usize,
}

impl Words {
    fn of(key: &[u8]) -> Words {
        let mut w = [0u8; 16];
        for (d, s) in w.iter_mut().zip(key) {
            *d = *s;
        }
        let (lo, hi) = split(w);
        Words {
            lo,
            hi,
            len: key.len(),
        }
    }

    /// The words of the key `text[start..end]`, read straight from the text when sixteen
    /// bytes follow its start.
    #[inline]
    fn at(text: &[u8], start: usize, end: usize) -> Option<Words> {
        let len = end.checked_sub(start)?;
        let Some(chunk) = text.get(start..start.saturating_add(16)) else {
            return Some(Words::of(text.get(start..end)?));
        };
        let (mut lo, mut hi) = split(<[u8; 16]>::try_from(chunk).ok()?);
        // Masks keeping the key's bytes (little-endian: the low ones).
        let mask = |n: usize| match u32::try_from(n.saturating_mul(8)) {
            Ok(bits) if bits < 64 => 1u64.checked_shl(bits).map_or(0, |b| b.wrapping_sub(1)),
            _ => u64::MAX,
        };
        lo &= mask(len);
        hi &= mask(len.saturating_sub(8));
        Some(Words { lo, hi, len })
    }
}

fn split(w: [u8; 16]) -> (u64, u64) {
    let [
        a0,
        a1,
        a2,
        a3,
        a4,
        a5,
        a6,
        a7,
        b0,
        b1,
        b2,
        b3,
        b4,
        b5,
        b6,
        b7,
    ] = w;
    (
        u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
        u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
    )
}

impl Rec {
    /// `None` for a record of more fields than the projection handles.
    fn build(schema: &'static RecordSchema) -> Option<Rec> {
        if schema.fields.len() > 64 {
            return None;
        }
        let mut rec = Rec {
            names: Vec::with_capacity(schema.fields.len()),
            fields: Vec::with_capacity(schema.fields.len()),
        };
        for f in schema.fields {
            let shape = match f.ty.base {
                BaseType::Record { schema } => Shape::Record(Box::new(Rec::build(schema)?)),
                BaseType::Scalar {
                    scalar: Scalar::Code,
                } => Shape::Code,
                _ => Shape::Leaf,
            };
            rec.fields.push(Field {
                shape,
                list: f.ty.list,
            });
            rec.names
                .push((Words::of(f.name.as_bytes()), f.name.as_bytes()));
        }
        Some(rec)
    }

    /// The index of the field whose name is `text[start..end]`. Keys mostly come in the
    /// schema's order, so the search starts at `next` (the field after the last one found,
    /// which it updates) and goes round: a compare or two of a key's words, most often.
    #[inline]
    fn find(&self, text: &[u8], start: usize, end: usize, next: &mut usize) -> Option<usize> {
        let w = Words::at(text, start, end)?;
        let from = (*next).min(self.names.len());
        let (after, before) = (self.names.get(from..)?, self.names.get(..from)?);
        let hit = |(k, (nw, name)): (usize, &(Words, &'static [u8]))| {
            (*nw == w && (w.len <= 16 || text.get(start..end) == Some(*name))).then_some(k)
        };
        let i = after
            .iter()
            .enumerate()
            .find_map(|(k, n)| hit((from.saturating_add(k), n)))
            .or_else(|| before.iter().enumerate().find_map(hit))?;
        *next = i.saturating_add(1);
        Some(i)
    }
}

/// The chart's record, built once.
fn chart_rec() -> Option<&'static Rec> {
    static REC: OnceLock<Option<Rec>> = OnceLock::new();
    REC.get_or_init(|| Rec::build(super::schema().chart))
        .as_ref()
}

/// The kept members of `text` (a chart) under `root`, written to `out` (cleared first);
/// `false` when the scan gives up (see the [module docs](self)).
pub(crate) fn reduce(text: &str, root: &Node, out: &mut Vec<u8>) -> bool {
    out.clear();
    let Some(rec) = chart_rec() else {
        return false;
    };
    let mut s = Scan {
        b: text.as_bytes(),
        i: 0,
        out,
    };
    s.ws();
    if s.peek() != Some(b'{') {
        return false;
    }
    if s.kept_record(rec, root).is_none() {
        return false;
    }
    s.ws();
    s.i == s.b.len()
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    out: &'a mut Vec<u8>,
}

/// The scan gives up.
type Go = Option<()>;

impl Scan<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn bump(&mut self) {
        self.i = self.i.saturating_add(1);
    }

    /// Skips JSON whitespace.
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.bump();
        }
    }

    /// Skips whitespace and the byte `c`.
    #[inline]
    fn expect(&mut self, c: u8) -> Go {
        self.ws();
        if self.peek() != Some(c) {
            return None;
        }
        self.bump();
        Some(())
    }

    /// At a `"`: skips the string, checking it; where its text starts and ends (between
    /// the quotes), and whether it has no escape.
    #[inline]
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.bump();
        let start = self.i;
        let mut plain = true;
        loop {
            self.plain_run();
            match self.peek()? {
                b'"' => {
                    let end = self.i;
                    self.bump();
                    return Some((start, end, plain));
                }
                b'\\' => {
                    plain = false;
                    self.bump();
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.bump(),
                        // `\u` (and its surrogates) is left to serde_json.
                        _ => return None,
                    }
                }
                // A control character.
                _ => return None,
            }
        }
    }

    /// Skips bytes that are neither `"`, `\` nor control characters: eight at a time, as
    /// serde_json does.
    #[inline]
    fn plain_run(&mut self) {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES << 7;
        while let Some(chunk) = self.b.get(self.i..self.i.saturating_add(8)) {
            let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
                break;
            };
            let v = u64::from_le_bytes(bytes);
            let ctrl = v.wrapping_sub(ONES.wrapping_mul(0x20)) & !v;
            let q = v ^ ONES.wrapping_mul(u64::from(b'"'));
            let quote = q.wrapping_sub(ONES) & !q;
            let s = v ^ ONES.wrapping_mul(u64::from(b'\\'));
            let slash = s.wrapping_sub(ONES) & !s;
            let hit = (ctrl | quote | slash) & HIGH;
            if hit != 0 {
                let at = usize::try_from(hit.trailing_zeros() / 8).unwrap_or(0);
                self.i = self.i.saturating_add(at);
                return;
            }
            self.i = self.i.saturating_add(8);
        }
        while let Some(&c) = self.b.get(self.i) {
            if c < 0x20 || c == b'"' || c == b'\\' {
                return;
            }
            self.bump();
        }
    }

    /// Skips a number, checking its grammar; gives up on an exponent or many digits
    /// (whether they fit an `f64` is serde_json's to say).
    fn number(&mut self) -> Go {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek()? {
            b'0' => self.bump(),
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.i.saturating_sub(start) > 40 {
            return None;
        }
        Some(())
    }

    #[inline]
    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
    }

    /// Skips the literal `word`.
    fn literal(&mut self, word: &[u8]) -> Go {
        let end = self.i.checked_add(word.len())?;
        if self.b.get(self.i..end)? != word {
            return None;
        }
        self.i = end;
        Some(())
    }

    /// Skips a scalar or `null` (a container gives up); whitespace before it too.
    #[inline]
    fn scalar(&mut self) -> Go {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Skims a value of `shape` (a list of them when `list`), as `project::Skip` does.
    fn skim(&mut self, shape: &Shape, list: bool) -> Go {
        self.ws();
        let c = self.peek()?;
        if c == b'n' {
            return self.literal(b"null");
        }
        if list {
            if c != b'[' {
                return None;
            }
            self.bump();
            self.ws();
            if self.peek() == Some(b']') {
                self.bump();
                return Some(());
            }
            loop {
                self.skim(shape, false)?;
                self.ws();
                match self.peek()? {
                    b',' => self.bump(),
                    b']' => {
                        self.bump();
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }
        match shape {
            Shape::Leaf => self.scalar(),
            Shape::Code => {
                if c != b'{' {
                    return None;
                }
                self.members(|s, (start, end), seen| {
                    let index = match s.b.get(start..end)? {
                        b"system" => 0,
                        b"code" => 1,
                        _ => return None,
                    };
                    let bit = 1u64.checked_shl(index)?;
                    if *seen & bit != 0 {
                        return None;
                    }
                    *seen |= bit;
                    s.scalar()
                })
            }
            Shape::Record(rec) => {
                if c != b'{' {
                    return None;
                }
                let mut next = 0;
                self.members(|s, (start, end), seen| {
                    let b = s.b;
                    let index = rec.find(b, start, end, &mut next)?;
                    let bit = 1u64.checked_shl(u32::try_from(index).ok()?)?;
                    if *seen & bit != 0 {
                        return None;
                    }
                    *seen |= bit;
                    let f = rec.fields.get(index)?;
                    s.skim(&f.shape, f.list)
                })
            }
        }
    }

    /// At a `{`: each member's key (plain: an escaped key gives up) and then `value` to
    /// read its value after the colon, with the bits of the keys met so far; after each
    /// value, `between` (for a `,`) or `end` (for the `}`).
    #[inline]
    fn members(&mut self, mut value: impl FnMut(&mut Self, (usize, usize), &mut u64) -> Go) -> Go {
        self.bump();
        self.ws();
        let mut seen = 0u64;
        if self.peek() == Some(b'}') {
            self.bump();
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let (start, end, plain) = self.string()?;
            if !plain {
                return None;
            }
            self.expect(b':')?;
            value(self, (start, end), &mut seen)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.bump();
                    self.ws();
                }
                b'}' => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// At a `{` of a kept record not read whole: its kept members copied (the others
    /// skimmed), in braces.
    fn kept_record(&mut self, rec: &Rec, node: &Node) -> Go {
        self.out.push(b'{');
        let (mut first, mut next) = (true, 0);
        self.members(|s, (start, end), seen| {
            let b = s.b;
            let index = rec.find(b, start, end, &mut next)?;
            let bit = 1u64.checked_shl(u32::try_from(index).ok()?)?;
            if *seen & bit != 0 {
                return None;
            }
            *seen |= bit;
            let f = rec.fields.get(index)?;
            if !node.keeps(index) {
                return s.skim(&f.shape, f.list);
            }
            if !first {
                s.out.push(b',');
            }
            first = false;
            // The key with its quotes.
            s.out
                .extend_from_slice(b.get(start.checked_sub(1)?..end.checked_add(1)?)?);
            s.out.push(b':');
            s.ws();
            match (&f.shape, node.child(index)) {
                (Shape::Record(child_rec), Some(child)) if !child.is_full() => {
                    s.kept_records(child_rec, child, f.list)
                }
                _ => s.copy_value(),
            }
        })?;
        self.out.push(b'}');
        Some(())
    }

    /// A kept value of a record type not read whole (a list of them when `list`): an
    /// object (or an array of them) is scanned by [`Scan::kept_record`]; anything else is
    /// copied for serde_json to judge.
    fn kept_records(&mut self, rec: &Rec, node: &Node, list: bool) -> Go {
        match (self.peek()?, list) {
            (b'{', false) => self.kept_record(rec, node),
            (b'[', true) => {
                self.bump();
                self.out.push(b'[');
                self.ws();
                if self.peek()? == b']' {
                    self.bump();
                    self.out.push(b']');
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.peek()? == b'{' {
                        self.kept_record(rec, node)?;
                    } else {
                        self.copy_value()?;
                    }
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.bump();
                            self.out.push(b',');
                        }
                        b']' => {
                            self.bump();
                            self.out.push(b']');
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => self.copy_value(),
        }
    }

    /// Copies the value here as it is: to the end of a string, to the bracket that closes
    /// a container, or to the byte that ends a scalar. Not checked: serde_json reads the
    /// copy.
    fn copy_value(&mut self) -> Go {
        let start = self.i;
        match self.peek()? {
            b'"' => self.raw_string()?,
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.raw_string()?;
                            if depth == 0 {
                                break;
                            }
                            continue;
                        }
                        b'{' | b'[' => depth = depth.saturating_add(1),
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.bump();
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.bump();
                }
            }
            _ => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r') {
                        break;
                    }
                    self.bump();
                }
            }
        }
        self.out.extend_from_slice(self.b.get(start..self.i)?);
        Some(())
    }

    /// At a `"`: skips to the quote that closes the string (an escape skips the byte after
    /// its backslash), not checking what is between.
    fn raw_string(&mut self) -> Go {
        self.bump();
        loop {
            self.plain_run();
            match self.peek()? {
                b'"' => {
                    self.bump();
                    return Some(());
                }
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                _ => self.bump(),
            }
        }
    }
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::super::project::{Projection, project_str};
    use super::reduce;
    use crate::synth::{SynthConfig, chart};

    /// Projections of one path and of several, records and leaves.
    fn projections() -> Vec<Projection> {
        let mut paths: Vec<String> = Vec::new();
        for (leaf, _) in super::super::schema().leaf_paths() {
            if !leaf.starts_with("reporting_period") {
                paths.push(leaf);
            }
        }
        let mut out = vec![
            Projection::from_paths(["death"]),
            Projection::from_paths(["diagnoses", "patient.sex"]),
            Projection::from_paths(["diagnoses.cancer_type", "procedures.date"]),
            Projection::from_paths(["regimens.agents.category", "administrations"]),
        ];
        for (k, chunk) in paths.chunks(7).enumerate() {
            out.push(Projection::from_paths(chunk.iter().step_by(1 + k % 3)));
        }
        out.retain(|p| !p.is_full());
        out
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// The projected parse of `text` with the first pass, as `chart_from_str` makes it.
    fn with_pass(text: &str, p: &Projection) -> (bool, Option<crate::chart::Chart>) {
        let mut buf = Vec::new();
        if !reduce(text, p.root(), &mut buf) {
            return (false, None);
        }
        let short = std::str::from_utf8(&buf).unwrap();
        (true, project_str(short, p).ok())
    }

    #[test]
    fn synthetic_charts_take_the_first_pass_and_read_the_same() {
        let config = SynthConfig::new(200, 5, 2, 11);
        let ps = projections();
        for i in 0..60 {
            let text = chart(&config, i).to_json();
            for p in &ps {
                let (took, short) = with_pass(&text, p);
                assert!(took, "chart {i} {p:?}");
                let whole = project_str(&text, p).ok();
                assert!(whole.is_some());
                assert_eq!(short, whole, "chart {i} {p:?}");
            }
        }
    }

    #[test]
    fn a_broken_chart_the_first_pass_keeps_reads_as_it_would_without_it() {
        // Random edits with JSON's significant bytes: whenever the short text reads, the
        // original reads to the same chart under the projection.
        const BYTES: &[u8] = b"{}[]\",:\\ -.0123456789eEtrufalsn\x01u\t";
        let config = SynthConfig::new(200, 5, 2, 5);
        let ps = projections();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let (mut taken, mut refused_too) = (0, 0);
        for i in 0..40 {
            let text = chart(&config, i).to_json().into_bytes();
            for _ in 0..150 {
                let mut t = text.clone();
                for _ in 0..1 + rng.next(3) {
                    let at = rng.next(t.len());
                    let b = BYTES[rng.next(BYTES.len())];
                    match rng.next(3) {
                        0 => t[at] = b,
                        1 => t.insert(at, b),
                        _ => {
                            t.remove(at);
                        }
                    }
                }
                let Ok(t) = String::from_utf8(t) else {
                    continue;
                };
                let p = &ps[rng.next(ps.len())];
                let (took, short) = with_pass(&t, p);
                if !took {
                    continue;
                }
                let whole = project_str(&t, p).ok();
                match &short {
                    Some(_) => {
                        taken += 1;
                        assert_eq!(short, whole, "{t}");
                    }
                    // Refused short text: the original is then read as before (and is
                    // refused too: the short text holds the original's kept bytes).
                    None => {
                        assert!(whole.is_none(), "{t}");
                        refused_too += 1;
                    }
                }
            }
        }
        assert!(taken > 500 && refused_too > 20, "{taken} {refused_too}");
    }

    #[test]
    fn keys_out_of_order_unknown_or_long_are_found_or_refused() {
        let p = Projection::from_paths(["death"]);
        let base = r#"{"round":"2026-1","practice":"p","id":"a","patient":{"transferred_in_after_treatment_start":true,"sex":"male","birth_date":"1950-01-01"}}"#;
        let (took, short) = with_pass(base, &p);
        assert!(took && short.is_some());
        for bad in [
            r#"{"id":"a","practice":"p","round":"2026-1","patient":{"transferred_in_after_treatment_stark":true}}"#,
            r#"{"id":"a","practice":"p","round":"2026-1","patient":{"sexx":"male"}}"#,
            r#"{"id":"a","practice":"p","round":"2026-1","patient":{"se":"male"}}"#,
            r#"{"id":"a","practice":"p","round":"2026-1","patient":{"sex":"male","sex":"male"}}"#,
            r#"{"id":"a","practice":"p","round":"2026-1","patient":{"s\u0065x":"male"}}"#,
        ] {
            assert!(!with_pass(bad, &p).0, "{bad}");
            assert!(
                project_str(bad, &p).is_err() || bad.contains("\\u"),
                "{bad}"
            );
        }
    }
}
