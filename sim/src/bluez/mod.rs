//! A fake BlueZ (`org.bluez`) on a private D-Bus bus, so the real btleplug backend can be tested
//! with no radio: one adapter, one simulated glasses peripheral whose GATT service is backed by
//! the glasses firmware simulator. A control surface forces a disconnect, ATT write errors, and
//! slow service resolution. [`PrivateBus`] starts the `dbus-daemon` the tests point
//! `DBUS_SYSTEM_BUS_ADDRESS` at.

mod bus;
mod objects;

pub use bus::PrivateBus;
pub use objects::{FakeBluez, FakeBluezConfig};
