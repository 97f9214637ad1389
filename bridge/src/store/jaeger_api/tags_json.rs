//! The `tags` parameter of `/api/traces`: a JSON object of strings, read with the error texts of Go's
//! `encoding/json` (what Jaeger answers), so that clients see the message they would get from Jaeger.

use serde_json::Value;
use std::collections::BTreeMap;

/// Reads `{"key":"value",...}` (`null` gives nothing). The error is Go's text, e.g. `invalid character 'n'
/// looking for beginning of object key string` or `json: cannot unmarshal number into Go value of type string`.
pub fn parse_string_map(text: &str) -> Result<BTreeMap<String, String>, String> {
    Scanner { data: text.as_bytes(), pos: 0 }.check()?;
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let cannot = |v: &Value, into: &str| {
        format!("json: cannot unmarshal {} into Go value of type {into}", go_kind(v))
    };
    match value {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(map) => {
            let mut out = BTreeMap::new();
            let mut first_error = None;
            for (key, value) in map {
                match value {
                    Value::String(s) => {
                        out.insert(key, s);
                    }
                    // Go leaves the zero value for null.
                    Value::Null => {
                        out.insert(key, String::new());
                    }
                    other => {
                        first_error.get_or_insert_with(|| cannot(&other, "string"));
                    }
                }
            }
            match first_error {
                Some(e) => Err(e),
                None => Ok(out),
            }
        }
        other => Err(cannot(&other, "map[string]string")),
    }
}

fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A syntax check giving the messages of Go's JSON scanner.
struct Scanner<'a> {
    data: &'a [u8],
    pos: usize,
}

const END: &str = "unexpected end of JSON input";

impl Scanner<'_> {
    fn check(mut self) -> Result<(), String> {
        self.value()?;
        self.skip_space();
        match self.peek() {
            None => Ok(()),
            Some(c) => Err(invalid(c, "after top-level value")),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn next(&mut self) -> Result<u8, String> {
        let c = self.peek().ok_or_else(|| END.to_string())?;
        self.pos += 1;
        Ok(c)
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<(), String> {
        self.skip_space();
        match self.next()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string(),
            b'-' => {
                let c = self.next()?;
                if !c.is_ascii_digit() {
                    return Err(invalid(c, "in numeric literal"));
                }
                self.number(c)
            }
            c @ b'0'..=b'9' => self.number(c),
            b't' => self.literal(b"rue", "true"),
            b'f' => self.literal(b"alse", "false"),
            b'n' => self.literal(b"ull", "null"),
            c => Err(invalid(c, "looking for beginning of value")),
        }
    }

    fn object(&mut self) -> Result<(), String> {
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_space();
            match self.next()? {
                b'"' => self.string()?,
                c => return Err(invalid(c, "looking for beginning of object key string")),
            }
            self.skip_space();
            match self.next()? {
                b':' => {}
                c => return Err(invalid(c, "after object key")),
            }
            self.value()?;
            self.skip_space();
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(()),
                c => return Err(invalid(c, "after object key:value pair")),
            }
        }
    }

    fn array(&mut self) -> Result<(), String> {
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value()?;
            self.skip_space();
            match self.next()? {
                b',' => continue,
                b']' => return Ok(()),
                c => return Err(invalid(c, "after array element")),
            }
        }
    }

    fn string(&mut self) -> Result<(), String> {
        loop {
            match self.next()? {
                b'"' => return Ok(()),
                b'\\' => match self.next()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        for _ in 0..4 {
                            let c = self.next()?;
                            if !c.is_ascii_hexdigit() {
                                return Err(invalid(c, "in \\u hexadecimal character escape"));
                            }
                        }
                    }
                    c => return Err(invalid(c, "in string escape code")),
                },
                c if c < 0x20 => return Err(invalid(c, "in string literal")),
                _ => {}
            }
        }
    }

    /// A number whose first digit `first` was read; stops before the first byte that is not part of it.
    fn number(&mut self, first: u8) -> Result<(), String> {
        if first != b'0' {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let c = self.next()?;
            if !c.is_ascii_digit() {
                return Err(invalid(c, "after decimal point in numeric literal"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let mut c = self.next()?;
            if c == b'+' || c == b'-' {
                c = self.next()?;
            }
            if !c.is_ascii_digit() {
                return Err(invalid(c, "in exponent of numeric literal"));
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, rest: &[u8], word: &str) -> Result<(), String> {
        for &want in rest {
            let c = self.next()?;
            if c != want {
                let context = format!("in literal {word} (expecting '{}')", want as char);
                return Err(invalid(c, &context));
            }
        }
        Ok(())
    }
}

/// `invalid character 'x' <context>`, the character quoted as Go's scanner does (byte as a Latin-1 rune).
fn invalid(c: u8, context: &str) -> String {
    let quoted = match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        b'\\' => "'\\\\'".to_string(),
        0x07 => "'\\a'".into(),
        0x08 => "'\\b'".into(),
        0x0c => "'\\f'".into(),
        b'\n' => "'\\n'".into(),
        b'\r' => "'\\r'".into(),
        b'\t' => "'\\t'".into(),
        0x0b => "'\\v'".into(),
        c if c < 0x20 || c == 0x7f => format!("'\\x{c:02x}'"),
        c if (0x80..0xa0).contains(&c) => format!("'\\u{c:04x}'"),
        // U+00AD (soft hyphen) is not printable for Go either.
        0xad => "'\\u00ad'".into(),
        c => format!("'{}'", char::from(c)),
    };
    format!("invalid character {quoted} {context}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_string_map(text).unwrap_err()
    }

    #[test]
    fn reads_string_maps() {
        let map = parse_string_map(r#" {"error":"true", "a.b" : "x\"y", "n": null} "#).unwrap();
        assert_eq!(map["error"], "true");
        assert_eq!(map["a.b"], "x\"y");
        assert_eq!(map["n"], "");
        assert!(parse_string_map("null").unwrap().is_empty());
    }

    #[test]
    fn answers_go_messages() {
        assert_eq!(
            err("{not json"),
            "invalid character 'n' looking for beginning of object key string"
        );
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("{\"a\":\"b\""), "unexpected end of JSON input");
        assert_eq!(err("{\"a\" \"b\"}"), "invalid character '\"' after object key");
        assert_eq!(err("{\"a\":\"b\" x"), "invalid character 'x' after object key:value pair");
        assert_eq!(err("{\"a\":tru}"), "invalid character '}' in literal true (expecting 'e')");
        assert_eq!(err("{\"a\":-x}"), "invalid character 'x' in numeric literal");
        assert_eq!(err("{} x"), "invalid character 'x' after top-level value");
        assert_eq!(err("x"), "invalid character 'x' looking for beginning of value");
        assert_eq!(err("{\"a\":1}"), "json: cannot unmarshal number into Go value of type string");
        assert_eq!(
            err("[1]"),
            "json: cannot unmarshal array into Go value of type map[string]string"
        );
    }
}
