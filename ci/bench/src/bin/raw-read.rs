//! `raw-read PORT [BACKEND CA.pem]`: the whole-process reference for `tcplink request`. Reads
//! everything `127.0.0.1:PORT` sends, over plain TCP or through the TLS library's own stream, in
//! 64 KiB reads written to stdout.

#[path = "../raw.rs"]
mod raw;

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port = args[1].parse().expect("a port");
    let tls = args.get(2).map(|name| {
        let backend = tcplink::Backend::compiled()
            .into_iter()
            .find(|b| b.name() == name)
            .expect("a compiled backend");
        (backend, Path::new(&args[3]))
    });
    raw::read_loop(
        raw::Connector::new(tls).stream(port),
        std::io::stdout().lock(),
    );
}
