//! One module per subcommand.

pub mod connect;
pub mod demo;
pub mod pin;
pub mod request;
pub mod serve;
