//! A test-only way to make the add-in panic at each kind of entry point, compiled in only with
//! the cargo feature `panic-trigger` (CI's test builds; never the release packages, which
//! `ci/package` checks). It lets the test host prove that no panic crosses the interface: the
//! platform gets an error, not an aborted process.
//!
//! `ОткрытьСоединение("tcplink-panic:<point>")` panics at once for the point `method`, and
//! otherwise arms the object so that its next call at that point panics: `get` (GetPropVal),
//! `set` (SetPropVal). `GetClassObject` panics for the class name `tcplink-panic`.

use std::cell::Cell;

/// The address prefix that triggers a panic.
const PREFIX: &str = "tcplink-panic:";
/// The class name for which `GetClassObject` panics.
pub const CLASS_NAME: &str = "tcplink-panic";

/// Where an armed object panics next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// Reading a property.
    GetProp,
    /// Writing a property.
    SetProp,
}

/// An object's armed panic, if any.
#[derive(Debug, Default)]
pub struct Trigger(Cell<Option<Point>>);

impl Trigger {
    /// Looks at a Connect address: panics for `tcplink-panic:method`, arms the trigger for
    /// `tcplink-panic:get` and `tcplink-panic:set`, and does nothing for any other address.
    ///
    /// # Panics
    /// For `tcplink-panic:method`, on purpose.
    pub fn on_connect(&self, address: &str) {
        match address.strip_prefix(PREFIX) {
            Some("method") => panic!("panic-trigger: a method panicked"),
            Some("get") => self.0.set(Some(Point::GetProp)),
            Some("set") => self.0.set(Some(Point::SetProp)),
            _ => {}
        }
    }

    /// Panics when armed for `point`, disarming first.
    ///
    /// # Panics
    /// When armed for `point`, on purpose.
    pub fn at(&self, point: Point) {
        if self.0.get() == Some(point) {
            self.0.set(None);
            panic!("panic-trigger: {point:?} panicked");
        }
    }
}
