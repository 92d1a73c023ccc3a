//! The GATT profile of the glasses (proto/README.md §1): our own service and characteristic
//! UUIDs, as strings so this crate needs no UUID type.

/// Mentra Bridge service.
pub const SERVICE_UUID: &str = "ae3b0001-4e5b-4ef1-b73e-8c2970b15e4e";
/// `cmd`: the phone writes packets here (write, write-without-response).
pub const CMD_CHARACTERISTIC_UUID: &str = "ae3b0002-4e5b-4ef1-b73e-8c2970b15e4e";
/// `evt`: the glasses notify packets here.
pub const EVT_CHARACTERISTIC_UUID: &str = "ae3b0003-4e5b-4ef1-b73e-8c2970b15e4e";
/// Advertised name prefix accepted when the service UUID is not advertised.
pub const NAME_PREFIX: &str = "MENTRA_LIVE";
