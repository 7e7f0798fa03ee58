//! Reading one JSON object from stdin without leaving copies behind: the card of
//! `charge --card-stdin` and the request given to `sign` carry a card number.
//!
//! The text goes into one buffer reserved up front (it never grows, so no reallocation leaves
//! a copy in freed memory) and overwritten when it is dropped; the parsed object comes back as
//! [`WipedParams`], which overwrites its values when dropped. serde_json's own scratch buffer
//! (used only for strings with escapes) cannot be reached from here and is not wiped.

use super::Exit;
use crate::aps::secret::{WipedParams, wipe_value};
use std::io::Read;
use zeroize::Zeroizing;

/// The most stdin may hold: far more than one APS request, small enough to reserve at once.
const STDIN_LIMIT: usize = 1024 * 1024;

/// Reads one JSON object from `input`.
///
/// # Errors
/// A usage error naming what is wrong with the input.
pub fn read_json_object(mut input: impl Read) -> Result<WipedParams, Exit> {
    let mut buffer = Zeroizing::new(vec![0u8; STDIN_LIMIT]);
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            return Err(Exit::usage(
                "stdin holds more than 1 MiB: give one JSON object, e.g. {\"number\": ...}",
            ));
        }
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Exit::usage(format!("could not read stdin: {e}"))),
        }
    }
    match serde_json::from_slice::<serde_json::Value>(&buffer[..filled]) {
        Ok(serde_json::Value::Object(map)) => Ok(WipedParams(map)),
        Ok(mut other) => {
            wipe_value(&mut other);
            Err(Exit::usage("stdin must hold one JSON object, e.g. {\"command\":\"PURCHASE\", ...}"))
        }
        Err(e) => Err(Exit::usage(format!("stdin is not valid JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_object_is_read_and_anything_else_refused() {
        let card = read_json_object(&br#"{"number":"4005550000000001","expiry":"05/30"}"#[..]).unwrap();
        assert_eq!(card["number"], "4005550000000001");
        for (input, words) in [
            (&b"[1, 2]"[..], "one JSON object"),
            (&b"{\"number\": "[..], "not valid JSON"),
            (&b""[..], "not valid JSON"),
        ] {
            let err = read_json_object(input).unwrap_err();
            assert_eq!(err.code, Exit::USAGE);
            assert!(err.message.as_deref().unwrap_or_default().contains(words), "{err:?}");
        }
    }

    #[test]
    fn input_over_the_limit_is_refused_not_grown_into() {
        let big = vec![b' '; STDIN_LIMIT + 1];
        let err = read_json_object(&big[..]).unwrap_err();
        assert!(err.message.as_deref().unwrap_or_default().contains("more than 1 MiB"), "{err:?}");
    }
}
