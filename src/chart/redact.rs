//! Redacting `Debug`: chart types show their shape (which fields are present, how many list
//! entries) but never a patient value.

use std::fmt;

/// How a value appears inside a chart's `Debug` output.
///
/// The default prints `<redacted>`; records print their own redacted structure.
pub trait DebugShape {
    /// Writes the redacted shape of `self`.
    fn fmt_shape(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Adapter that formats a value's [`DebugShape`] through `Debug`.
pub(crate) struct Shape<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: DebugShape + ?Sized> fmt::Debug for Shape<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_shape(f)
    }
}

impl<T: DebugShape> DebugShape for Option<T> {
    fn fmt_shape(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(v) => v.fmt_shape(f),
            None => f.write_str("None"),
        }
    }
}

impl<T: DebugShape> DebugShape for Vec<T> {
    fn fmt_shape(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(Shape)).finish()
    }
}

impl DebugShape for bool {}
