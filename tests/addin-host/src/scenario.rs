//! A self-contained check of an add-in build: the interface, a round trip over a TCP echo
//! server run in-process, and the memory accounting. Needs nothing but the library, so the
//! same binary can check a Windows build under Wine or a 32-bit build.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::thread;

use crate::addin::AddinLibrary;
use crate::variant::Value;

/// Starts a TCP echo server on 127.0.0.1 (one thread per connection); returns its address.
pub fn spawn_echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an echo server");
    let addr = listener.local_addr().expect("echo server address");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 64 * 1024];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || stream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// The outcome of [`smoke`]: one line per check.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Checks that held.
    pub passed: Vec<String>,
    /// Checks that failed, with what was seen.
    pub failed: Vec<String>,
}

impl Outcome {
    fn check(&mut self, name: &str, ok: bool, seen: impl std::fmt::Debug) {
        if ok {
            self.passed.push(name.to_string());
        } else {
            self.failed.push(format!("{name}: got {seen:?}"));
        }
    }
}

/// Loads the add-in at `path` and checks: the class list, every method's two names and
/// parameter counts, a connect / send / read-with-marker / leftover / close round trip over an
/// echo server, `GetLastError`, and that every allocation was freed exactly once.
pub fn smoke(path: &Path) -> Result<Outcome, String> {
    let library = AddinLibrary::load(path).map_err(|e| e.to_string())?;
    let mut out = Outcome::default();
    out.check(
        "class names",
        library.class_names() == ["TcpClient"],
        library.class_names(),
    );
    library.set_platform_capabilities(3);
    let obj = library.create("TcpClient").map_err(|e| e.to_string())?;
    out.check(
        "extension name",
        obj.extension_name == "TcpClient",
        &obj.extension_name,
    );
    for num in 0..obj.n_methods() {
        let (en, ru) = (obj.method_name(num, 0), obj.method_name(num, 1));
        let by_en = en
            .as_deref()
            .and_then(|n| obj.find_method(&n.to_uppercase()));
        let by_ru = ru
            .as_deref()
            .and_then(|n| obj.find_method(&n.to_lowercase()));
        out.check(
            &format!("method {num} found by both names"),
            by_en == Some(num) && by_ru == Some(num),
            (en, ru),
        );
    }
    let echo = spawn_echo_server();
    let call = |name: &str, args: &[Value]| {
        obj.call(name, args)
            .map(|r| r.value)
            .map_err(|e| e.to_string())
    };
    out.check(
        "connect",
        call("Connect", &[Value::Str(echo.to_string())]) == Ok(Value::Bool(true)),
        (),
    );
    let sent = call("ОтправитьСтроку", &[Value::str("ping\nrest")]);
    out.check("send a line", sent == Ok(Value::Bool(true)), sent);
    let line = call("ПрочитатьСтроку", &[Value::str("UTF-8"), Value::str("\n")]);
    out.check(
        "read up to the marker",
        line == Ok(Value::str("ping\n")),
        line,
    );
    let rest = call(
        "ReadLine",
        &[Value::str("UTF-8"), Value::str(""), Value::I4(300)],
    );
    out.check(
        "the leftover comes next",
        rest == Ok(Value::str("rest")),
        rest,
    );
    let end = obj.get_prop("LastReadEnd").map(|r| r.value);
    out.check(
        "the read ended on the timeout",
        end == Ok(Value::str("timeout")),
        end,
    );
    let closed = call("ЗакрытьСоединение", &[]);
    out.check("close", closed == Ok(Value::Bool(true)), closed);
    let error = call("GetLastError", &[]);
    out.check("no error after success", error == Ok(Value::str("")), error);
    let memory = obj.destroy();
    out.check(
        "every allocation freed once",
        memory.is_balanced() && memory.allocations > 0,
        memory,
    );
    Ok(out)
}
