//! Charts cut down to some dictionary paths, as JSON: the reference a projected parse and
//! data requirements are held to.

use oncoqual::chart::BaseType;
use serde_json::{Map, Value};

/// `value` (at dictionary path `at`, the chart itself at "") with only the record fields
/// whose path `keep` accepts: a record keeps those fields, anything else is kept whole;
/// list elements share their list's path.
pub fn cut(value: &Value, at: &str, keep: &dyn Fn(&str) -> bool) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| cut(v, at, keep)).collect()),
        Value::Object(fields) if is_record(at) => {
            let mut kept = Map::new();
            for (name, v) in fields {
                let path = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                if keep(&path) {
                    kept.insert(name.clone(), cut(v, &path, keep));
                }
            }
            Value::Object(kept)
        }
        other => other.clone(),
    }
}

fn is_record(at: &str) -> bool {
    at.is_empty()
        || oncoqual::schema()
            .resolve(at)
            .is_some_and(|r| matches!(r.ty.base, BaseType::Record { .. }))
}
