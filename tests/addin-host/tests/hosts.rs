//! Each host's habits: every scenario as 1C and as OneScript, and what OneScript does that 1C
//! does not: C++ `delete` through any interface table (with or without `Done`), a 32-bit read of
//! every bool result, I4/R8 numbers only, and no null pointers in returned strings and blobs.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use addin_host::scenario::{run_all, Outcome};
use addin_host::{HostProfile, Value};
use common::*;

#[test]
fn every_scenario_passes_as_each_host() {
    let backend = std::env::var("TCPLINK_EXPECT_BACKEND").ok();
    for profile in HostProfile::ALL {
        let mut out = Outcome::default();
        run_all(library(), profile, backend.as_deref(), 100, &mut out).unwrap();
        assert!(out.failed.is_empty(), "{profile}: {:?}", out.failed);
        assert!(out.passed.len() >= 30, "{profile}: {:?}", out.passed);
    }
}

/// A connected OneScript-created object and the server side of its connection.
fn connected_object(profile: HostProfile) -> (addin_host::AddinObject, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let obj = library().create_as("TcpClient", profile).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    assert_eq!(call(&obj, "Connect", &[s(&addr)]), Value::Bool(true));
    let (peer, _) = listener.accept().unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    (obj, peer)
}

/// Asserts that the peer sees the connection closed.
fn assert_closed(mut peer: TcpStream, how: &str) {
    let mut byte = [0u8; 1];
    let read = peer.read(&mut byte);
    assert!(
        matches!(read, Ok(0))
            || read.is_err()
                && !matches!(read, Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut),
        "{how}: the connection stayed open ({read:?})"
    );
}

#[test]
fn delete_through_any_interface_table_releases_the_object_once() {
    for table in 0..4 {
        for with_done in [true, false] {
            let how = format!("delete through table {table}, Done first: {with_done}");
            let (obj, peer) = connected_object(HostProfile::OneScript);
            if with_done {
                obj.done();
            }
            let report = obj.delete_through(table);
            assert!(report.is_balanced(), "{how}: {report:?}");
            assert_closed(peer, &how);
        }
    }
}

#[test]
fn a_destructor_in_place_then_destroy_object_releases_the_object_once() {
    for table in 0..4 {
        let how = format!("destructor in place through table {table}, then DestroyObject");
        let (obj, peer) = connected_object(HostProfile::OneC);
        let report = obj.destroy_in_place_then_destroy_object(table);
        assert!(report.is_balanced(), "{how}: {report:?}");
        assert_closed(peer, &how);
    }
}

#[test]
fn every_bool_result_is_0_or_1_in_all_32_bits() {
    // The OneScript profile reads bool results as a 32-bit BOOL and fails on anything but 0 or 1.
    let obj = library()
        .create_as("TcpClient", HostProfile::OneScript)
        .unwrap();
    for num in 0..obj.n_props() {
        let (readable, writable) = obj.prop_access(num);
        assert!(readable, "property {num}");
        let name = obj.prop_name(num, 0).unwrap();
        let expected = matches!(
            name.as_str(),
            "ConnectTimeout" | "ThrowErrors" | "ConnectAttemptDelay"
        );
        assert_eq!(writable, expected, "{name}");
    }
    for num in 0..obj.n_methods() {
        assert!(obj.has_ret_val(num));
    }
    assert_eq!(obj.prop_access(99), (false, false));
    // A failed call returns false: OneScript sees Неопределено and raises nothing.
    assert!(obj.set_prop("ThrowErrors", Value::Bool(true)).unwrap());
    let failed = obj.call("Connect", &[s("127.0.0.1:1")]).unwrap();
    assert_eq!((failed.ok, failed.value), (false, Value::Empty));
    assert_eq!(last_error(&obj)["kind"], "connect");
    finish(obj);
}

#[test]
fn results_are_i4_numbers_and_strings_and_blobs_with_pointers() {
    for profile in HostProfile::ALL {
        let obj = library().create_as("TcpClient", profile).unwrap();
        let timeout = obj.get_prop("ConnectTimeout").unwrap().value;
        assert_eq!(timeout, Value::I4(10000), "{profile}");
        let num = obj.find_method("ReadBinaryData").unwrap();
        assert_eq!(obj.param_default(num, 0), Some(Value::I4(0)), "{profile}");
        // Empty results: the OneScript profile fails on a null pointer.
        assert_eq!(call(&obj, "GetLastError", &[]), s(""), "{profile}");
        assert_eq!(obj.get_prop("LastReadEnd").unwrap().value, s(""));
        let echo = addin_host::servers::spawn_echo_server().to_string();
        assert_eq!(call(&obj, "Connect", &[s(&echo)]), Value::Bool(true));
        let empty = call(
            &obj,
            "ReadBinaryData",
            &[Value::I4(0), s(""), Value::I4(50)],
        );
        assert_eq!(empty, Value::Blob(Vec::new()), "{profile}");
        finish(obj);
    }
}
