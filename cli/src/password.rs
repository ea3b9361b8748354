//! `--pfx-pass`: where the password of a PKCS#12 file comes from, in OpenSSL's `-passin` forms,
//! so it need not be written on the command line, where other users see it (`ps`).

use tcplink::{Error, Result, Secret};

/// The option this module reads, for messages.
const PARAM: &str = "--pfx-pass";

/// The password `source` names: `env:VAR` (an environment variable, looked up by `env`),
/// `file:PATH` (the file's first line) or `pass:TEXT` (the text itself). Errors name the option
/// and the variable or file, never a password.
pub fn read(source: &str, env: impl Fn(&str) -> Option<String>) -> Result<Secret> {
    let (form, value) = source.split_once(':').unwrap_or((source, ""));
    match form {
        "env" => env(value).map(Secret).ok_or_else(|| {
            Error::argument(
                PARAM,
                format!("the environment variable {value:?} is not set"),
            )
        }),
        "file" => {
            let text = std::fs::read_to_string(value)
                .map_err(|e| Error::argument(PARAM, format!("cannot read {value}: {e}")))?;
            let line = text.lines().next().unwrap_or_default();
            Ok(Secret(line.to_string()))
        }
        "pass" => Ok(Secret(value.to_string())),
        _ => Err(Error::argument(
            PARAM,
            "expected env:VARIABLE, file:PATH or pass:PASSWORD",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_gives_the_password_and_errors_do_not() {
        let env = |name: &str| (name == "PFX_PW").then(|| "from-env".to_string());
        assert_eq!(read("env:PFX_PW", env).unwrap().0, "from-env");
        assert_eq!(read("pass:typed:in", env).unwrap().0, "typed:in");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw.txt");
        std::fs::write(&file, "from-file\nsecond line\n").unwrap();
        let source = format!("file:{}", file.display());
        assert_eq!(read(&source, env).unwrap().0, "from-file");
        for bad in ["env:UNSET", "file:/nonexistent/pw", "typed-in", "stdin"] {
            let err = read(bad, env).unwrap_err();
            assert!(err.message().starts_with("--pfx-pass: "), "{err}");
            assert!(!err.message().contains("typed-in"), "{err}");
        }
    }
}
