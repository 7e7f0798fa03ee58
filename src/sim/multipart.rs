//! A small `multipart/form-data` reader (RFC 7578) for the batch upload endpoint.
//!
//! It only needs what an HTML form or an HTTP client sends: parts separated by the boundary,
//! each with a `Content-Disposition: form-data; name=".."` header and optionally a filename.

/// One form field or file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MultipartError {
    #[error("the Content-Type is not multipart/form-data with a boundary")]
    NoBoundary,
    #[error("the body does not start with the boundary")]
    NoFirstBoundary,
    #[error("the body ends before the closing boundary")]
    Unterminated,
    #[error("a part has no blank line after its headers")]
    NoHeaderEnd,
    #[error("a part has no Content-Disposition form-data name")]
    NoName,
}

/// The boundary of a `multipart/form-data; boundary=...` content type.
pub(crate) fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let params = split_params(content_type);
    let kind = params.first().map(|(k, _)| k.as_str()).unwrap_or_default();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NoBoundary);
    }
    params
        .into_iter()
        .skip(1)
        .find(|(k, v)| k.eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 70)
        .map(|(_, v)| v)
        .ok_or(MultipartError::NoBoundary)
}

/// Splits a body into its parts.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let next_delimiter = [b"\r\n".as_slice(), delimiter].concat();
    // The first delimiter may be preceded by a preamble ending in CRLF.
    let mut pos = if body.starts_with(delimiter) {
        delimiter.len()
    } else {
        find(body, &next_delimiter, 0).ok_or(MultipartError::NoFirstBoundary)? + next_delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
        let skip = rest.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        if !rest[skip..].starts_with(b"\r\n") {
            return Err(MultipartError::Unterminated);
        }
        let start = pos + skip + 2;
        let end = find(body, &next_delimiter, start).ok_or(MultipartError::Unterminated)?;
        parts.push(parse_part(&body[start..end])?);
        pos = end + next_delimiter.len();
    }
}

fn parse_part(raw: &[u8]) -> Result<Part, MultipartError> {
    let (head, data) = if raw.starts_with(b"\r\n") {
        (&raw[..0], &raw[2..])
    } else {
        let split = find(raw, b"\r\n\r\n", 0).ok_or(MultipartError::NoHeaderEnd)?;
        (&raw[..split], &raw[split + 4..])
    };
    let head = String::from_utf8_lossy(head);
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else { continue };
        let key = key.trim();
        if key.eq_ignore_ascii_case("content-disposition") {
            let mut params = split_params(value);
            let disposition = params.first().map(|(k, _)| k.clone()).unwrap_or_default();
            if !disposition.eq_ignore_ascii_case("form-data") {
                return Err(MultipartError::NoName);
            }
            for (k, v) in params.drain(1..) {
                if k.eq_ignore_ascii_case("name") {
                    name = Some(v);
                } else if k.eq_ignore_ascii_case("filename") {
                    filename = Some(v);
                }
            }
        } else if key.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    let name = name.filter(|n| !n.is_empty()).ok_or(MultipartError::NoName)?;
    Ok(Part { name, filename, content_type, data: data.to_vec() })
}

/// `form-data; name="a;b"; filename=x` into `[("form-data",""), ("name","a;b"), ("filename","x")]`,
/// honouring quotes so a `;` inside a quoted value does not split it.
fn split_params(value: &str) -> Vec<(String, String)> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            current.push(c);
            escaped = false;
        } else if quoted && c == '\\' {
            current.push(c);
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
            current.push(c);
        } else if c == ';' && !quoted {
            pieces.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    pieces.push(current);
    pieces
        .into_iter()
        .map(|piece| match piece.split_once('=') {
            Some((k, v)) => (k.trim().to_owned(), unquote(v.trim())),
            None => (piece.trim().to_owned(), String::new()),
        })
        .collect()
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_from_content_type() {
        assert_eq!(boundary("multipart/form-data; boundary=abc").unwrap(), "abc");
        assert_eq!(boundary("Multipart/Form-Data;charset=utf-8; Boundary=\"a b;c\"").unwrap(), "a b;c");
        assert_eq!(boundary("application/json"), Err(MultipartError::NoBoundary));
        assert_eq!(boundary("multipart/form-data"), Err(MultipartError::NoBoundary));
        assert_eq!(boundary("multipart/form-data; boundary="), Err(MultipartError::NoBoundary));
    }

    #[test]
    fn fields_and_a_file() {
        let body = "preamble\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"service_command\"\r\n\r\n\
            UPLOAD_BATCH_FILE\r\n\
            --XyZ\r\n\
            Content-Disposition: form-data; name=\"file\"; filename=\"batch; 1.csv\"\r\n\
            Content-Type: text/csv\r\n\r\n\
            a,b\r\n1,2\r\n\r\n\
            --XyZ\r\n\
            Content-Disposition: form-data; name=\"empty\"\r\n\r\n\
            \r\n\
            --XyZ--\r\nepilogue";
        let parts = parse(body.as_bytes(), "XyZ").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "service_command");
        assert_eq!(parts[0].data, b"UPLOAD_BATCH_FILE");
        assert_eq!(parts[0].filename, None);
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].filename.as_deref(), Some("batch; 1.csv"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/csv"));
        assert_eq!(parts[1].data, b"a,b\r\n1,2\r\n");
        assert_eq!(parts[2].data, b"");
    }

    #[test]
    fn binary_data_containing_dashes_is_kept() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n--x\r\n-b\xff\x00\r\n--b--";
        let parts = parse(body, "b").unwrap();
        assert_eq!(parts[0].data, b"--x\r\n-b\xff\x00");
    }

    #[test]
    fn malformed_bodies_are_refused() {
        assert_eq!(parse(b"nothing here", "b"), Err(MultipartError::NoFirstBoundary));
        assert_eq!(
            parse(b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx", "b"),
            Err(MultipartError::Unterminated)
        );
        assert_eq!(
            parse(b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\nx\r\n--b--", "b"),
            Err(MultipartError::NoHeaderEnd)
        );
        assert_eq!(
            parse(b"--b\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--b--", "b"),
            Err(MultipartError::NoName)
        );
        assert_eq!(
            parse(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "b"),
            Err(MultipartError::NoName)
        );
        assert_eq!(parse(b"--bX", "b"), Err(MultipartError::Unterminated));
    }

    #[test]
    fn no_parts() {
        assert_eq!(parse(b"--b--\r\n", "b"), Ok(vec![]));
    }
}
