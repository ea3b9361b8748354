//! Static checks of the BSL modules shipped in the package (`TcpLink` and `OPI_TCP`, for 1C and
//! for OneScript, made by `tcplink_addin::bsl` from `addin/bsl/`): they export layer 2 of the API
//! under Russian and English names, every function of OPI's `OPI_TCP` with its parameters in
//! OPI's order and with OPI's defaults, they check the component's version, and every call they
//! make on the component object names an exported method (in either language) with a parameter
//! count it accepts, and every property they touch exists.

use tcplink_addin::bsl::shipped_files;
use tcplink_addin::methods::{MethodSpec, METHODS};
use tcplink_addin::names::Names;
use tcplink_addin::props::{PropSpec, PROPS};
use tcplink_addin::server_methods::SERVER_METHODS;
use tcplink_addin::server_props::SERVER_PROPS;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Number(String),
    Punct(char),
}

/// Splits BSL source into tokens, dropping comments and preprocessor lines.
fn tokenize(source: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.starts_with('&') {
            continue;
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => break,
                '"' => {
                    let mut text = String::new();
                    loop {
                        match chars.next() {
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                text.push('"');
                            }
                            Some('"') => break,
                            Some(ch) => text.push(ch),
                            None => panic!("unterminated string in line {line:?}"),
                        }
                    }
                    tokens.push(Token::Str(text));
                }
                c if c.is_ascii_digit() => {
                    let mut number = c.to_string();
                    while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit() || **d == '.') {
                        number.push(d);
                        chars.next();
                    }
                    tokens.push(Token::Number(number));
                }
                c if c.is_alphabetic() || c == '_' => {
                    let mut ident = c.to_string();
                    while let Some(&d) = chars.peek().filter(|d| d.is_alphanumeric() || **d == '_')
                    {
                        ident.push(d);
                        chars.next();
                    }
                    tokens.push(Token::Ident(ident));
                }
                c if c.is_whitespace() => {}
                c => tokens.push(Token::Punct(c)),
            }
        }
    }
    tokens
}

/// Whether `token` is the word `name`, or its English counterpart (`Функция`/`Function`, ...).
fn is_ident(token: Option<&Token>, name: &str) -> bool {
    let english = match name {
        "Функция" => "Function",
        "Процедура" => "Procedure",
        "Экспорт" => "Export",
        "Знач" => "Val",
        "Возврат" => "Return",
        other => other,
    };
    matches!(token, Some(Token::Ident(i))
        if i.to_lowercase() == name.to_lowercase() || i.to_lowercase() == english.to_lowercase())
}

/// The exported functions: `Name(Param, Param = default, ...)`, `Знач` dropped.
fn exported_signatures(tokens: &[Token]) -> Vec<String> {
    let mut signatures = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if !is_ident(Some(token), "Функция") && !is_ident(Some(token), "Процедура")
        {
            continue;
        }
        let Some(Token::Ident(name)) = tokens.get(i + 1) else {
            continue;
        };
        let close = i + tokens[i..]
            .iter()
            .position(|t| *t == Token::Punct(')'))
            .unwrap();
        if !is_ident(tokens.get(close + 1), "Экспорт") {
            continue;
        }
        let params: Vec<String> = tokens[i + 3..close]
            .split(|t| *t == Token::Punct(','))
            .filter(|p| !p.is_empty())
            .map(|param| {
                param
                    .iter()
                    .filter(|t| !is_ident(Some(t), "Знач"))
                    .map(|t| match t {
                        Token::Ident(s) | Token::Number(s) => s.clone(),
                        Token::Str(s) => format!("{s:?}"),
                        Token::Punct(c) => c.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        signatures.push(format!("{name}({})", params.join(", ")));
    }
    signatures
}

/// Variables that hold the component object in the modules: a `TcpClient` (or, in the functions
/// both classes share, such as `ПолучитьПоследнююОшибку`, either class), or a `TcpServer`.
const COMPONENT_VARS: [&str; 3] = ["Соединение", "Клиент", "Сервер"];
/// The variable that holds a `TcpServer`.
const SERVER_VAR: &str = "Сервер";
/// Other objects whose members the modules use (JSON reader and writer, error maps, the log, a
/// file, binary data, platform enumerations and character constants, and the arrays and maps
/// `ОбработатьЗапросы` converts).
const OTHER_OBJECTS: [&str; 15] = [
    "Запись",
    "Чтение",
    "Ошибка",
    "Значение",
    "Журнал",
    "Файл",
    "Данные",
    "ТипВнешнейКомпоненты",
    "КодировкаТекста",
    "Символы",
    "Ответ",
    "Поле",
    "Поля",
    "Список",
    "ЧисловыеПоля",
];

/// A member access on the component: the variable, the member's name and, for calls, the
/// argument count.
#[derive(Debug)]
struct Use {
    object: String,
    member: String,
    args: Option<usize>,
}

fn component_uses(tokens: &[Token]) -> Vec<Use> {
    let mut uses = Vec::new();
    for (i, window) in tokens.windows(3).enumerate() {
        let [Token::Ident(object), Token::Punct('.'), Token::Ident(member)] = window else {
            continue;
        };
        if !COMPONENT_VARS.contains(&object.as_str()) {
            assert!(
                OTHER_OBJECTS.contains(&object.as_str()),
                "{object}.{member}: an object the test does not know"
            );
            continue;
        }
        let args = (tokens.get(i + 3) == Some(&Token::Punct('('))).then(|| {
            let mut depth = 0;
            let mut commas = 0;
            let mut empty = true;
            for token in &tokens[i + 4..] {
                match token {
                    Token::Punct('(') => depth += 1,
                    Token::Punct(')') if depth == 0 => break,
                    Token::Punct(')') => depth -= 1,
                    Token::Punct(',') if depth == 0 => commas += 1,
                    _ => {}
                }
                empty = false;
            }
            if empty {
                0
            } else {
                commas + 1
            }
        });
        uses.push(Use {
            object: object.clone(),
            member: member.clone(),
            args,
        });
    }
    uses
}

/// Every place the modules make a component object is assigned to a known variable (so the
/// checks above see all its uses).
fn check_component_variables(tokens: &[Token]) {
    for (i, token) in tokens.iter().enumerate() {
        let creates = (is_ident(Some(token), "НовыйКлиент")
            || is_ident(Some(token), "НовыйСервер"))
            && tokens.get(i + 1) == Some(&Token::Punct('('))
            || matches!(token, Token::Str(s) if s.starts_with("AddIn.TcpLink"));
        // `Функция НовыйКлиент()` defines it; `Тип("AddIn...")` names the type; `... = "AddIn..."`
        // compares a type's name.
        if !creates
            || is_ident(tokens.get(i.wrapping_sub(1)), "Функция")
            || is_ident(tokens.get(i.wrapping_sub(2)), "Тип")
            || tokens.get(i.wrapping_sub(1)) == Some(&Token::Punct('='))
        {
            continue;
        }
        let mut back = i;
        while back > 0
            && !matches!(tokens[back], Token::Punct('='))
            && !is_ident(Some(&tokens[back]), "Возврат")
        {
            back -= 1;
            if matches!(tokens[back], Token::Punct(';')) {
                break;
            }
        }
        let target = match (tokens.get(back.wrapping_sub(1)), &tokens[back]) {
            (_, Token::Ident(r)) if r == "Возврат" => "Возврат".to_string(),
            (Some(Token::Ident(var)), Token::Punct('=')) => var.clone(),
            other => panic!("cannot see where a component object goes: {other:?}"),
        };
        assert!(
            target == "Возврат" || COMPONENT_VARS.contains(&target.as_str()),
            "a component object is kept in {target}, which the checks do not follow"
        );
    }
}

/// Layer 2: every function under its Russian name, in the order the module defines them, then
/// the English names.
fn layer2() -> Vec<&'static str> {
    vec![
        r#"ОткрытьСоединение(Адрес, Tls = "", Прокси = "", Логирование = "")"#,
        "ЗакрытьСоединение(Соединение)",
        "ОтправитьДвоичныеДанные(Соединение, Данные, Таймаут = 5000)",
        r#"ОтправитьСтроку(Соединение, Данные, Кодировка = "UTF-8", Таймаут = 5000)"#,
        r#"ПрочитатьДвоичныеДанные(Соединение, МаксимальныйРазмер = 0, Маркер = "", Таймаут = 5000, ТаймаутОжидания = 0)"#,
        r#"ПрочитатьСтроку(Соединение, Кодировка = "UTF-8", Маркер = "", Таймаут = 5000, ТаймаутОжидания = 0)"#,
        r#"НачатьTls(Соединение, Tls = "")"#,
        "ЗавершитьОтправку(Объект, IDИлиТаймаут = 5000)",
        r#"ОбработатьЗапрос(Адрес, Данные = "", ОтветСтрокой = Истина, Tls = "", Прокси = "")"#,
        "ОбработатьЗапросы(Запросы, ОтветСтрокой = Истина, ЧислоПотоков = 16)",
        r#"ПолучитьНастройкиTls(ОтключитьПроверкуСертификатов, ПутьКСертификату = "", Пины = Неопределено)"#,
        r#"ПолучитьНастройкиПрокси(Адрес, Порт, Вид = "socks5", Логин = Неопределено, Пароль = Неопределено)"#,
        "ПолучитьПоследнююОшибку(Соединение)",
        "ЭтоОбъектКлиента(Значение)",
        r#"ПолучитьНастройкиЛогирования(ЗаписьВПамять = Истина, МаксимумСобытий = 300, ПутьКФайлу = "")"#,
        "ПолучитьЛог(Объект, КакСтрока = Ложь, ЧислоСобытий = 100)",
        r#"ЗапуститьСервер(Порт, РазмерПула = 100, Логирование = Неопределено, АдресПрослушивания = "", Tls = "", РазрешенныеАдреса = "", ВытеснятьСтарые = Ложь, Настройки = Неопределено)"#,
        "ПолучитьНастройкиСервера(РазмерБуфера = 1048576, ТаймаутОтправки = 10000, ТаймаутРукопожатия = 10000, ОтвечатьПослеЗакрытияКлиентом = Ложь)",
        "ОстановитьСервер(ОбъектСервера)",
        r#"ПолучитьДанныеОчередногоСоединения(ОбъектСервера, Таймаут = 1000, МаксимальныйРазмер = 8192, Маркер = "", ТаймаутОжидания = 0)"#,
        r#"ПолучитьДанныеСоединения(ОбъектСервера, IDСоединения, Таймаут = 1000, МаксимальныйРазмер = 8192, Маркер = "", ТаймаутОжидания = 0)"#,
        "ОтправитьДанные(ОбъектСервера, IDСоединения, Данные, Таймаут = 5000)",
        "ЗакрытьВходящееСоединение(ОбъектСервера, IDСоединения)",
        "ЗавершитьПолучение(ОбъектСервера, IDСоединения)",
        "ПолучитьСписокСоединений(ОбъектСервера)",
        "ЭтоОбъектСервера(Значение)",
        r#"CreateConnection(Address, Tls = "", Proxy = "", Logging = "")"#,
        "CloseConnection(Connection)",
        "SendBinaryData(Connection, Data, Timeout = 5000)",
        r#"SendLine(Connection, Data, Encoding = "UTF-8", Timeout = 5000)"#,
        r#"ReadBinaryData(Connection, MaxSize = 0, Marker = "", Timeout = 5000, IdleTimeout = 0)"#,
        r#"ReadLine(Connection, Encoding = "UTF-8", Marker = "", Timeout = 5000, IdleTimeout = 0)"#,
        r#"StartTls(Connection, Tls = "")"#,
        "FinishSending(Connection, Timeout = 5000)",
        r#"ProcessRequest(Address, Data = "", ResponseString = True, Tls = "", Proxy = "")"#,
        "ProcessRequests(Requests, ResponseString = True, Threads = 16)",
        r#"GetTlsSettings(DisableCertVerification, CertFilepath = "", Pins = Undefined)"#,
        r#"GetProxySettings(Address, Port, View = "socks5", Login = Undefined, Password = Undefined)"#,
        "GetLastError(Connection)",
        "IsClientObject(Value)",
        r#"GetLoggingSettings(WriteToMemory = True, MaxEvents = 300, FilePath = "")"#,
        "GetLog(Object, AsString = False, EventCount = 100)",
        r#"StartServer(Port, PoolSize = 100, Logging = Undefined, ListenAddress = "", Tls = "", AllowedAddresses = "", EvictOldest = False, Settings = Undefined)"#,
        "GetServerSettings(BufferLimit = 1048576, SendTimeout = 10000, HandshakeTimeout = 10000, AnswerAfterClientClose = False)",
        "StopServer(ServerObject)",
        r#"GetNextConnectionData(ServerObject, Timeout = 1000, MaxSize = 8192, Marker = "", IdleTimeout = 0)"#,
        r#"GetConnectionData(ServerObject, ConnectionID, Timeout = 1000, MaxSize = 8192, Marker = "", IdleTimeout = 0)"#,
        "SendData(ServerObject, ConnectionID, Data, Timeout = 5000)",
        "CloseIncomingConnection(ServerObject, ConnectionID)",
        "CompleteSend(ServerObject, ConnectionID)",
        "FinishReceiving(ServerObject, ConnectionID)",
        "GetConnectionList(ServerObject)",
        "IsServerObject(Value)",
    ]
}

/// OPI's `OPI_TCP` client functions as its documentation gives them (Russian and English names,
/// parameters in order, defaults): OPI code calls these positionally, so each must exist with
/// these parameters first; a module may add optional parameters after them.
fn opi_functions() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    vec![
        (
            "ОткрытьСоединение",
            "CreateConnection",
            vec!["Адрес", r#"Tls = """#, r#"Прокси = """#],
        ),
        ("ЗакрытьСоединение", "CloseConnection", vec!["Соединение"]),
        (
            "ПрочитатьДвоичныеДанные",
            "ReadBinaryData",
            vec![
                "Соединение",
                "МаксимальныйРазмер = 0",
                r#"Маркер = """#,
                "Таймаут = 5000",
            ],
        ),
        (
            "ПрочитатьСтроку",
            "ReadLine",
            vec![
                "Соединение",
                r#"Кодировка = "UTF-8""#,
                r#"Маркер = """#,
                "Таймаут = 5000",
            ],
        ),
        (
            "ОтправитьДвоичныеДанные",
            "SendBinaryData",
            vec!["Соединение", "Данные", "Таймаут = 5000"],
        ),
        (
            "ОтправитьСтроку",
            "SendLine",
            vec![
                "Соединение",
                "Данные",
                r#"Кодировка = "UTF-8""#,
                "Таймаут = 5000",
            ],
        ),
        (
            "ОбработатьЗапрос",
            "ProcessRequest",
            vec![
                "Адрес",
                r#"Данные = """#,
                "ОтветСтрокой = Истина",
                r#"Tls = """#,
                r#"Прокси = """#,
            ],
        ),
        (
            "ПолучитьПоследнююОшибку",
            "GetLastError",
            vec!["Соединение"],
        ),
        (
            "ПолучитьНастройкиПрокси",
            "GetProxySettings",
            vec![
                "Адрес",
                "Порт",
                r#"Вид = "socks5""#,
                "Логин = Неопределено",
                "Пароль = Неопределено",
            ],
        ),
        (
            "ПолучитьНастройкиTls",
            "GetTlsSettings",
            vec!["ОтключитьПроверкуСертификатов", r#"ПутьКСертификату = """#],
        ),
        ("ЭтоОбъектКлиента", "IsClientObject", vec!["Значение"]),
        (
            "ПолучитьНастройкиЛогирования",
            "GetLoggingSettings",
            vec![
                "ЗаписьВПамять = Истина",
                "МаксимумСобытий = 300",
                r#"ПутьКФайлу = """#,
            ],
        ),
        (
            "ПолучитьЛог",
            "GetLog",
            vec!["Объект", "КакСтрока = Ложь", "ЧислоСобытий = 100"],
        ),
        (
            "ЗапуститьСервер",
            "StartServer",
            vec!["Порт", "РазмерПула = 100", "Логирование = Неопределено"],
        ),
        ("ОстановитьСервер", "StopServer", vec!["ОбъектСервера"]),
        (
            "ПолучитьДанныеОчередногоСоединения",
            "GetNextConnectionData",
            vec![
                "ОбъектСервера",
                "Таймаут = 1000",
                "МаксимальныйРазмер = 8192",
            ],
        ),
        (
            "ПолучитьДанныеСоединения",
            "GetConnectionData",
            vec![
                "ОбъектСервера",
                "IDСоединения",
                "Таймаут = 1000",
                "МаксимальныйРазмер = 8192",
            ],
        ),
        (
            "ОтправитьДанные",
            "SendData",
            vec!["ОбъектСервера", "IDСоединения", "Данные"],
        ),
        (
            "ЗакрытьВходящееСоединение",
            "CloseIncomingConnection",
            vec!["ОбъектСервера", "IDСоединения"],
        ),
        (
            "ЗавершитьПолучение",
            "FinishReceiving",
            vec!["ОбъектСервера", "IDСоединения"],
        ),
        (
            "ПолучитьСписокСоединений",
            "GetConnectionList",
            vec!["ОбъектСервера"],
        ),
        ("ЭтоОбъектСервера", "IsServerObject", vec!["Значение"]),
    ]
}

/// The parameters of `signature` (`Name(A, B = 1)`), as written.
fn params_of(signature: &str) -> Vec<String> {
    let inner = signature.split_once('(').unwrap().1.trim_end_matches(')');
    inner
        .split(", ")
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The defaults of `params` (what follows ` = `), or "" for required ones.
fn defaults(params: &[String]) -> Vec<String> {
    params
        .iter()
        .map(|p| {
            p.split_once(" = ")
                .map_or(String::new(), |(_, d)| d.to_string())
        })
        .collect()
}

fn check_module(name: &str, source: &str) {
    let tokens = tokenize(source);
    let signatures = exported_signatures(&tokens);
    assert_eq!(
        signatures,
        layer2(),
        "{name}: the exported functions are layer 2"
    );
    check_component_variables(&tokens);
    let uses = component_uses(&tokens);
    let client = Class::new(&METHODS, &PROPS, |m| &m.names, |p| &p.names);
    let server = Class::new(&SERVER_METHODS, &SERVER_PROPS, |m| &m.names, |p| &p.names);
    let (mut client_used, mut server_used) = (
        vec![false; client.methods.len()],
        vec![false; server.methods.len()],
    );
    for u in &uses {
        if u.object == SERVER_VAR {
            server.check(name, u, &mut server_used);
        } else {
            client.check(name, u, &mut client_used);
            // The functions both classes share call the same methods on either object.
            server.mark(u, &mut server_used);
        }
    }
    for (class, used) in [(&client, client_used), (&server, server_used)] {
        let unused: Vec<_> = class
            .methods
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(m, _)| m.0.ru)
            .collect();
        assert!(unused.is_empty(), "{name}: layer 2 never calls {unused:?}");
    }
}

/// A class's methods (names and accepted argument counts) and property names.
struct Class {
    methods: Vec<(&'static Names, std::ops::RangeInclusive<usize>)>,
    props: Vec<&'static Names>,
}

impl Class {
    fn new<S, P>(
        methods: &'static [MethodSpec<S>],
        props: &'static [PropSpec<P>],
        method_names: fn(&'static MethodSpec<S>) -> &'static Names,
        prop_names: fn(&'static PropSpec<P>) -> &'static Names,
    ) -> Class {
        Class {
            methods: methods
                .iter()
                .map(|m| (method_names(m), m.required_params()..=m.params.len()))
                .collect(),
            props: props.iter().map(prop_names).collect(),
        }
    }

    fn find(&self, member: &str) -> Option<usize> {
        self.methods
            .iter()
            .position(|(names, _)| names.matches(member))
    }

    /// Asserts that `u` names a method with an argument count it accepts, or a property.
    fn check(&self, module: &str, u: &Use, used: &mut [bool]) {
        match u.args {
            Some(args) => {
                let num = self.find(&u.member).unwrap_or_else(|| {
                    panic!(
                        "{module}: {}.{} is not a method of the component",
                        u.object, u.member
                    )
                });
                let range = &self.methods[num].1;
                assert!(
                    range.contains(&args),
                    "{module}: {} called with {args} arguments; it takes {range:?}",
                    u.member
                );
                used[num] = true;
            }
            None => assert!(
                self.props.iter().any(|p| p.matches(&u.member)),
                "{module}: {}.{} is not a property of the component",
                u.object,
                u.member
            ),
        }
    }

    /// Marks the method `u` calls as used, if this class has it.
    fn mark(&self, u: &Use, used: &mut [bool]) {
        if let (Some(_), Some(num)) = (u.args, self.find(&u.member)) {
            used[num] = true;
        }
    }
}

#[test]
fn every_shipped_module_exports_layer_2_and_calls_only_exported_methods() {
    let files = shipped_files();
    let modules: Vec<_> = files
        .iter()
        .filter(|f| f.name.ends_with(".bsl") || f.name.ends_with(".os"))
        .collect();
    assert_eq!(modules.len(), 4);
    for module in modules {
        check_module(&module.name, &module.text);
    }
}

#[test]
fn opi_tcp_has_every_opi_function_in_both_languages_with_opis_parameters() {
    let files = shipped_files();
    for module in files.iter().filter(|f| f.name.starts_with("OPI_TCP.")) {
        let signatures = exported_signatures(&tokenize(&module.text));
        let find = |name: &str| {
            signatures
                .iter()
                .find(|s| s.starts_with(&format!("{name}(")))
                .unwrap_or_else(|| panic!("{}: no function {name}", module.name))
        };
        // OPI's server ЗавершитьОтправку(ОбъектСервера, IDСоединения) and the client's
        // ЗавершитьОтправку(Соединение, Таймаут) are one function telling the two apart by the
        // object; the server's English name is CompleteSend.
        assert_eq!(params_of(find("ЗавершитьОтправку")).len(), 2);
        assert_eq!(
            params_of(find("CompleteSend")),
            ["ServerObject", "ConnectionID"]
        );
        for (ru, en, opi_params) in opi_functions() {
            let ours = params_of(find(ru));
            assert!(
                ours.len() >= opi_params.len() && ours[..opi_params.len()] == opi_params[..],
                "{}: {ru} takes {ours:?}; OPI code passes {opi_params:?}",
                module.name
            );
            // Added parameters are optional, so OPI's calls still fit.
            assert!(
                defaults(&ours)[opi_params.len()..]
                    .iter()
                    .all(|d| !d.is_empty()),
                "{}: {ru} adds a required parameter",
                module.name
            );
            let english = params_of(find(en));
            assert_eq!(english.len(), ours.len(), "{}: {en}", module.name);
            let same_defaults =
                defaults(&english)
                    .iter()
                    .zip(defaults(&ours))
                    .all(|(e, r)| match (e.as_str(), r.as_str()) {
                        ("True", "Истина") | ("False", "Ложь") | ("Undefined", "Неопределено") => {
                            true
                        }
                        (e, r) => e == r,
                    });
            assert!(
                same_defaults,
                "{}: {en} and {ru} differ in defaults",
                module.name
            );
        }
    }
}

#[test]
fn the_modules_check_that_the_component_is_their_version() {
    for module in shipped_files()
        .iter()
        .filter(|f| !f.name.ends_with(".config"))
    {
        let expected = format!(
            "Функция ВерсияМодуля()\n\tВозврат \"{}\";",
            tcplink::VERSION
        );
        assert!(
            module.text.contains(&expected),
            "{}: ВерсияМодуля must return {}",
            module.name,
            tcplink::VERSION
        );
        assert!(module
            .text
            .contains("Если Клиент.Версия <> ВерсияМодуля() Тогда"));
    }
}

#[test]
fn the_checker_catches_bad_calls() {
    let tokens = tokenize("Функция Ф(Знач Соединение) Экспорт\n Возврат Соединение.Прочитать(1, \"a,b\", Ф(2, 3)); // x.y(\nКонецФункции");
    let uses = component_uses(&tokens);
    assert_eq!(uses.len(), 1);
    assert_eq!(
        (uses[0].member.as_str(), uses[0].args),
        ("Прочитать", Some(3))
    );
    assert!(!METHODS.iter().any(|m| m.names.matches("Прочитать")));
    let close = component_uses(&tokenize("Соединение.ЗакрытьСоединение();"));
    assert_eq!(close[0].args, Some(0));
    assert_eq!(exported_signatures(&tokens), ["Ф(Соединение)"]);
    let english = tokenize("Function F(Val Connection, Val A = True) Export\nEndFunction");
    assert_eq!(exported_signatures(&english), ["F(Connection, A = True)"]);
}
