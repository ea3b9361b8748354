//! Static checks of the BSL modules in `addin/bsl/` (the 1C common module and the OneScript
//! variant): they export exactly layer 2 of the API, and every call they make on the component
//! object names an exported method (in either language) with a parameter count it accepts,
//! and every property they touch exists.

use std::path::Path;

use tcplink_addin::methods::METHODS;
use tcplink_addin::props::PROPS;

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

fn is_ident(token: Option<&Token>, name: &str) -> bool {
    matches!(token, Some(Token::Ident(i)) if i.to_lowercase() == name.to_lowercase())
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

/// Variables that hold the component object in the modules.
const COMPONENT_VARS: [&str; 2] = ["Соединение", "Клиент"];
/// Other objects whose members the modules use (JSON reader and writer, an error map, a
/// platform enumeration).
const OTHER_OBJECTS: [&str; 4] = ["Запись", "Чтение", "Ошибка", "ТипВнешнейКомпоненты"];

/// A member access on the component: the member's name and, for calls, the argument count.
#[derive(Debug)]
struct Use {
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
        let creates = is_ident(Some(token), "НовыйКлиент")
            && tokens.get(i + 1) == Some(&Token::Punct('('))
            || matches!(token, Token::Str(s) if s.starts_with("AddIn.TcpLink"));
        // `Функция НовыйКлиент()` defines it; `Тип("AddIn...")` names the type.
        if !creates
            || is_ident(tokens.get(i.wrapping_sub(1)), "Функция")
            || is_ident(tokens.get(i.wrapping_sub(2)), "Тип")
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

fn layer2() -> Vec<&'static str> {
    vec![
        r#"ОткрытьСоединение(Адрес, Tls = "", Прокси = "")"#,
        "ЗакрытьСоединение(Соединение)",
        "ОтправитьДвоичныеДанные(Соединение, Данные, Таймаут = 5000)",
        r#"ОтправитьСтроку(Соединение, Данные, Кодировка = "UTF-8", Таймаут = 5000)"#,
        r#"ПрочитатьДвоичныеДанные(Соединение, МаксимальныйРазмер = 0, Маркер = "", Таймаут = 5000)"#,
        r#"ПрочитатьСтроку(Соединение, Кодировка = "UTF-8", Маркер = "", Таймаут = 5000)"#,
        r#"ОбработатьЗапрос(Адрес, Данные = "", ОтветСтрокой = Истина, Tls = "")"#,
        r#"ПолучитьНастройкиTls(ОтключитьПроверкуСертификатов, ПутьКСертификату = "")"#,
        r#"ПолучитьНастройкиПрокси(Адрес, Порт, Вид = "socks5", Логин = Неопределено, Пароль = Неопределено)"#,
        "ПолучитьПоследнююОшибку(Соединение)",
        "ЭтоОбъектКлиента(Значение)",
    ]
}

fn check_module(file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bsl").join(file);
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tokens = tokenize(&source);
    assert_eq!(
        exported_signatures(&tokens),
        layer2(),
        "{file}: the exported functions are layer 2"
    );
    check_component_variables(&tokens);
    let uses = component_uses(&tokens);
    let mut methods_used = vec![false; METHODS.len()];
    for u in &uses {
        match u.args {
            Some(args) => {
                let num = METHODS
                    .iter()
                    .position(|m| m.names.matches(&u.member))
                    .unwrap_or_else(|| {
                        panic!("{file}: {} is not a method of the component", u.member)
                    });
                let method = &METHODS[num];
                assert!(
                    (method.required_params()..=method.params.len()).contains(&args),
                    "{file}: {} called with {args} arguments; it takes {} to {}",
                    u.member,
                    method.required_params(),
                    method.params.len()
                );
                methods_used[num] = true;
            }
            None => assert!(
                PROPS.iter().any(|p| p.names.matches(&u.member)),
                "{file}: {} is not a property of the component",
                u.member
            ),
        }
    }
    let unused: Vec<_> = METHODS
        .iter()
        .zip(methods_used)
        .filter(|(_, used)| !used)
        .map(|(m, _)| m.names.ru)
        .collect();
    assert!(unused.is_empty(), "{file}: layer 2 never calls {unused:?}");
}

#[test]
fn the_1c_common_module_calls_only_exported_methods() {
    check_module("TcpLink.bsl");
}

#[test]
fn the_onescript_module_calls_only_exported_methods() {
    check_module("TcpLink.os");
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
}
