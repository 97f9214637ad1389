//! `?prettyPrint=true`: Jaeger's indented answers (Go's `json.MarshalIndent` layout, four spaces).

/// Re-lays out compact JSON: one member or element per line, indented by `indent` per level, `"key": value`,
/// empty objects and arrays kept as `{}` and `[]`. Strings are copied unchanged; whitespace outside them is
/// dropped first.
pub fn reindent(json: &[u8], indent: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + json.len() / 2);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        for _ in 0..depth {
            out.extend_from_slice(indent.as_bytes());
        }
    };
    let next_significant =
        |from: usize| json[from..].iter().position(|b| !b.is_ascii_whitespace()).map(|p| from + p);
    while i < json.len() {
        let c = json[i];
        match c {
            b'"' => {
                // Copy the string through its closing quote, escapes included.
                let start = i;
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    if json[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = (i + 1).min(json.len());
                out.extend_from_slice(&json[start..end]);
                i = end;
                continue;
            }
            b'{' | b'[' => {
                out.push(c);
                let close = if c == b'{' { b'}' } else { b']' };
                match next_significant(i + 1) {
                    Some(j) if json[j] == close => {
                        out.push(close);
                        i = j + 1;
                        continue;
                    }
                    _ => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
        i += 1;
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_like_go() {
        let compact = br#"{"data":[{"a":"x,\"{y}\"","b":[]},{}],"total":1,"errors":null}"#;
        let pretty = String::from_utf8(reindent(compact, "  ")).unwrap();
        assert_eq!(
            pretty,
            "{\n  \"data\": [\n    {\n      \"a\": \"x,\\\"{y}\\\"\",\n      \"b\": []\n    },\n    {}\n  ],\n  \
             \"total\": 1,\n  \"errors\": null\n}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(back, serde_json::from_slice::<serde_json::Value>(compact).unwrap());
    }
}
