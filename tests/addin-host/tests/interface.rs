//! The add-in's interface as the platform sees it: classes, methods under both names, parameter
//! counts and defaults, return values, properties.

mod common;

use addin_host::{HostError, Value};
use common::*;

/// (English, Russian, defaults of every parameter; `None` = required).
fn api() -> Vec<(&'static str, &'static str, Vec<Option<Value>>)> {
    let t = |x: &str| Some(Value::str(x));
    let n = |x: i32| Some(Value::I4(x));
    vec![
        (
            "Connect",
            "ОткрытьСоединение",
            vec![None, t(""), t(""), t("")],
        ),
        ("Close", "ЗакрытьСоединение", vec![]),
        (
            "SendBinaryData",
            "ОтправитьДвоичныеДанные",
            vec![None, n(5000)],
        ),
        (
            "SendLine",
            "ОтправитьСтроку",
            vec![None, t("UTF-8"), n(5000)],
        ),
        (
            "ReadBinaryData",
            "ПрочитатьДвоичныеДанные",
            vec![n(0), t(""), n(5000), n(0)],
        ),
        (
            "ReadLine",
            "ПрочитатьСтроку",
            vec![t("UTF-8"), t(""), n(5000), n(0)],
        ),
        (
            "ProcessRequest",
            "ОбработатьЗапрос",
            vec![None, t(""), Some(Value::Bool(true)), t(""), t("")],
        ),
        (
            "GetTlsSettings",
            "ПолучитьНастройкиTls",
            vec![None, t(""), t("")],
        ),
        (
            "GetProxySettings",
            "ПолучитьНастройкиПрокси",
            vec![None, None, t("socks5"), t(""), t("")],
        ),
        ("GetLastError", "ПолучитьПоследнююОшибку", vec![]),
        ("GetLog", "ПолучитьЛог", vec![n(100)]),
        (
            "ProcessRequests",
            "ОбработатьЗапросы",
            vec![None, Some(Value::Bool(true)), n(16)],
        ),
        ("StartTls", "НачатьTls", vec![t("")]),
        ("FinishSending", "ЗавершитьОтправку", vec![n(5000)]),
    ]
}

/// The server's methods as [`api`] gives the client's.
fn server_api() -> Vec<(&'static str, &'static str, Vec<Option<Value>>)> {
    let t = |x: &str| Some(Value::str(x));
    let n = |x: i32| Some(Value::I4(x));
    let reading = || vec![n(1000), n(8192), t(""), n(0)];
    vec![
        (
            "Start",
            "Запустить",
            vec![
                None,
                n(100),
                t(""),
                t(""),
                t(""),
                t(""),
                Some(Value::Bool(false)),
                t(""),
            ],
        ),
        ("Stop", "Остановить", vec![]),
        (
            "GetNextConnectionData",
            "ПолучитьДанныеОчередногоСоединения",
            reading(),
        ),
        (
            "GetConnectionData",
            "ПолучитьДанныеСоединения",
            [vec![None], reading()].concat(),
        ),
        ("SendData", "ОтправитьДанные", vec![None, None, n(5000)]),
        (
            "CloseIncomingConnection",
            "ЗакрытьВходящееСоединение",
            vec![None],
        ),
        ("CompleteSend", "ЗавершитьОтправку", vec![None]),
        ("FinishReceiving", "ЗавершитьПолучение", vec![None]),
        ("GetConnectionList", "ПолучитьСписокСоединений", vec![]),
        ("GetLastError", "ПолучитьПоследнююОшибку", vec![]),
        ("GetLog", "ПолучитьЛог", vec![n(100)]),
    ]
}

#[test]
fn the_library_exports_two_classes() {
    assert_eq!(library().class_names(), ["TcpClient", "TcpServer"]);
    assert_eq!(library().set_platform_capabilities(2), 3);
    for unknown in ["TcpListener", "tcpclient", "TcpClient|TcpServer", ""] {
        assert!(
            matches!(library().create(unknown), Err(HostError::Create(_))),
            "{unknown}"
        );
    }
    // GetInfo and RegisterExtensionAs are 1C's calls; OneScript makes neither.
    for class in ["TcpClient", "TcpServer"] {
        let obj = library().create(class).unwrap();
        assert_eq!(obj.extension_name, class);
        assert_eq!(obj.info, 2000);
        finish(obj);
    }
}

#[test]
fn every_method_by_both_names_with_counts_defaults_and_return_values() {
    check_methods(client(), &api());
    check_methods(library().create("TcpServer").unwrap(), &server_api());
}

#[test]
fn server_properties_names_access_and_defaults() {
    let obj = library().create("TcpServer").unwrap();
    let expected = [
        ("Running", "Запущен", false, Value::Bool(false)),
        ("Port", "Порт", false, Value::I4(0)),
        (
            "Version",
            "Версия",
            false,
            Value::str(env!("CARGO_PKG_VERSION")),
        ),
        (
            "ThrowErrors",
            "ВызыватьИсключения",
            true,
            Value::Bool(false),
        ),
    ];
    assert_eq!(obj.n_props(), expected.len());
    for (num, (en, ru, writable, value)) in expected.into_iter().enumerate() {
        assert_eq!(obj.find_prop(en), Some(num), "{en}");
        assert_eq!(obj.find_prop(&ru.to_uppercase()), Some(num), "{ru}");
        assert_eq!(obj.prop_name(num, 1).as_deref(), Some(ru));
        assert_eq!(obj.prop_access(num), (true, writable), "{en}");
        assert_eq!(obj.get_prop(en).unwrap().value, value, "{en}");
    }
    finish(obj);
}

/// Checks every method of `obj` against `api`: both names in any case, parameter counts,
/// defaults, a return value.
fn check_methods(obj: addin_host::AddinObject, api: &[(&str, &str, Vec<Option<Value>>)]) {
    assert_eq!(obj.n_methods(), api.len());
    for (en, ru, defaults) in api {
        let num = obj
            .find_method(en)
            .unwrap_or_else(|| panic!("{en} not found"));
        for variant in [
            ru.to_string(),
            en.to_lowercase(),
            en.to_uppercase(),
            ru.to_lowercase(),
            ru.to_uppercase(),
        ] {
            assert_eq!(obj.find_method(&variant), Some(num), "{variant}");
        }
        // The platform asks for names repeatedly; each answer is a fresh allocation it frees.
        for _ in 0..3 {
            assert_eq!(obj.method_name(num, 0).as_deref(), Some(*en));
            assert_eq!(obj.method_name(num, 1).as_deref(), Some(*ru));
        }
        assert_eq!(obj.n_params(num), defaults.len(), "{en}");
        assert!(obj.has_ret_val(num), "{en} returns a value");
        for (i, default) in defaults.iter().enumerate() {
            assert_eq!(&obj.param_default(num, i), default, "{en} parameter {i}");
        }
        assert_eq!(
            obj.param_default(num, defaults.len()),
            None,
            "{en}: no parameter past the end"
        );
    }
    assert_eq!(obj.find_method("Connec"), None);
    assert_eq!(obj.find_method(""), None);
    assert_eq!(obj.method_name(api.len(), 0), None);
    assert_eq!(obj.n_params(api.len()), 0);
    finish(obj);
}

#[test]
fn properties_names_access_and_defaults() {
    let obj = client();
    let expected = [
        (
            "ConnectTimeout",
            "ТаймаутПодключения",
            true,
            Value::I4(10000),
        ),
        ("Connected", "Подключено", false, Value::Bool(false)),
        (
            "LastReadEnd",
            "ПричинаОкончанияЧтения",
            false,
            Value::str(""),
        ),
        ("TlsInfo", "ИнформацияTls", false, Value::str("")),
        (
            "Version",
            "Версия",
            false,
            Value::str(env!("CARGO_PKG_VERSION")),
        ),
        (
            "ThrowErrors",
            "ВызыватьИсключения",
            true,
            Value::Bool(false),
        ),
        (
            "ConnectAttemptDelay",
            "ЗадержкаПопыткиПодключения",
            true,
            Value::I4(250),
        ),
    ];
    assert_eq!(obj.n_props(), expected.len());
    for (en, ru, writable, value) in expected {
        let num = obj
            .find_prop(&en.to_uppercase())
            .unwrap_or_else(|| panic!("{en}"));
        assert_eq!(obj.find_prop(&ru.to_lowercase()), Some(num));
        assert_eq!(obj.prop_name(num, 0).as_deref(), Some(en));
        assert_eq!(obj.prop_name(num, 1).as_deref(), Some(ru));
        assert_eq!(obj.prop_access(num), (true, writable), "{en}");
        let got = obj.get_prop(ru).unwrap();
        assert!(got.ok);
        assert_eq!(got.value, value, "{en}");
    }
    assert_eq!(obj.find_prop("Nope"), None);
    finish(obj);
}

#[test]
fn writable_properties_take_values_and_reject_bad_ones() {
    let obj = client();
    for (en, ru) in [
        ("ConnectTimeout", "ТаймаутПодключения"),
        ("ConnectAttemptDelay", "ЗадержкаПопыткиПодключения"),
    ] {
        assert!(obj.set_prop(ru, Value::I4(2500)).unwrap());
        assert_eq!(obj.get_prop(en).unwrap().value, Value::I4(2500));
        assert!(obj.set_prop(en, Value::R8(3000.0)).unwrap());
        assert_eq!(obj.get_prop(en).unwrap().value, Value::I4(3000));
        for bad in [
            Value::I4(-1),
            Value::str("100"),
            Value::R8(1.5),
            Value::Date,
        ] {
            assert!(!obj.set_prop(en, bad.clone()).unwrap(), "{en} {bad:?}");
            assert_eq!(error_kind(&obj), "argument");
            assert!(
                error_message(&obj).starts_with(&format!("{ru} ({en})")),
                "{}",
                error_message(&obj)
            );
        }
        assert_eq!(obj.get_prop(en).unwrap().value, Value::I4(3000));
    }
    assert!(obj.set_prop("ThrowErrors", Value::Bool(true)).unwrap());
    assert_eq!(
        obj.get_prop("ВызыватьИсключения").unwrap().value,
        Value::Bool(true)
    );
    assert!(!obj.set_prop("ThrowErrors", Value::I4(1)).unwrap());
    // The failed assignment was also raised, since exceptions are on.
    let raised = obj.take_errors();
    assert_eq!(raised.len(), 1);
    assert!(raised[0].description.contains("ThrowErrors"), "{raised:?}");
    for read_only in ["Connected", "LastReadEnd", "TlsInfo", "Version"] {
        assert!(
            !obj.set_prop(read_only, Value::Bool(true)).unwrap(),
            "{read_only}"
        );
    }
    finish(obj);
}

#[test]
fn methods_can_be_called_as_procedures() {
    let obj = client();
    let echo = socat_echo();
    assert!(obj
        .call_proc("ОткрытьСоединение", &[s(&echo.addr())])
        .unwrap());
    assert_eq!(obj.get_prop("Подключено").unwrap().value, Value::Bool(true));
    assert!(obj.call_proc("SendLine", &[s("x\n")]).unwrap());
    assert!(obj.call_proc("Close", &[]).unwrap());
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(false));
    // A failure without exceptions still "succeeds" as a procedure; the error is recorded.
    assert!(obj.call_proc("SendLine", &[s("x\n")]).unwrap());
    assert_eq!(error_kind(&obj), "closed");
    finish(obj);
}

#[test]
fn the_platform_refuses_missing_and_extra_arguments() {
    let obj = client();
    assert!(matches!(
        obj.call("Connect", &[]),
        Err(HostError::MissingArgument { index: 0, .. })
    ));
    assert!(matches!(
        obj.call("Close", &[Value::I4(1)]),
        Err(HostError::TooManyArguments {
            given: 1,
            accepted: 0,
            ..
        })
    ));
    finish(obj);
}
