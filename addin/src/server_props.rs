//! The property table of `TcpServer`.

use crate::methods::Value;
use crate::names;
use crate::props::{throw_errors, version, PropSpec};
use crate::server_state::ServerState;

/// Every property, in the platform's numbering.
pub static SERVER_PROPS: [PropSpec<ServerState>; 4] = [
    PropSpec {
        names: names!("Запущен", "Running"),
        get: |s| Value::Bool(s.is_running()),
        set: None,
    },
    PropSpec {
        names: names!("Порт", "Port"),
        get: |s| Value::Number(i32::from(s.port())),
        set: None,
    },
    version(),
    throw_errors(),
];
