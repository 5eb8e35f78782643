//! Genesys `$encoding` (`base64`).
//!
//! Owns: the encoding tool. Must not touch: evaluation, other tools.

use base64::Engine as _;

use super::super::methods::Invoke::{self, *};
use super::super::value::Value;
use super::*;

// ------------------------------------------------------- Genesys helpers

pub(super) fn encoding(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        // ASSUMPTION (G4): base64 of the UTF-8 bytes, standard alphabet, padded.
        ("base64", [v]) => {
            if v.is_null() {
                return Ret(Value::Null);
            }
            s(base64::engine::general_purpose::STANDARD.encode(sv(v).as_bytes()))
        }
        _ => NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::super::run_tool as run;
    use crate::velocity::value::Tool;

    #[test]
    fn encoding_base64() {
        assert_eq!(run(Tool::Encoding, "base64", &["user:pass".into()]), "dXNlcjpwYXNz");
        assert_eq!(run(Tool::Encoding, "base64", &["é".into()]), "w6k=");
    }
}
