//! The fingerprint of a compiled measure library: what a tally or a report was computed
//! with, so counts from two different libraries never merge.
//!
//! It covers every measure id, the text of every spec file (shared `lib/` modules included)
//! and every value set, and nothing else: file names and locations do not change it, and
//! line endings are normalised, so the same specs checked out anywhere give the same
//! fingerprint.

use std::fmt;

use super::library::SpecFile;

/// A 128-bit fingerprint of a measure library (ids, spec texts, value sets); its `Display`
/// is 32 hex digits.
///
/// ```
/// let lib = oncoqual::Library::bundled().unwrap();
/// assert_eq!(lib.fingerprint().to_string().len(), 32);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LibraryFingerprint([u8; 16]);

impl LibraryFingerprint {
    /// Parses 32 hex digits.
    pub fn parse(s: &str) -> Option<LibraryFingerprint> {
        let mut b = [0u8; 16];
        crate::chart::digest::hex_into(s, &mut b).then_some(LibraryFingerprint(b))
    }

    /// The fingerprint of spec files, value-set files and the measure ids they define.
    pub(crate) fn of(
        specs: &[SpecFile],
        valuesets: &[SpecFile],
        ids: &mut dyn Iterator<Item = &str>,
    ) -> LibraryFingerprint {
        let content = |files: &[SpecFile]| {
            let mut d: Vec<[u8; 32]> = files
                .iter()
                .map(|f| *blake3::hash(f.text.replace("\r\n", "\n").as_bytes()).as_bytes())
                .collect();
            d.sort_unstable();
            d
        };
        let ids: Vec<&str> = ids.collect();
        let mut h = blake3::Hasher::new_derive_key("oncoqual 2026-12 measure library fingerprint");
        for (tag, list) in [(b'S', content(specs)), (b'V', content(valuesets))] {
            h.update(&[tag]);
            h.update(&(list.len() as u64).to_le_bytes());
            for d in &list {
                h.update(d);
            }
        }
        h.update(b"I");
        Self::finish(h, ids)
    }

    /// Hashes `ids` (sorted first, each length-prefixed) into `h` and keeps the first 16
    /// bytes of the result.
    fn finish(mut h: blake3::Hasher, mut ids: Vec<&str>) -> LibraryFingerprint {
        ids.sort_unstable();
        for id in ids {
            h.update(&(id.len() as u64).to_le_bytes());
            h.update(id.as_bytes());
        }
        let mut b = [0u8; 16];
        b.copy_from_slice(&h.finalize().as_bytes()[..16]);
        LibraryFingerprint(b)
    }

    /// The fingerprint of the part of the library `self` that holds only the measures
    /// `ids` (any order): another library, so its tallies never merge with the whole one's.
    pub(crate) fn restricted(self, ids: &[&str]) -> LibraryFingerprint {
        let mut h =
            blake3::Hasher::new_derive_key("oncoqual 2026-12 measure selection fingerprint");
        h.update(&self.0);
        Self::finish(h, ids.to_vec())
    }
}

impl fmt::Display for LibraryFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|x| write!(f, "{x:02x}"))
    }
}

impl fmt::Debug for LibraryFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for LibraryFingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LibraryFingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        LibraryFingerprint::parse(&s).ok_or_else(|| {
            serde::de::Error::custom("expected a library fingerprint (32 hex digits)")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(specs: &[(&str, &str)], vs: &[(&str, &str)], ids: &[&str]) -> LibraryFingerprint {
        let f = |l: &[(&str, &str)]| -> Vec<SpecFile> {
            l.iter().map(|(n, t)| SpecFile::new(*n, *t)).collect()
        };
        LibraryFingerprint::of(&f(specs), &f(vs), &mut ids.iter().copied())
    }

    #[test]
    fn the_fingerprint_follows_contents_and_ids_not_names_order_or_line_endings() {
        let a = fp(
            &[("a.oqm", "x\n"), ("b.oqm", "y\n")],
            &[("v.json", "{}")],
            &["m"],
        );
        assert_eq!(
            a,
            fp(
                &[("z/b.oqm", "y\r\n"), ("q.oqm", "x\n")],
                &[("w.json", "{}")],
                &["m"]
            )
        );
        assert_ne!(
            a,
            fp(
                &[("a.oqm", "x\n"), ("b.oqm", "y \n")],
                &[("v.json", "{}")],
                &["m"]
            )
        );
        assert_ne!(
            a,
            fp(
                &[("a.oqm", "x\n"), ("b.oqm", "y\n")],
                &[("v.json", "{ }")],
                &["m"]
            )
        );
        assert_ne!(
            a,
            fp(
                &[("a.oqm", "x\n"), ("b.oqm", "y\n")],
                &[("v.json", "{}")],
                &["n"]
            )
        );
        // A spec moved into the value sets is another library.
        assert_ne!(
            a,
            fp(
                &[("a.oqm", "x\n")],
                &[("v.json", "{}"), ("b", "y\n")],
                &["m"]
            )
        );
        assert_eq!(LibraryFingerprint::parse(&a.to_string()), Some(a));
    }
}
