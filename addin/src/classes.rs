//! The add-in's classes: `TcpClient` and `TcpServer`, each its state bound to its tables.

use addin1c::{name, CStr1C};

use crate::component::Component;
use crate::methods::{MethodSpec, GET_LAST_ERROR, METHODS};
use crate::object::{Common, ObjectClass};
use crate::props::{PropSpec, PROPS};
use crate::server_methods::{self, SERVER_METHODS};
use crate::server_props::SERVER_PROPS;
use crate::server_state::ServerState;
use crate::state::ClientState;

/// A `TcpClient` object: one outgoing connection.
pub type TcpClient = Component<ClientState>;

/// A `TcpServer` object: one server receiving connections.
pub type TcpServer = Component<ServerState>;

impl ObjectClass for ClientState {
    const CLASS_NAME: &'static str = "TcpClient";
    const GET_LAST_ERROR: usize = GET_LAST_ERROR;

    fn class_name16() -> &'static CStr1C {
        name!("TcpClient")
    }

    fn methods() -> &'static [MethodSpec<Self>] {
        &METHODS
    }

    fn props() -> &'static [PropSpec<Self>] {
        &PROPS
    }

    fn common(&self) -> &Common {
        &self.common
    }

    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn close(&mut self) {
        ClientState::close(self);
    }
}

impl ObjectClass for ServerState {
    const CLASS_NAME: &'static str = "TcpServer";
    const GET_LAST_ERROR: usize = server_methods::GET_LAST_ERROR;

    fn class_name16() -> &'static CStr1C {
        name!("TcpServer")
    }

    fn methods() -> &'static [MethodSpec<Self>] {
        &SERVER_METHODS
    }

    fn props() -> &'static [PropSpec<Self>] {
        &SERVER_PROPS
    }

    fn common(&self) -> &Common {
        &self.common
    }

    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn close(&mut self) {
        self.stop();
    }
}
