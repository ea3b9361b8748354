//! The method table of `TcpServer`: OPI's server functions (`ЗапуститьСервер` ... as methods of
//! the server object), in the platform's numbering, with the optional parameters OPI lacks.

use std::time::Duration;

use tcplink::Result;

use crate::encodings::TextEncoding;
use crate::methods::{MethodSpec, Returns, Value, EVENT_COUNT, IDLE_TIMEOUT, LOGGING, MARKER, TLS};
use crate::names;
use crate::object::{get_last_error, get_log};
use crate::params::{Args, DefaultValue as D, ParamKind as K, ParamSpec as P};
use crate::server_state::{ReadRules, ServerState, StartSettings};

const CONNECTION_ID: P = P::required(names!("IDСоединения", "ConnectionID"), K::Text);
const WAIT: P = P::optional(names!("Таймаут", "Timeout"), K::Number, D::Number(1000));
const MAX_SIZE: P = P::optional(
    names!("МаксимальныйРазмер", "MaxSize"),
    K::Number,
    D::Number(8192),
);

/// Index of `ПолучитьПоследнююОшибку`, the one method that does not reset the last error.
pub const GET_LAST_ERROR: usize = 9;

/// Every method, in the platform's numbering.
pub static SERVER_METHODS: [MethodSpec<ServerState>; 11] = [
    MethodSpec {
        names: names!("Запустить", "Start"),
        params: &[
            P::required(names!("Порт", "Port"), K::Number),
            P::optional(names!("РазмерПула", "PoolSize"), K::Number, D::Number(100)),
            LOGGING,
            P::optional(
                names!("АдресПрослушивания", "ListenAddress"),
                K::Text,
                D::Text(""),
            ),
            TLS,
            P::optional(
                names!("РазрешенныеАдреса", "AllowedAddresses"),
                K::Text,
                D::Text(""),
            ),
            P::optional(
                names!("ВытеснятьСтарые", "EvictOldest"),
                K::Boolean,
                D::Boolean(false),
            ),
            P::optional(names!("Настройки", "Settings"), K::Text, D::Text("")),
        ],
        returns: Returns::Bool,
        run: |s, a| {
            let (logging, listen, tls, allowed) = (a.text(2)?, a.text(3)?, a.text(4)?, a.text(5)?);
            let server_settings = a.text(7)?;
            let settings = StartSettings {
                port: (a.integer(0)?, a.label(0)),
                pool: (a.size(1)?, a.label(1)),
                logging: (&logging, a.label(2)),
                listen: (&listen, a.label(3)),
                tls: &tls,
                allowed: (&allowed, a.label(5)),
                evict_oldest: a.boolean(6)?,
                settings: (&server_settings, a.label(7)),
            };
            s.start(&settings).map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("Остановить", "Stop"),
        params: &[],
        returns: Returns::Bool,
        run: |s, _| {
            s.stop();
            Ok(Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!(
            "ПолучитьДанныеОчередногоСоединения",
            "GetNextConnectionData"
        ),
        params: &[WAIT, MAX_SIZE, MARKER, IDLE_TIMEOUT],
        returns: Returns::Text,
        run: |s, a| {
            let marker = marker(a, 2)?;
            let rules = read_rules(a, 0, &marker)?;
            Ok(Value::Text(s.next_connection_data(&rules)?))
        },
    },
    MethodSpec {
        names: names!("ПолучитьДанныеСоединения", "GetConnectionData"),
        params: &[CONNECTION_ID, WAIT, MAX_SIZE, MARKER, IDLE_TIMEOUT],
        returns: Returns::Text,
        run: |s, a| {
            let marker = marker(a, 3)?;
            let rules = read_rules(a, 1, &marker)?;
            Ok(Value::Text(
                s.connection_data((&a.text(0)?, &a.label(0)), &rules)?,
            ))
        },
    },
    MethodSpec {
        names: names!("ОтправитьДанные", "SendData"),
        params: &[
            CONNECTION_ID,
            P::required(names!("Данные", "Data"), K::TextOrBinary),
            P::optional(names!("Таймаут", "Timeout"), K::Number, D::Number(5000)),
        ],
        returns: Returns::Bool,
        run: |s, a| {
            let id = a.text(0)?;
            let data = a.bytes(1, |text, param| TextEncoding::UTF8.encode(text, param))?;
            // 0 is "no limit" here as everywhere, not the server's default send timeout.
            let timeout = a.timeout(2)?.unwrap_or(Duration::ZERO);
            s.with_id((&id, &a.label(0)), |server, id| {
                server.send(id, &data, Some(timeout))
            })
            .map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ЗакрытьВходящееСоединение", "CloseIncomingConnection"),
        params: &[CONNECTION_ID],
        returns: Returns::Bool,
        run: |s, a| {
            s.with_id((&a.text(0)?, &a.label(0)), |server, id| server.close(id))
                .map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ЗавершитьОтправку", "CompleteSend"),
        params: &[CONNECTION_ID],
        returns: Returns::Bool,
        run: |s, a| {
            s.with_id((&a.text(0)?, &a.label(0)), |server, id| {
                server.finish_sending(id)
            })
            .map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ЗавершитьПолучение", "FinishReceiving"),
        params: &[CONNECTION_ID],
        returns: Returns::Bool,
        run: |s, a| {
            s.with_id((&a.text(0)?, &a.label(0)), |server, id| {
                server.finish_receiving(id)
            })
            .map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ПолучитьСписокСоединений", "GetConnectionList"),
        params: &[],
        returns: Returns::Text,
        run: |s, _| Ok(Value::Text(s.connections_json()?)),
    },
    MethodSpec {
        names: names!("ПолучитьПоследнююОшибку", "GetLastError"),
        params: &[],
        returns: Returns::Text,
        run: get_last_error,
    },
    MethodSpec {
        names: names!("ПолучитьЛог", "GetLog"),
        params: &[EVENT_COUNT],
        returns: Returns::Text,
        run: get_log,
    },
];

/// The marker parameter `i` as bytes (a string in UTF-8).
fn marker(a: &Args, i: usize) -> Result<Vec<u8>> {
    Ok(
        a.bytes(i, |text, param| TextEncoding::UTF8.encode(text, param))?
            .into_owned(),
    )
}

/// The reading rules of parameters `first..first + 4` (Таймаут, МаксимальныйРазмер, Маркер,
/// ТаймаутОжидания), with the marker already converted.
fn read_rules<'m>(a: &Args, first: usize, marker: &'m [u8]) -> Result<ReadRules<'m>> {
    Ok(ReadRules {
        timeout: a.timeout(first)?,
        max_size: a.size(first + 1)?,
        marker,
        idle_timeout: a.timeout(first + 3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_api() {
        let summary: Vec<(&str, &str, usize, usize)> = SERVER_METHODS
            .iter()
            .map(|m| (m.names.ru, m.names.en, m.required_params(), m.params.len()))
            .collect();
        assert_eq!(
            summary,
            [
                ("Запустить", "Start", 1, 8),
                ("Остановить", "Stop", 0, 0),
                (
                    "ПолучитьДанныеОчередногоСоединения",
                    "GetNextConnectionData",
                    0,
                    4
                ),
                ("ПолучитьДанныеСоединения", "GetConnectionData", 1, 5),
                ("ОтправитьДанные", "SendData", 2, 3),
                ("ЗакрытьВходящееСоединение", "CloseIncomingConnection", 1, 1),
                ("ЗавершитьОтправку", "CompleteSend", 1, 1),
                ("ЗавершитьПолучение", "FinishReceiving", 1, 1),
                ("ПолучитьСписокСоединений", "GetConnectionList", 0, 0),
                ("ПолучитьПоследнююОшибку", "GetLastError", 0, 0),
                ("ПолучитьЛог", "GetLog", 0, 1),
            ]
        );
        assert_eq!(SERVER_METHODS[GET_LAST_ERROR].names.en, "GetLastError");
    }
}
