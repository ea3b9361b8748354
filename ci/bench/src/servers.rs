//! In-process servers on 127.0.0.1: one that sends a payload and closes, one that answers lines,
//! and one that answers lines after a delay.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Serves `payload` `times` times over to every connection (over TLS when `tls` is set), then
/// closes it.
pub fn payload_server(
    payload: Arc<Vec<u8>>,
    times: usize,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> u16 {
    serve(move |stream| {
        let _ = stream.set_nodelay(true);
        match &tls {
            None => send_all(stream, &payload, times),
            Some(config) => {
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                if write_times(&mut tls, &payload, times).is_ok() {
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                }
                let _ = tls.sock.shutdown(Shutdown::Write);
                drain(tls.sock);
            }
        }
    })
}

/// Answers one line per connection with the same line (over TLS when `tls` is set).
pub fn line_server(tls: Option<Arc<rustls::ServerConfig>>) -> u16 {
    serve(move |stream| {
        let _ = stream.set_nodelay(true);
        match &tls {
            None => answer_line(stream, Duration::ZERO),
            Some(config) => {
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                answer_line(rustls::StreamOwned::new(conn, stream), Duration::ZERO);
            }
        }
    })
}

/// Answers one line per connection with the same line, `delay` after it arrived: a device
/// that takes its time (plain TCP).
pub fn slow_line_server(delay: Duration) -> u16 {
    serve(move |stream| {
        let _ = stream.set_nodelay(true);
        answer_line(stream, delay);
    })
}

fn answer_line<S: Read + Write>(stream: S, delay: Duration) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line).is_ok() {
        thread::sleep(delay);
        let stream = reader.get_mut();
        let _ = stream.write_all(&line).and_then(|_| stream.flush());
    }
}

fn send_all(mut stream: TcpStream, payload: &[u8], times: usize) {
    if write_times(&mut stream, payload, times).is_ok() {
        let _ = stream.shutdown(Shutdown::Write);
    }
    drain(stream);
}

fn write_times<W: Write>(stream: &mut W, payload: &[u8], times: usize) -> std::io::Result<()> {
    for _ in 0..times {
        stream.write_all(payload)?;
    }
    stream.flush()
}

/// Waits for the client to close, so the server never resets a connection with unread data.
fn drain(mut stream: TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

fn serve<F: Fn(TcpStream) + Send + Sync + 'static>(handler: F) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = Arc::new(handler);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            thread::spawn(move || handler(stream));
        }
    });
    port
}
