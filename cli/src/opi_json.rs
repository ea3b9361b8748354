//! Settings JSON the way OPI's documentation writes it: single-quoted strings
//! (`{'server':'127.0.0.1','port':'1080'}`) and numbers or booleans given as strings. The CLI
//! accepts that form and hands the library strict JSON; anything it cannot make sense of is
//! passed on unchanged, so the library's error names the problem.

use serde_json::Value;

/// Fields whose value is a number, and fields whose value is a boolean, in the settings JSON.
const NUMBER_FIELDS: [&str; 1] = ["port"];
const BOOLEAN_FIELDS: [&str; 2] = ["use_tls", "accept_invalid_certs"];

/// `text` as strict JSON: as it is when it already is strict JSON with typed values, otherwise
/// with single quotes turned into double quotes and `"1080"` / `"true"` turned into typed values.
pub fn normalize(text: &str) -> String {
    let parsed = serde_json::from_str::<Value>(text)
        .or_else(|_| serde_json::from_str::<Value>(&double_quoted(text)));
    match parsed {
        Ok(Value::Object(mut fields)) => {
            for (name, value) in fields.iter_mut() {
                if let Value::String(s) = value {
                    if NUMBER_FIELDS.contains(&name.as_str()) {
                        if let Ok(n) = s.trim().parse::<i64>() {
                            *value = Value::from(n);
                        }
                    } else if BOOLEAN_FIELDS.contains(&name.as_str()) {
                        if let Some(b) = boolean(s) {
                            *value = Value::Bool(b);
                        }
                    }
                }
            }
            Value::Object(fields).to_string()
        }
        _ => text.to_string(),
    }
}

/// A boolean written as text, in English or as 1C writes it.
fn boolean(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "истина" => Some(true),
        "false" | "ложь" => Some(false),
        _ => None,
    }
}

/// `text` with its single-quoted strings written in double quotes.
fn double_quoted(text: &str) -> String {
    #[derive(PartialEq)]
    enum In {
        Code,
        Double,
        Single,
    }
    let mut out = String::with_capacity(text.len());
    let mut state = In::Code;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (&state, c) {
            (In::Code, '\'') => {
                out.push('"');
                state = In::Single;
            }
            (In::Code, '"') => {
                out.push('"');
                state = In::Double;
            }
            (In::Single, '\'') | (In::Double, '"') => {
                out.push('"');
                state = In::Code;
            }
            (In::Single, '"') => out.push_str("\\\""),
            (In::Single, '\\') if chars.clone().next() == Some('\'') => {
                chars.next();
                out.push('\'');
            }
            (In::Single | In::Double, '\\') => {
                out.push('\\');
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            (_, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opis_documented_form_becomes_strict_json() {
        let proxy = normalize("{'server':'127.0.0.1','port':'1080','proxy_type':'socks5'}");
        let value: Value = serde_json::from_str(&proxy).unwrap();
        assert_eq!(value["server"], "127.0.0.1");
        assert_eq!(value["port"], 1080);
        let tls = normalize("{'use_tls':'true','accept_invalid_certs':'Истина','ca_cert_path':''}");
        let value: Value = serde_json::from_str(&tls).unwrap();
        assert_eq!(
            (
                value["use_tls"].clone(),
                value["accept_invalid_certs"].clone()
            ),
            (true.into(), true.into())
        );
    }

    #[test]
    fn quotes_inside_strings_survive() {
        let text = normalize(r#"{'login':'o\'neil "x"','port':1}"#);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["login"], "o'neil \"x\"");
        let strict = r#"{"server":"it's","port":2}"#;
        assert_eq!(
            serde_json::from_str::<Value>(&normalize(strict)).unwrap()["server"],
            "it's"
        );
    }

    #[test]
    fn what_cannot_be_read_is_passed_on_unchanged() {
        assert_eq!(normalize("{'server':"), "{'server':");
        assert_eq!(normalize("[1,2]"), "[1,2]");
        // A port that is not a number stays a string, for the library to refuse by name.
        assert!(normalize("{'port':'x'}").contains("\"x\""));
    }
}
