//! The public paths of `tcplink` that callers use: every re-export at the crate root and every
//! item of the `tls`, `backends` and `reader` modules that comes from the transport layer or a
//! backend crate still resolves where it always did, with the same meaning.

use std::time::Duration;

/// Names a type at a path; compiling is the check.
fn named<T: ?Sized>() {}

/// Holds for every transport.
fn is_transport<T: tcplink::Transport + ?Sized>() {}

#[test]
fn root_reexports_resolve() {
    named::<tcplink::HostPort>();
    named::<tcplink::ConnectOptions>();
    named::<tcplink::Endpoint>();
    named::<tcplink::Connection>();
    named::<tcplink::Request>();
    named::<tcplink::Deadline>();
    named::<tcplink::Error>();
    named::<tcplink::ErrorKind>();
    named::<tcplink::Result<()>>();
    named::<tcplink::Event>();
    named::<dyn tcplink::EventSink>();
    named::<tcplink::BorrowedRead<'_>>();
    named::<tcplink::ReadBuffer>();
    named::<tcplink::ReadEnd>();
    named::<tcplink::ReadLimits<'_>>();
    named::<tcplink::ReadOutcome>();
    named::<tcplink::StreamError>();
    named::<tcplink::StreamOutcome>();
    named::<tcplink::ProxyKind>();
    named::<tcplink::ProxySettings>();
    named::<tcplink::Secret>();
    named::<tcplink::TlsSettings>();
    named::<tcplink::TimedSocket>();
    named::<tcplink::Backend>();
    named::<tcplink::TlsInfo>();
    named::<dyn tcplink::DeadlineRead>();
    is_transport::<dyn tcplink::Transport>();
    is_transport::<tcplink::TimedSocket>();
    let _ = (tcplink::process_request, tcplink::resolve, tcplink::VERSION);
}

#[test]
fn transport_layer_items_keep_their_meaning() {
    assert!(!tcplink::Deadline::after(Some(Duration::from_secs(60))).expired());
    assert_eq!(tcplink::Deadline::after_ms(0), tcplink::Deadline::NONE);
    let err = tcplink::Error::argument("Address", "bad");
    assert_eq!(
        (err.kind(), err.kind().as_str()),
        (tcplink::ErrorKind::Argument, "argument")
    );
    let target = tcplink::HostPort::parse("example.com:443", "Address").unwrap();
    assert_eq!(target.to_string(), "example.com:443");
    assert_eq!(tcplink::TlsSettings::from_json("").unwrap(), None);
    assert!(tcplink::reader::is_timeout(
        &std::io::ErrorKind::TimedOut.into()
    ));
}

#[test]
fn tls_module_paths_resolve() {
    use tcplink::tls::{
        certificate_error, certificate_reason, fingerprint_hex, handshake, handshake_error,
        handshake_io_error, read_setting_file, Backend, CertProblem, TlsInfo, TlsParams,
        TlsVersion,
    };
    named::<TlsInfo>();
    let _ = (handshake, handshake_io_error, read_setting_file);
    assert_eq!(fingerprint_hex(&[0xab, 0x01]), "AB:01");
    assert_eq!(
        certificate_reason("hostname mismatch"),
        Some(CertProblem::NameMismatch { names: vec![] })
    );
    assert_eq!(
        certificate_error("a:1", "a", &CertProblem::UnknownIssuer, "raw").kind(),
        tcplink::ErrorKind::Tls
    );
    assert_eq!(
        handshake_error("a:1", "certificate has expired").kind(),
        tcplink::ErrorKind::Tls
    );
    // The backends compiled in are the features this crate was built with.
    assert_eq!(Backend::Rustls.is_compiled(), cfg!(feature = "rustls"));
    assert_eq!(Backend::Openssl.is_compiled(), cfg!(feature = "openssl"));
    assert_eq!(
        Backend::NativeTls.is_compiled(),
        cfg!(feature = "native-tls")
    );
    let settings = tcplink::TlsSettings::seed(false, "");
    let target = tcplink::HostPort::parse("example.com:443", "Address").unwrap();
    match TlsParams::new(&settings, &target) {
        Ok(params) => assert_eq!(
            (params.server_name.as_str(), params.min_version),
            ("example.com", TlsVersion::Tls12)
        ),
        Err(e) => assert!(Backend::compiled().is_empty(), "{e}"),
    }
    #[cfg(any(feature = "rustls", feature = "openssl", feature = "native-tls"))]
    let _ = (
        tcplink::tls::sha256_fingerprint,
        tcplink::tls::CertFacts::from_der,
        tcplink::tls::TlsInfo::with_peer,
    );
    assert!(tcplink::tls::pin_text(&[0; 32]).starts_with(tcplink::tls::PIN_PREFIX));
    let _ = (
        tcplink::tls::accept,
        tcplink::tls::prepare_accept,
        tcplink::tls::ServerTlsParams::new,
        tcplink::ServerTlsSettings::from_json,
    );
    assert!(tcplink::tls::Pins::parse(&["00"]).is_err());
}

#[test]
fn backend_modules_resolve() {
    #[cfg(feature = "rustls")]
    {
        is_transport::<tcplink::backends::rustls::RustlsTransport>();
        is_transport::<tcplink::backends::rustls::RustlsServerTransport>();
        let _ = (
            tcplink::backends::rustls::connect,
            tcplink::backends::rustls::accept,
        );
    }
    #[cfg(feature = "openssl")]
    {
        is_transport::<tcplink::backends::openssl::OpensslTransport>();
        let _ = (
            tcplink::backends::openssl::connect,
            tcplink::backends::openssl::accept,
        );
    }
    #[cfg(feature = "native-tls")]
    {
        is_transport::<tcplink::backends::native_tls::NativeTlsTransport>();
        let _ = (
            tcplink::backends::native_tls::connect,
            tcplink::backends::native_tls::accept,
        );
    }
}
