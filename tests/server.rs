//! The library's [`Server`] against real clients on 127.0.0.1 (and ::1): the library's own
//! `Connection`, std sockets, socat and ncat. Every call, OPI's behaviours (IDs, a client that
//! leaves with data unread), and the weak points the issue names: a full pool, a trickling
//! client, a client that never reads, bounded memory, stop and start again, 500 clients.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use tcplink::{
    AllowedClients, Connection, ConnectionInfo, ErrorKind, ReadEnd, ReadLimits, Server,
    ServerOptions, TimedSocket, Transport,
};

const SECOND: Option<Duration> = Some(Duration::from_secs(1));
const FIVE: Option<Duration> = Some(Duration::from_secs(5));

/// Options for a server on 127.0.0.1 with a port the system picks.
fn loopback() -> ServerOptions {
    ServerOptions::new("127.0.0.1:0".parse().unwrap())
}

/// A server on 127.0.0.1 with `change` applied to its options and a recorder for its events.
fn server_with(change: impl FnOnce(&mut ServerOptions)) -> (Server, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let mut options = loopback();
    options.events = Some(recorder.clone());
    change(&mut options);
    (Server::start(options).unwrap(), recorder)
}

/// A read ending on the marker within five seconds.
fn line() -> ReadLimits<'static> {
    ReadLimits {
        marker: b"\n",
        timeout: FIVE,
        ..ReadLimits::default()
    }
}

/// A read of everything until the client closes, within ten seconds.
fn to_the_end() -> ReadLimits<'static> {
    ReadLimits {
        timeout: Some(Duration::from_secs(10)),
        ..ReadLimits::default()
    }
}

/// Waits until `check` holds for the server's connection list, or panics after five seconds.
fn wait_for_list(server: &Server, what: &str, check: impl Fn(&[ConnectionInfo]) -> bool) {
    let started = Instant::now();
    while !check(&server.connections()) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what}: {:?}",
            server.connections()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// The ID of the connection from `client`, once it is listed.
fn id_of(server: &Server, client: SocketAddr) -> String {
    wait_for_list(server, "the client is listed", |list| {
        list.iter().any(|c| c.peer == client)
    });
    let list = server.connections();
    list.into_iter().find(|c| c.peer == client).unwrap().id
}

/// Whether the server closed `stream`: a read sees EOF or a reset within five seconds.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(FIVE).unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(n) => n == 0,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

/// FNV-1a, a checksum for the load test.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[test]
fn a_library_client_is_read_by_the_rules_and_answered() {
    let (server, events) = server_with(|_| {});
    let addr = server.local_addr();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    let mut client = Connection::open(&endpoint(&addr.to_string(), None, None), &quick()).unwrap();
    client.send(b"hello\nwor", FIVE).unwrap();
    let id = server.next_with_data(FIVE).unwrap().expect("data arrived");
    let first = server.read(&id, &line()).unwrap();
    assert_eq!(
        (first.data.as_slice(), first.end, first.active),
        (&b"hello\n"[..], ReadEnd::Marker, true)
    );
    assert_eq!(Some(first.peer), client.local_addr());
    let listed = server.connections();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].peer, client.local_addr().unwrap());
    assert!(listed[0].can_read && listed[0].can_write);
    assert_eq!(listed[0].unread, 3, "the bytes after the marker are kept");
    // The rest of the line arrives later: the kept bytes come first.
    client.send(b"ld\n", FIVE).unwrap();
    let second = server.read(&id, &line()).unwrap();
    assert_eq!(second.data, b"world\n");
    // Size limit, idle timeout and whole-read timeout, as for a client connection.
    client.send(b"0123456789", FIVE).unwrap();
    let sized = ReadLimits {
        max_size: 4,
        timeout: FIVE,
        ..ReadLimits::default()
    };
    let part = server.read(&id, &sized).unwrap();
    assert_eq!(
        (part.data.as_slice(), part.end),
        (&b"0123"[..], ReadEnd::Size)
    );
    let idle = ReadLimits {
        idle_timeout: Some(Duration::from_millis(100)),
        ..ReadLimits::default()
    };
    let rest = server.read(&id, &idle).unwrap();
    assert_eq!(
        (rest.data.as_slice(), rest.end),
        (&b"456789"[..], ReadEnd::Idle)
    );
    let whole = ReadLimits {
        timeout: Some(Duration::from_millis(100)),
        ..ReadLimits::default()
    };
    let nothing = server.read(&id, &whole).unwrap();
    assert_eq!((nothing.data.len(), nothing.end), (0, ReadEnd::Timeout));
    // The answer.
    server.send(&id, b"answer\n", None).unwrap();
    let answer = client.read(&limits(0, b"\n", 5000)).unwrap();
    assert_eq!(answer.data, b"answer\n");
    client.close().unwrap();
    let last = server.read(&id, &to_the_end()).unwrap();
    assert_eq!(
        (last.data.len(), last.end, last.active),
        (0, ReadEnd::Eof, false)
    );
    wait_for_list(&server, "the closed client leaves", |list| list.is_empty());
    server.stop();
    let lines = events.lines();
    assert_eq!(lines[0], format!("listening on {addr}"));
    assert_eq!(
        lines[1],
        format!("accepted connection {id} from {}", first.peer)
    );
    assert!(
        lines.contains(&format!(
            "connection {id} from {} closed by the client",
            first.peer
        )),
        "{lines:?}"
    );
    assert_eq!(
        lines[2],
        format!("connection {id}: read 6 bytes, ended on marker")
    );
    assert!(
        lines.contains(&format!("connection {id}: sent 7 bytes")),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().unwrap(),
        "server stopped, 0 connections closed"
    );
}

#[test]
fn socat_and_ncat_clients_send_and_receive() {
    let (server, _) = server_with(|_| {});
    let port = server.local_addr().port().to_string();
    let clients = [
        (
            "socat",
            vec![
                "-t5".to_string(),
                "-".into(),
                format!("TCP:127.0.0.1:{port}"),
            ],
        ),
        ("ncat", vec!["127.0.0.1".to_string(), port.clone()]),
    ];
    for (program, args) in clients {
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("from {program}\n").as_bytes())
            .unwrap();
        let id = server.next_with_data(FIVE).unwrap().expect(program);
        let got = server.read(&id, &line()).unwrap();
        assert_eq!(got.data, format!("from {program}\n").as_bytes());
        server.send(&id, b"hi there\n", None).unwrap();
        server.close(&id).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.stdout, b"hi there\n", "{program}");
        assert_eq!(
            server.read(&id, &line()).unwrap_err().kind(),
            ErrorKind::Argument,
            "a closed connection's ID is unknown"
        );
    }
}

#[test]
fn a_client_that_leaves_with_data_unread_stays_listed_until_it_is_read() {
    let (server, _) = server_with(|_| {});
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    let me = client.local_addr().unwrap();
    client.write_all(b"one\ntwo\n").unwrap();
    drop(client);
    let id = id_of(&server, me);
    wait_for_list(&server, "all of it arrived", |list| list[0].unread == 8);
    thread::sleep(Duration::from_millis(100));
    let listed = server.connections();
    assert_eq!(listed.len(), 1, "still listed: data unread");
    assert!(listed[0].can_read);
    let one = server.read(&id, &line()).unwrap();
    assert_eq!((one.data.as_slice(), one.active), (&b"one\n"[..], true));
    let two = server.read(&id, &line()).unwrap();
    assert_eq!(
        (two.data.as_slice(), two.end, two.active),
        (&b"two\n"[..], ReadEnd::Marker, false),
        "its last data comes back inactive"
    );
    assert!(server.connections().is_empty());
    let err = server.read(&id, &line()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    // A client that leaves with nothing unread: one empty read reports its end.
    let quiet = TcpStream::connect(server.local_addr()).unwrap();
    let quiet_id = id_of(&server, quiet.local_addr().unwrap());
    drop(quiet);
    assert_eq!(server.next_with_data(FIVE).unwrap(), Some(quiet_id.clone()));
    assert!(!server.connections()[0].can_read);
    let end = server.read(&quiet_id, &line()).unwrap();
    assert_eq!(
        (end.data.len(), end.end, end.active),
        (0, ReadEnd::Eof, false)
    );
    assert!(server.connections().is_empty());
}

#[test]
fn unknown_ids_fail_at_once_naming_the_id() {
    let (server, _) = server_with(|_| {});
    let started = Instant::now();
    for id in ["nope", "999999999", ""] {
        let errors = [
            server.read(id, &line()).unwrap_err(),
            server.send(id, b"x", None).unwrap_err(),
            server.close(id).unwrap_err(),
            server.finish_sending(id).unwrap_err(),
            server.finish_receiving(id).unwrap_err(),
        ];
        for err in errors {
            assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
            assert!(err.message().starts_with("connection_id: "), "{err}");
            assert!(err.message().contains(&format!("{id:?}")), "{err}");
        }
    }
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[test]
fn next_with_data_wakes_on_arrival_and_times_out_without() {
    let (server, _) = server_with(|_| {});
    let started = Instant::now();
    let none = server
        .next_with_data(Some(Duration::from_millis(200)))
        .unwrap();
    assert_eq!(none, None);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let addr = server.local_addr();
    let sender = thread::spawn(move || {
        let mut client = TcpStream::connect(addr).unwrap();
        thread::sleep(Duration::from_millis(300));
        let sent = Instant::now();
        client.write_all(b"ping\n").unwrap();
        (client, sent)
    });
    let id = server
        .next_with_data(Some(Duration::from_secs(10)))
        .unwrap();
    let woke = Instant::now();
    let (_client, sent) = sender.join().unwrap();
    assert!(id.is_some());
    assert!(
        woke.duration_since(sent) < Duration::from_millis(200),
        "woke {:?} after the data was sent",
        woke.duration_since(sent)
    );
    // Connections with unread data take turns.
    let mut other = TcpStream::connect(addr).unwrap();
    other.write_all(b"pong\n").unwrap();
    let other_id = id_of(&server, other.local_addr().unwrap());
    wait_for_list(&server, "both have data", |list| {
        list.iter().all(|c| c.unread > 0)
    });
    let a = server.next_with_data(FIVE).unwrap().unwrap();
    let b = server.next_with_data(FIVE).unwrap().unwrap();
    assert_ne!(a, b);
    assert!([a.as_str(), b.as_str()].contains(&other_id.as_str()));
}

#[test]
fn wait_for_data_waits_for_one_connection_and_reports_its_end() {
    let (server, _) = server_with(|_| {});
    let mut quiet = TcpStream::connect(server.local_addr()).unwrap();
    let mut busy = TcpStream::connect(server.local_addr()).unwrap();
    let quiet_id = id_of(&server, quiet.local_addr().unwrap());
    let busy_id = id_of(&server, busy.local_addr().unwrap());
    busy.write_all(b"news\n").unwrap();
    let started = Instant::now();
    assert!(!server
        .wait_for_data(&quiet_id, Some(Duration::from_millis(200)))
        .unwrap());
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(server.wait_for_data(&busy_id, FIVE).unwrap());
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        quiet.write_all(b"late\n").unwrap();
        quiet
    });
    let started = Instant::now();
    assert!(server.wait_for_data(&quiet_id, FIVE).unwrap());
    assert!(started.elapsed() < Duration::from_secs(2));
    let quiet = writer.join().unwrap();
    assert_eq!(server.read(&quiet_id, &line()).unwrap().data, b"late\n");
    quiet.shutdown(Shutdown::Write).unwrap();
    assert!(server.wait_for_data(&quiet_id, FIVE).unwrap());
    assert!(!server.read(&quiet_id, &line()).unwrap().active);
    let err = server.wait_for_data("nope", FIVE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
}

#[test]
fn accept_returns_each_connection_once_after_its_accept_step() {
    // The accept step waits for a greeting byte, so a connection comes out of accept only
    // once it is through its "handshake".
    let (server, _) = server_with(|o| o.accept = Arc::new(greeting_step));
    let started = Instant::now();
    assert_eq!(
        server.accept(Some(Duration::from_millis(200))).unwrap(),
        None
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    let mut first = TcpStream::connect(server.local_addr()).unwrap();
    let mut second = TcpStream::connect(server.local_addr()).unwrap();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        server.accept(Some(Duration::from_millis(100))).unwrap(),
        None,
        "nobody is through the accept step yet"
    );
    // Waking on arrival: the greeting comes while accept waits.
    let greeter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        second.write_all(b"!").unwrap();
        second
    });
    let started = Instant::now();
    let id = server.accept(FIVE).unwrap().expect("the second client");
    assert!(started.elapsed() < Duration::from_secs(2));
    let second = greeter.join().unwrap();
    assert_eq!(id, id_of(&server, second.local_addr().unwrap()));
    // A connection closed before accept is asked is skipped.
    first.write_all(b"!").unwrap();
    let first_id = id_of(&server, first.local_addr().unwrap());
    server.close(&first_id).unwrap();
    let mut third = TcpStream::connect(server.local_addr()).unwrap();
    third.write_all(b"!").unwrap();
    let third_id = server.accept(FIVE).unwrap().expect("the third client");
    assert_eq!(third_id, id_of(&server, third.local_addr().unwrap()));
    assert_eq!(
        server.accept(Some(Duration::from_millis(100))).unwrap(),
        None
    );
    // Connections are served whether or not accept is called: one per thread here.
    let echo = |server: &Server, id: &str| {
        assert!(server.wait_for_data(id, FIVE).unwrap());
        let read = server.read(id, &line()).unwrap();
        server.send(id, &read.data, None).unwrap();
    };
    let mut second = second;
    thread::scope(|scope| {
        scope.spawn(|| echo(&server, &id));
        scope.spawn(|| echo(&server, &third_id));
        third.write_all(b"three\n").unwrap();
        second.write_all(b"two\n").unwrap();
    });
    let mut answer = [0u8; 6];
    third.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"three\n");
    second.read_exact(&mut answer[..4]).unwrap();
    assert_eq!(&answer[..4], b"two\n");
    server.stop();
    assert_eq!(server.accept(SECOND).unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn a_client_that_half_closes_is_answered_when_connections_stay_open() {
    let (server, events) = server_with(|o| o.keep_open_after_client_end = true);
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    client.write_all(b"question").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let id = server.next_with_data(FIVE).unwrap().unwrap();
    let read = server.read(&id, &to_the_end()).unwrap();
    assert_eq!(read.data, b"question");
    assert!(!read.active, "the read reports the client's end");
    let listed = server.connections();
    assert_eq!(listed.len(), 1, "still open: {listed:?}");
    assert!(!listed[0].can_read && listed[0].can_write, "{listed:?}");
    assert_eq!(
        server
            .next_with_data(Some(Duration::from_millis(100)))
            .unwrap(),
        None,
        "its end is reported once"
    );
    assert!(
        server.wait_for_data(&id, SECOND).unwrap(),
        "nothing to wait for"
    );
    let again = server.read(&id, &to_the_end()).unwrap();
    assert!(again.data.is_empty() && !again.active && again.end == ReadEnd::Eof);
    server.send(&id, b"answer", None).unwrap();
    server.send(&id, b" in two parts", None).unwrap();
    server.finish_sending(&id).unwrap();
    let mut answer = Vec::new();
    client.set_read_timeout(FIVE).unwrap();
    client.read_to_end(&mut answer).unwrap();
    assert_eq!(answer, b"answer in two parts");
    assert!(server.connections().is_empty(), "both halves done: closed");
    assert_eq!(
        server.send(&id, b"more", None).unwrap_err().kind(),
        ErrorKind::Argument
    );
    let closed = format!(
        "connection {id} from {} closed by the client",
        client.local_addr().unwrap()
    );
    assert!(events.lines().contains(&closed), "{:?}", events.lines());

    // Closing instead of finishing works the same, and without the option the read that
    // reports the end closes the connection (OPI's rule).
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let id = server.next_with_data(FIVE).unwrap().unwrap();
    assert!(!server.read(&id, &to_the_end()).unwrap().active);
    server.close(&id).unwrap();
    assert!(closed_by_server(&mut client));
    assert!(server.connections().is_empty());
    let (opi, _) = server_with(|_| {});
    let mut client = TcpStream::connect(opi.local_addr()).unwrap();
    client.write_all(b"bye").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let id = opi.next_with_data(FIVE).unwrap().unwrap();
    assert!(!opi.read(&id, &to_the_end()).unwrap().active);
    let err = opi.send(&id, b"too late", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
    assert!(closed_by_server(&mut client));
}

#[test]
fn a_full_server_refuses_the_new_connection_and_says_so() {
    let (server, events) = server_with(|o| o.max_connections = 2);
    let first = TcpStream::connect(server.local_addr()).unwrap();
    let second = TcpStream::connect(server.local_addr()).unwrap();
    for client in [&first, &second] {
        id_of(&server, client.local_addr().unwrap());
    }
    let mut third = TcpStream::connect(server.local_addr()).unwrap();
    assert!(closed_by_server(&mut third), "refused at once");
    assert_eq!(server.connections().len(), 2);
    let refusal = format!(
        "refused {}: 2 connections are open, the limit",
        third.local_addr().unwrap()
    );
    assert!(events.lines().contains(&refusal), "{:?}", events.lines());
}

#[test]
fn a_full_server_told_to_evict_closes_the_oldest() {
    let (server, events) = server_with(|o| {
        o.max_connections = 2;
        o.evict_oldest = true;
    });
    let mut oldest = TcpStream::connect(server.local_addr()).unwrap();
    let oldest_id = id_of(&server, oldest.local_addr().unwrap());
    let second = TcpStream::connect(server.local_addr()).unwrap();
    id_of(&server, second.local_addr().unwrap());
    let third = TcpStream::connect(server.local_addr()).unwrap();
    id_of(&server, third.local_addr().unwrap());
    assert!(closed_by_server(&mut oldest));
    let peers: Vec<SocketAddr> = server.connections().iter().map(|c| c.peer).collect();
    assert_eq!(
        peers,
        [second.local_addr().unwrap(), third.local_addr().unwrap()]
    );
    let evicted = format!(
        "closed connection {oldest_id} from {}, the oldest, to make room for a new one",
        oldest.local_addr().unwrap()
    );
    assert!(events.lines().contains(&evicted), "{:?}", events.lines());
}

#[test]
fn a_client_that_never_reads_does_not_hold_up_sends_to_others() {
    let (server, _) = server_with(|o| o.send_timeout = Some(Duration::from_millis(700)));
    let server = Arc::new(server);
    let stuck = TcpStream::connect(server.local_addr()).unwrap();
    let stuck_id = id_of(&server, stuck.local_addr().unwrap());
    let mut reader = TcpStream::connect(server.local_addr()).unwrap();
    let reader_id = id_of(&server, reader.local_addr().unwrap());
    let blocked = {
        let server = server.clone();
        thread::spawn(move || {
            let started = Instant::now();
            let big = vec![b'x'; 64 << 20];
            (server.send(&stuck_id, &big, None), started.elapsed())
        })
    };
    thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    server.send(&reader_id, b"still here\n", None).unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));
    reader.set_read_timeout(FIVE).unwrap();
    let mut got = [0u8; 11];
    reader.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"still here\n");
    let (outcome, took) = blocked.join().unwrap();
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(3),
        "{took:?}"
    );
    drop(stuck);
}

#[test]
fn a_trickling_client_does_not_delay_reads_from_others() {
    let (server, _) = server_with(|_| {});
    let server = Arc::new(server);
    let addr = server.local_addr();
    let mut slow = TcpStream::connect(addr).unwrap();
    let slow_id = id_of(&server, slow.local_addr().unwrap());
    let trickler = thread::spawn(move || trickle(&mut slow, b"slow\n", Duration::from_secs(1)));
    let slow_reader = {
        let server = server.clone();
        thread::spawn(move || {
            server.read(
                &slow_id,
                &ReadLimits {
                    marker: b"\n",
                    timeout: Some(Duration::from_secs(10)),
                    ..ReadLimits::default()
                },
            )
        })
    };
    thread::sleep(Duration::from_millis(300));
    let mut fast = TcpStream::connect(addr).unwrap();
    let fast_id = id_of(&server, fast.local_addr().unwrap());
    for round in 0..3 {
        let sent = Instant::now();
        fast.write_all(format!("fast {round}\n").as_bytes())
            .unwrap();
        let got = server.read(&fast_id, &line()).unwrap();
        assert_eq!(got.data, format!("fast {round}\n").as_bytes());
        assert!(
            sent.elapsed() < Duration::from_millis(300),
            "{:?}",
            sent.elapsed()
        );
    }
    trickler.join().unwrap();
    let slow_line = slow_reader.join().unwrap().unwrap();
    assert_eq!(slow_line.data, b"slow\n");
}

#[test]
fn five_hundred_clients_each_send_64_kib_and_nothing_is_lost() {
    const CLIENTS: usize = 500;
    const SIZE: usize = 64 * 1024;
    let (server, _) = server_with(|o| o.max_connections = CLIENTS);
    let addr = server.local_addr();
    // Every client connects first, then all send at once from a few threads.
    let clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    wait_for_list(&server, "every client is listed", |list| {
        list.len() == CLIENTS
    });
    let senders: Vec<_> = clients
        .into_iter()
        .enumerate()
        .fold(
            (0..10).map(|_| Vec::new()).collect::<Vec<_>>(),
            |mut groups, (i, client)| {
                groups[i % 10].push((i, client));
                groups
            },
        )
        .into_iter()
        .map(|group| {
            thread::spawn(move || {
                let mut streams = Vec::new();
                for (i, mut client) in group {
                    let payload: Vec<u8> = (0..SIZE).map(|j| (i * 31 + j * 7) as u8).collect();
                    let mut message = (i as u64).to_be_bytes().to_vec();
                    message.extend_from_slice(&payload);
                    message.extend_from_slice(&fnv(&payload).to_be_bytes());
                    client.write_all(&message).unwrap();
                    client.shutdown(Shutdown::Write).unwrap();
                    streams.push(client);
                }
                streams
            })
        })
        .collect();
    let mut received: std::collections::HashMap<String, Vec<u8>> = Default::default();
    let mut finished = std::collections::HashSet::new();
    let started = Instant::now();
    while finished.len() < CLIENTS {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} finished",
            finished.len()
        );
        let Some(id) = server.next_with_data(FIVE).unwrap() else {
            continue;
        };
        let read = ReadLimits {
            timeout: Some(Duration::from_millis(1)),
            ..ReadLimits::default()
        };
        let got = server.read(&id, &read).unwrap();
        received.entry(id.clone()).or_default().extend(got.data);
        if !got.active {
            finished.insert(id);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for message in received.values() {
        assert_eq!(message.len(), 8 + SIZE + 8);
        let index = u64::from_be_bytes(message[..8].try_into().unwrap());
        let payload = &message[8..8 + SIZE];
        let sum = u64::from_be_bytes(message[8 + SIZE..].try_into().unwrap());
        assert_eq!(fnv(payload), sum, "client {index}");
        assert!(seen.insert(index));
    }
    assert_eq!(seen.len(), CLIENTS);
    for sender in senders {
        sender.join().unwrap();
    }
}

#[test]
fn a_fast_sender_is_held_back_by_flow_control_not_buffered() {
    const LIMIT: usize = 256 * 1024;
    let (server, _) = server_with(|o| o.buffer_limit = LIMIT);
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    let id = id_of(&server, client.local_addr().unwrap());
    let total = 64 << 20;
    let writer = thread::spawn(move || {
        let chunk = vec![0xA5u8; 64 * 1024];
        let mut sent = 0;
        client
            .set_write_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        while sent < total {
            match client.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        (client, sent)
    });
    // Nothing is read while the client sends as fast as it can.
    let (mut client, sent_while_unread) = writer.join().unwrap();
    assert!(sent_while_unread < total, "the client was slowed down");
    let unread = server.connections()[0].unread;
    assert!(
        unread <= LIMIT,
        "{unread} bytes buffered, the limit is {LIMIT}"
    );
    // Everything sent arrives once the caller reads, and the client can go on.
    let reader = thread::spawn(move || {
        let chunk = vec![0xA5u8; 64 * 1024];
        client.set_write_timeout(None).unwrap();
        let mut sent = sent_while_unread;
        while sent < total {
            sent += client
                .write(&chunk[..(total - sent).min(chunk.len())])
                .unwrap();
        }
    });
    let mut got = 0;
    while got < total {
        let read = server
            .read(
                &id,
                &ReadLimits {
                    max_size: 1 << 20,
                    timeout: FIVE,
                    ..ReadLimits::default()
                },
            )
            .unwrap();
        assert!(read.data.iter().all(|&b| b == 0xA5));
        got += read.data.len();
    }
    assert_eq!(got, total);
    reader.join().unwrap();
}

/// The CPU time the thread named `name` of this process has used, in clock ticks (user and
/// system, from `/proc`; `None` without it or without such a thread).
fn thread_cpu_ticks(name: &str) -> Option<u64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let task = tasks.flatten().find(|task| {
        std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim_end() == name)
    })?;
    let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
    // After the name in parentheses: utime and stime are the 12th and 13th fields.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields[11].parse::<u64>().ok()? + fields[12].parse::<u64>().ok()?)
}

#[test]
fn a_connection_whose_socket_is_done_waits_for_the_caller_without_using_the_cpu() {
    for keep_open in [false, true] {
        let (server, _) = server_with(|o| o.keep_open_after_client_end = keep_open);
        // A client that resets its connection (it closes with the server's bytes unread): the
        // socket reports a hang-up from then on, while the caller has not read the end yet.
        let mut client = TcpStream::connect(server.local_addr()).unwrap();
        client.write_all(b"x").unwrap();
        let id = server.accept(FIVE).unwrap().unwrap();
        server.send(&id, b"unread", None).unwrap();
        thread::sleep(Duration::from_millis(100));
        drop(client);
        assert!(server.wait_for_data(&id, FIVE).unwrap());
        let thread = format!("tcplink-c{id}");
        let Some(before) = thread_cpu_ticks(&thread) else {
            return;
        };
        thread::sleep(Duration::from_secs(1));
        let used = thread_cpu_ticks(&thread).unwrap() - before;
        assert!(
            used < 20,
            "{thread} used {used} of 100 ticks of CPU in a second while waiting (keep_open: {keep_open})"
        );
        let read = server.read(&id, &to_the_end()).unwrap();
        assert!(!read.active);
    }
}

/// The names of this process's threads, from `/proc` (`None` without it).
fn thread_names() -> Option<Vec<String>> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
            .map(|name| name.trim_end().to_string())
            .collect(),
    )
}

#[test]
fn stop_closes_everything_and_a_new_server_listens_on_the_same_port() {
    let (server, _) = server_with(|_| {});
    let addr = server.local_addr();
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(b"before\n").unwrap();
    let id = server.next_with_data(FIVE).unwrap().unwrap();
    let thread_name = format!("tcplink-c{id}");
    if let Some(names) = thread_names() {
        assert!(names.contains(&thread_name), "{names:?}");
    }
    server.stop();
    assert!(!server.is_running());
    if let Some(names) = thread_names() {
        assert!(!names.contains(&thread_name), "joined: {names:?}");
    }
    assert!(closed_by_server(&mut client));
    let err = server.read(&id, &line()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
    assert!(err.message().contains("stopped"), "{err}");
    assert_eq!(
        server.next_with_data(SECOND).unwrap_err().kind(),
        ErrorKind::Closed
    );
    server.stop();
    assert!(TcpStream::connect(addr).is_err(), "the listener is closed");
    let again = Server::start(ServerOptions::new(addr)).unwrap();
    assert_eq!(again.local_addr(), addr);
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(b"after\n").unwrap();
    let new_id = again.next_with_data(FIVE).unwrap().unwrap();
    assert_ne!(new_id, id, "IDs are not reused");
    assert_eq!(again.read(&new_id, &line()).unwrap().data, b"after\n");
    assert_eq!(
        again.read(&id, &line()).unwrap_err().kind(),
        ErrorKind::Argument
    );
    drop(again);
    assert!(
        closed_by_server(&mut client),
        "dropping the server stops it"
    );
}

#[test]
fn finishing_sending_and_receiving_close_one_half() {
    let (server, _) = server_with(|_| {});
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    let id = id_of(&server, client.local_addr().unwrap());
    server.send(&id, b"last words\n", None).unwrap();
    server.finish_sending(&id).unwrap();
    server.finish_sending(&id).unwrap();
    let mut heard = Vec::new();
    client.set_read_timeout(FIVE).unwrap();
    client.read_to_end(&mut heard).unwrap();
    assert_eq!(
        heard, b"last words\n",
        "the client reads the end of the data"
    );
    let err = server.send(&id, b"more", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
    assert!(err.message().contains("sending half"), "{err}");
    let listed = &server.connections()[0];
    assert!(listed.can_read && !listed.can_write);
    // Reading goes on.
    client.write_all(b"reply\n").unwrap();
    assert_eq!(server.read(&id, &line()).unwrap().data, b"reply\n");
    // The other half, on another connection: unread data is dropped, sending goes on.
    let mut other = TcpStream::connect(server.local_addr()).unwrap();
    let other_id = id_of(&server, other.local_addr().unwrap());
    other.write_all(b"ignored\n").unwrap();
    wait_for_list(&server, "the data arrived", |list| {
        list.iter().any(|c| c.id == other_id && c.unread > 0)
    });
    server.finish_receiving(&other_id).unwrap();
    let listed = server.connections();
    let info = listed.iter().find(|c| c.id == other_id).unwrap();
    assert!(
        !info.can_read && info.can_write && info.unread == 0,
        "{info:?}"
    );
    let nothing = server.read(&other_id, &line()).unwrap();
    assert_eq!((nothing.data.len(), nothing.end), (0, ReadEnd::Eof));
    server.send(&other_id, b"ok\n", None).unwrap();
    let mut ok = [0u8; 3];
    other.set_read_timeout(FIVE).unwrap();
    other.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"ok\n");
}

#[test]
fn close_ends_the_connection_and_its_id() {
    let (server, events) = server_with(|_| {});
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    let id = id_of(&server, client.local_addr().unwrap());
    server.close(&id).unwrap();
    assert!(closed_by_server(&mut client));
    assert_eq!(
        server.send(&id, b"x", None).unwrap_err().kind(),
        ErrorKind::Argument
    );
    assert!(server.connections().is_empty());
    let closed = format!(
        "closed connection {id} from {}",
        client.local_addr().unwrap()
    );
    assert!(events.lines().contains(&closed), "{:?}", events.lines());
}

#[test]
fn only_allowed_client_addresses_get_in() {
    let (server, events) = server_with(|o| {
        o.allowed_clients = AllowedClients::parse("10.0.0.0/8, ::1").unwrap();
    });
    let mut outsider = TcpStream::connect(server.local_addr()).unwrap();
    assert!(closed_by_server(&mut outsider));
    assert!(server.connections().is_empty());
    let refusal = format!(
        "refused {}: not an allowed client address",
        outsider.local_addr().unwrap()
    );
    assert!(events.lines().contains(&refusal), "{:?}", events.lines());
    let (allowing, _) = server_with(|o| {
        o.allowed_clients = AllowedClients::parse("127.0.0.0/8").unwrap();
    });
    let insider = TcpStream::connect(allowing.local_addr()).unwrap();
    id_of(&allowing, insider.local_addr().unwrap());
}

#[test]
fn ipv6_loopback_and_both_families_on_one_port() {
    let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    };
    drop(probe);
    let (server, _) = server_with(|o| {
        o.listen = vec!["[::1]:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()];
    });
    let [v6, v4] = server.local_addrs() else {
        panic!("two listeners: {:?}", server.local_addrs());
    };
    assert_eq!(
        v6.port(),
        v4.port(),
        "the second takes the port the first got"
    );
    for addr in [*v6, *v4] {
        let mut client =
            Connection::open(&endpoint(&addr.to_string(), None, None), &quick()).unwrap();
        client.send(b"hi\n", FIVE).unwrap();
        let id = id_of(&server, client.local_addr().unwrap());
        assert_eq!(server.read(&id, &line()).unwrap().data, b"hi\n");
        assert_eq!(
            server.read(&id, &line()).unwrap().peer.is_ipv6(),
            addr.is_ipv6()
        );
    }
}

#[test]
fn all_interfaces_listens_on_both_families_with_one_port() {
    let server = Server::start(ServerOptions::all_interfaces(0)).unwrap();
    let addrs = server.local_addrs().to_vec();
    assert!(
        addrs[0].ip().is_unspecified() && addrs[0].is_ipv4(),
        "{addrs:?}"
    );
    assert!(
        addrs.iter().all(|a| a.port() == addrs[0].port()),
        "{addrs:?}"
    );
    let mut targets = vec![SocketAddr::from(([127, 0, 0, 1], addrs[0].port()))];
    match addrs.get(1) {
        Some(v6) => {
            assert!(v6.ip().is_unspecified() && v6.is_ipv6(), "{addrs:?}");
            if std::net::TcpListener::bind("[::1]:0").is_ok() {
                targets.push(SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, v6.port())));
            }
        }
        None => eprintln!("no IPv6 here: listening on IPv4 only"),
    }
    for target in targets {
        let mut client = TcpStream::connect(target).unwrap();
        client.write_all(b"hi\n").unwrap();
        let id = id_of(&server, client.local_addr().unwrap());
        assert_eq!(server.read(&id, &line()).unwrap().data, b"hi\n", "{target}");
    }
}

#[test]
fn the_accept_step_runs_on_the_connection_thread_within_the_handshake_timeout() {
    // A "handshake" that waits for one greeting byte from the client.
    let (server, events) = server_with(|o| {
        o.handshake_timeout = Some(Duration::from_millis(300));
        o.accept = Arc::new(greeting_step);
    });
    // A client that never greets does not hold up one that does.
    let mut silent = TcpStream::connect(server.local_addr()).unwrap();
    let mut greeter = TcpStream::connect(server.local_addr()).unwrap();
    greeter.write_all(b"!hello\n").unwrap();
    let id = server.next_with_data(FIVE).unwrap().unwrap();
    assert_eq!(server.read(&id, &line()).unwrap().data, b"hello\n");
    assert_eq!(
        server.connections().len(),
        1,
        "the silent one is not listed"
    );
    let started = Instant::now();
    assert!(closed_by_server(&mut silent), "the handshake timed out");
    assert!(started.elapsed() < Duration::from_secs(2));
    wait_for_list(&server, "", |_| {
        events
            .lines()
            .iter()
            .any(|l| l.starts_with("error (timeout): accepting connection"))
    });
}

/// An accept step that waits for one greeting byte from the client, as a handshake would.
fn greeting_step(socket: TimedSocket, _peer: SocketAddr) -> tcplink::Result<Box<dyn Transport>> {
    let mut socket = socket;
    let mut greeting = [0u8; 1];
    socket
        .read_exact(&mut greeting)
        .map_err(|e| tcplink::Error::from_io(&e, "reading the greeting"))?;
    Ok(Box::new(socket))
}

#[test]
fn stop_cuts_a_stalled_handshake_short() {
    let (server, _) = server_with(|o| {
        o.handshake_timeout = Some(Duration::from_secs(30));
        o.accept = Arc::new(greeting_step);
    });
    let mut silent = TcpStream::connect(server.local_addr()).unwrap();
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    server.stop();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(closed_by_server(&mut silent));
}

#[test]
fn bad_options_and_a_taken_port_are_errors() {
    let mut options = loopback();
    options.max_connections = 0;
    let err = Server::start(options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    assert!(err.message().starts_with("max_connections"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = Server::start(ServerOptions::new(taken.local_addr().unwrap())).unwrap_err();
    assert!(err.message().contains("listening on"), "{err}");
    let bad = ReadLimits {
        max_size: 1,
        marker: b"ab",
        ..ReadLimits::default()
    };
    let (server, _) = server_with(|_| {});
    assert_eq!(
        server.read("1", &bad).unwrap_err().kind(),
        ErrorKind::Argument
    );
}

/// The TLS settings of a server with the test PKI's server certificate, on `backend`.
fn tls_server_settings(backend: tcplink::Backend) -> tcplink::ServerTlsSettings {
    tcplink::ServerTlsSettings {
        use_tls: true,
        cert_path: Some(pki().server.cert.to_string_lossy().into_owned()),
        key_path: Some(pki().server.key.to_string_lossy().into_owned()),
        backend: Some(backend.name().into()),
        ..Default::default()
    }
}

/// A TLS server on each backend (`ServerOptions::with_tls`): library clients verifying its
/// certificate are read and answered by ID; a client speaking plain text instead of TLS loses
/// only its own connection; the failed handshake is an event.
#[test]
fn a_tls_server_serves_clients_on_each_backend() {
    for backend in tcplink::Backend::compiled() {
        let recorder = Arc::new(Recorder::default());
        let mut options = loopback().with_tls(&tls_server_settings(backend)).unwrap();
        options.events = Some(recorder.clone());
        let server = Server::start(options).unwrap();
        let address = server.local_addr().to_string();
        let mut plain = TcpStream::connect(&address).unwrap();
        plain.write_all(b"not a ClientHello\n").unwrap();
        let mut clients: Vec<Connection> = (0..10)
            .map(|_| {
                let tls = Some(tls_with_ca(backend));
                Connection::open(&endpoint(&address, tls, None), &quick()).unwrap()
            })
            .collect();
        for (i, client) in clients.iter_mut().enumerate() {
            client
                .send(format!("hello {i}\n").as_bytes(), FIVE)
                .unwrap();
        }
        for _ in 0..clients.len() {
            let id = server
                .next_with_data(FIVE)
                .unwrap()
                .expect("{backend}: data arrives");
            let got = server.read(&id, &line()).unwrap();
            assert!(got.data.starts_with(b"hello "), "{backend}: {got:?}");
            server.send(&id, &got.data, FIVE).unwrap();
        }
        for (i, client) in clients.iter_mut().enumerate() {
            let answer = client.read(&line()).unwrap().data;
            assert_eq!(answer, format!("hello {i}\n").as_bytes(), "{backend}");
            assert_eq!(client.tls_info().unwrap().backend, backend.name());
        }
        assert_eq!(server.connections().len(), 10, "{backend}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !recorder.lines().iter().any(|l| l.contains("TLS")) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        assert!(
            recorder.lines().iter().any(|l| l.contains("TLS")),
            "{backend}: the failed handshake is told: {:?}",
            recorder.lines()
        );
    }
}

/// A certificate file that holds no certificate fails `with_tls` before anything listens,
/// naming `cert_path`.
#[test]
fn a_bad_tls_server_certificate_is_an_error_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    for backend in tcplink::Backend::compiled() {
        let settings = tcplink::ServerTlsSettings {
            cert_path: Some(garbage.to_string_lossy().into_owned()),
            ..tls_server_settings(backend)
        };
        let err = loopback().with_tls(&settings).map(|_| ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{backend}: {err}");
        assert!(err.to_string().contains("cert_path"), "{backend}: {err}");
    }
}
