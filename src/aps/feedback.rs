//! Transaction feedback (spec 3.13): the posts APS sends to the merchant's Direct Transaction
//! Feedback URL and Notification URL. APS posts form fields by default, JSON when the merchant
//! asks for it; either way the fields are a transaction result, signed with the SHA response
//! phrase like a server-to-server answer (spec 2.6).

use super::Params;
use serde_json::Value;

/// Why a post cannot be read as feedback.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("the post is empty")]
    Empty,
    #[error("the post is not form fields or a JSON object")]
    Unreadable,
    #[error("the post names the field {0} twice")]
    Repeated(String),
    #[error("the post has no merchant_reference")]
    NoReference,
}

/// One post, read: its fields as APS signed them, and the three that say what it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Post {
    pub params: Params,
    pub merchant_reference: String,
    /// `PURCHASE`, `AUTHORIZATION`, `CAPTURE`, `REFUND`, `VOID_AUTHORIZATION` (empty if absent).
    pub command: String,
    /// The five-digit response code (empty if absent).
    pub response_code: String,
}

impl Post {
    /// Reads a post body. JSON is recognised by its content type or, as some proxies drop the
    /// header, by a body that starts with `{`; anything else is read as form fields.
    ///
    /// # Errors
    /// [`PostError`] naming what is wrong; nothing in the error repeats a field's value.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, PostError> {
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() {
            return Err(PostError::Empty);
        }
        let json = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("json"))
            || trimmed.first() == Some(&b'{');
        let params = if json { json_fields(trimmed)? } else { form_fields(trimmed)? };
        let field = |name: &str| params.get(name).and_then(Value::as_str).map(str::trim).unwrap_or_default();
        let merchant_reference = field("merchant_reference").to_owned();
        if merchant_reference.is_empty() {
            return Err(PostError::NoReference);
        }
        let (command, response_code) = (field("command").to_owned(), field("response_code").to_owned());
        Ok(Self { merchant_reference, command, response_code, params })
    }
}

fn json_fields(body: &[u8]) -> Result<Params, PostError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(PostError::Unreadable),
    }
}

fn form_fields(body: &[u8]) -> Result<Params, PostError> {
    if !body.contains(&b'=') || std::str::from_utf8(body).is_err() {
        return Err(PostError::Unreadable);
    }
    let mut params = Params::new();
    for (name, value) in form_urlencoded::parse(body) {
        // A repeated field would make the signature ambiguous: which value was signed?
        if params.insert(name.to_string(), Value::String(value.into_owned())).is_some() {
            return Err(PostError::Repeated(name.into_owned()));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_decoded_and_the_three_facts_read() {
        let body = b"command=PURCHASE&merchant_reference=ORD-1&response_code=14000&customer_name=Layla+Haddad&card_number=400555%2A%2A%2A%2A%2A%2A0001";
        let post = Post::parse(Some("application/x-www-form-urlencoded"), body).unwrap();
        assert_eq!(post.merchant_reference, "ORD-1");
        assert_eq!(post.command, "PURCHASE");
        assert_eq!(post.response_code, "14000");
        assert_eq!(post.params["customer_name"], "Layla Haddad");
        assert_eq!(post.params["card_number"], "400555******0001");
    }

    #[test]
    fn json_is_read_by_its_type_or_its_first_brace() {
        let body =
            br#"{"command":"REFUND","merchant_reference":"R-2","response_code":"06000","amount":1000}"#;
        for content_type in [Some("application/json; charset=UTF-8"), None, Some("text/plain")] {
            let post = Post::parse(content_type, body).unwrap();
            assert_eq!((post.command.as_str(), post.merchant_reference.as_str()), ("REFUND", "R-2"));
            // Kept as sent: the signature covers the value APS wrote.
            assert_eq!(post.params["amount"], serde_json::json!(1000));
        }
    }

    #[test]
    fn unreadable_posts_say_why() {
        assert_eq!(Post::parse(None, b"  \r\n"), Err(PostError::Empty));
        assert_eq!(Post::parse(Some("application/json"), b"[1,2]"), Err(PostError::Unreadable));
        assert_eq!(Post::parse(None, b"{not json"), Err(PostError::Unreadable));
        assert_eq!(Post::parse(None, b"hello world"), Err(PostError::Unreadable));
        assert_eq!(Post::parse(None, b"command=PURCHASE&status=14"), Err(PostError::NoReference));
        assert_eq!(
            Post::parse(None, b"merchant_reference=A&amount=1&amount=2"),
            Err(PostError::Repeated("amount".into()))
        );
        assert_eq!(Post::parse(None, &[b'a', b'=', 0xff, 0xfe]), Err(PostError::Unreadable));
    }
}
