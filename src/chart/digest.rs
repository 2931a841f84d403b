//! Chart identity without the identifier: a 128-bit keyed digest of (round, practice, chart
//! id), so a tally can prove that every chart counts once across every file, shard and
//! machine without carrying a chart id.
//!
//! The digest is BLAKE3 in keyed mode. With a program-wide secret ([`ChartKey::from_secret`])
//! nobody without the secret can read an id back or test a guess against the file; without
//! one ([`ChartKey::unkeyed`]) the digests are still exact but a short or guessable id could
//! be found by trying candidates, so programs that share tallies should configure a secret.
//! Every shard of one report must use the same key: tallies stamp the key's public id
//! ([`ChartKey::id`]), never the key, and a merge of two keys is refused.
//!
//! ```
//! use oncoqual::chart::{ChartDigest, ChartKey};
//! use oncoqual::{ChartId, PracticeId, RoundId};
//! let key = ChartKey::from_secret(b"a program-wide secret of 16+ bytes").unwrap();
//! let round: RoundId = "2026-1".parse().unwrap();
//! let p = PracticeId::new("P0001").unwrap();
//! let a = key.digest(round, &p, &ChartId::new("c-1").unwrap());
//! assert_eq!(a, key.digest(round, &p, &ChartId::new("c-1").unwrap()));
//! assert_ne!(a, ChartKey::unkeyed().digest(round, &p, &ChartId::new("c-1").unwrap()));
//! assert!(!a.to_string().contains("c-1"));
//! ```

use std::fmt;

use super::round::RoundId;
use super::types::{ChartId, PracticeId};

/// The key chart digests are computed under: a program-wide secret, or none.
#[derive(Clone, PartialEq, Eq)]
pub struct ChartKey {
    key: [u8; 32],
    id: KeyId,
}

/// The public name of a [`ChartKey`]: `unkeyed`, or 16 hex digits derived from the secret
/// (which they do not reveal). Tallies carry it so two keys never merge.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(Option<[u8; 8]>);

/// Why a secret cannot key chart digests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChartKeyError {
    /// The secret is shorter than [`ChartKey::MIN_SECRET_BYTES`].
    #[error("the chart-digest secret has {len} bytes; it needs at least {min}")]
    TooShort {
        /// Its length.
        len: usize,
        /// The minimum.
        min: usize,
    },
}

const KEY_CONTEXT: &str = "oncoqual 2026-12 chart-id digest key";
const KEY_ID_CONTEXT: &str = "oncoqual 2026-12 chart-id digest key id";

impl ChartKey {
    /// The shortest secret accepted (bytes, after trimming trailing white space).
    pub const MIN_SECRET_BYTES: usize = 16;

    /// Digests keyed by nothing secret: exact, but an id could be found by trying guesses.
    pub fn unkeyed() -> ChartKey {
        ChartKey {
            key: blake3::derive_key(KEY_CONTEXT, b""),
            id: KeyId(None),
        }
    }

    /// Digests keyed by a program-wide secret (at least 16 bytes; trailing white space, as a
    /// key file's final newline, is ignored).
    pub fn from_secret(secret: &[u8]) -> Result<ChartKey, ChartKeyError> {
        let secret = secret.trim_ascii_end();
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(ChartKeyError::TooShort {
                len: secret.len(),
                min: Self::MIN_SECRET_BYTES,
            });
        }
        let derived = blake3::derive_key(KEY_ID_CONTEXT, secret);
        let mut id = [0u8; 8];
        id.iter_mut()
            .zip(derived)
            .for_each(|(slot, byte)| *slot = byte);
        Ok(ChartKey {
            key: blake3::derive_key(KEY_CONTEXT, secret),
            id: KeyId(Some(id)),
        })
    }

    /// The key's public id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The digest of chart `chart` of `practice` in `round`.
    pub fn digest(&self, round: RoundId, practice: &PracticeId, chart: &ChartId) -> ChartDigest {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        // Length-prefixed, so no two (practice, id) pairs write the same bytes.
        h.update(&round.year().to_le_bytes());
        h.update(&[round.half()]);
        for part in [practice.as_str(), chart.as_str()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        let out = h.finalize();
        let mut b = [0u8; 16];
        b.copy_from_slice(&out.as_bytes()[..16]);
        ChartDigest(u128::from_be_bytes(b))
    }
}

impl Default for ChartKey {
    fn default() -> Self {
        ChartKey::unkeyed()
    }
}

impl fmt::Debug for ChartKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key itself.
        write!(f, "ChartKey({})", self.id)
    }
}

impl KeyId {
    /// The id of unkeyed digests.
    pub const UNKEYED: KeyId = KeyId(None);

    /// Parses `unkeyed` or 16 hex digits.
    pub fn parse(s: &str) -> Option<KeyId> {
        if s == "unkeyed" {
            return Some(KeyId(None));
        }
        let mut b = [0u8; 8];
        hex_into(s, &mut b).then_some(KeyId(Some(b)))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("unkeyed"),
            Some(b) => b.iter().try_for_each(|x| write!(f, "{x:02x}")),
        }
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        KeyId::parse(&s)
            .ok_or_else(|| serde::de::Error::custom("expected `unkeyed` or 16 hex digits"))
    }
}

/// A chart's 128-bit digest under a [`ChartKey`]: equal for the same (round, practice, chart
/// id), and distinct otherwise but with negligible probability (2⁻¹²⁸ per pair). Its
/// `Display` is 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChartDigest(u128);

impl ChartDigest {
    /// The digest as a number (for compact storage).
    pub const fn to_u128(self) -> u128 {
        self.0
    }

    /// A digest from its number.
    pub const fn from_u128(v: u128) -> ChartDigest {
        ChartDigest(v)
    }
}

impl fmt::Display for ChartDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for ChartDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Parses exactly `2 * out.len()` lower- or upper-case hex digits into `out`.
pub(crate) fn hex_into(s: &str, out: &mut [u8]) -> bool {
    let b = s.as_bytes();
    if out.len().checked_mul(2) != Some(b.len()) {
        return false;
    }
    for (slot, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        match pair {
            &[h, l] => match (hex_val(h), hex_val(l)) {
                (Some(h), Some(l)) => *slot = (h << 4) | l,
                _ => return false,
            },
            _ => return false,
        }
    }
    true
}

pub(crate) fn hex_val(c: u8) -> Option<u8> {
    // Exactly `0-9`, `a-f` and `A-F`; a hex digit's value is below 16 and fits a `u8`.
    char::from(c).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(p: &str, c: &str) -> (PracticeId, ChartId) {
        (PracticeId::new(p).unwrap(), ChartId::new(c).unwrap())
    }

    #[test]
    fn a_digest_depends_on_round_practice_id_and_key() {
        let r1: RoundId = "2026-1".parse().unwrap();
        let r2: RoundId = "2026-2".parse().unwrap();
        let k = ChartKey::unkeyed();
        let (p, c) = ids("P1", "c1");
        let d = k.digest(r1, &p, &c);
        assert_eq!(d, k.digest(r1, &p, &c));
        assert_ne!(d, k.digest(r2, &p, &c));
        let (p2, c2) = ids("P1c", "1");
        // Length prefixes keep ("P1", "c1") and ("P1c", "1") apart.
        assert_ne!(d, k.digest(r1, &p2, &c2));
        let keyed = ChartKey::from_secret(b"0123456789abcdef").unwrap();
        assert_ne!(d, keyed.digest(r1, &p, &c));
    }

    #[test]
    fn a_short_secret_is_refused_and_a_key_never_shows_itself() {
        assert_eq!(
            ChartKey::from_secret(b"short\n"),
            Err(ChartKeyError::TooShort { len: 5, min: 16 })
        );
        let secret = b"sentinel-secret-0123456789\n";
        let k = ChartKey::from_secret(secret).unwrap();
        // The final newline of a key file does not change the key.
        assert_eq!(
            k,
            ChartKey::from_secret(&secret[..secret.len() - 1]).unwrap()
        );
        let shown = format!("{k:?} {}", k.id());
        assert!(!shown.contains("sentinel"), "{shown}");
        assert_eq!(k.id().to_string().len(), 16);
        assert_eq!(KeyId::parse(&k.id().to_string()), Some(k.id()));
        assert_eq!(ChartKey::unkeyed().id().to_string(), "unkeyed");
        assert_eq!(KeyId::parse("unkeyed"), Some(KeyId::UNKEYED));
        assert_eq!(KeyId::parse("xyz"), None);
    }
}
