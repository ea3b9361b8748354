//! The churn scenario: objects created, used and destroyed one after another, as a long-running
//! host process does, each with its own connection; every object's memory must balance and every
//! destruction must close its connection.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use crate::checks::{call, s};
use crate::variant::Value;

use super::Host;

/// Creates `objects` objects one after another; each connects to a listener of this scenario,
/// sends a line, reads it back from the echo server, and is destroyed as the profile's host
/// destroys it, half of them with the connection still open. Asserts that each object's memory
/// balanced and that the peer saw each connection closed.
///
/// # Panics
/// At the first object that leaked, failed, or left its connection open.
pub fn churn(host: &Host, objects: usize) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a listener");
    let own: SocketAddr = listener.local_addr().expect("listener address");
    for n in 0..objects {
        let obj = host.client();
        // Every object talks to the echo server once, and to this scenario's listener, which
        // then checks that destroying the object closed the connection.
        if n % 10 == 0 {
            assert_eq!(call(&obj, "Connect", &[s(&host.echo)]), Value::Bool(true));
            call(&obj, "SendLine", &[s(&format!("object {n}\n"))]);
            let line = call(&obj, "ReadLine", &[s("UTF-8"), s("\n"), Value::I4(5000)]);
            assert_eq!(line, s(&format!("object {n}\n")), "object {n}");
        }
        assert_eq!(
            call(&obj, "Connect", &[s(&own.to_string())]),
            Value::Bool(true),
            "object {n}"
        );
        let (mut peer, _) = listener.accept().expect("accept the object's connection");
        if n % 2 == 0 {
            assert_eq!(call(&obj, "Close", &[]), Value::Bool(true), "object {n}");
        }
        let report = obj.destroy();
        assert!(
            report.is_balanced(),
            "object {n}: memory not balanced: {report:?}"
        );
        peer.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("a read timeout");
        let mut byte = [0u8; 1];
        match peer.read(&mut byte) {
            Ok(0) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            other => panic!("object {n}: the connection stayed open after destruction: {other:?}"),
        }
    }
}
