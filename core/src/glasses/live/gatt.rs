//! Mentra Live's GATT profile and advertised names (`mentra-live-wire.md` §a): what a BLE
//! link looks for to know it found Mentra Live glasses, and how it talks to them.

/// The Mentra Live service.
pub const SERVICE: &str = "00004860-0000-1000-8000-00805f9b34fb";
/// Phone → glasses: every K900 frame is one write **with response** (long writes up to 509
/// bytes: v1 frames are at most 253, v2 frames at most 494).
pub const TX: &str = "000071ff-0000-1000-8000-00805f9b34fb";
/// Glasses → phone: notifications, one K900 frame each.
pub const RX: &str = "000070ff-0000-1000-8000-00805f9b34fb";
/// The BES2700's largest MTU.
pub const MAX_MTU: u16 = 509;

/// True when an advertised name is one of Mentra Live's: exactly `Xy_A`; a prefix `XyBLE_`,
/// `MENTRA_LIVE_BLE` or `MENTRA_LIVE_BT`; or, ignoring case, a prefix `mentra_live`.
pub fn is_mentra_live_name(name: &str) -> bool {
    name == "Xy_A"
        || name.starts_with("XyBLE_")
        || name.starts_with("MENTRA_LIVE_BLE")
        || name.starts_with("MENTRA_LIVE_BT")
        || name
            .get(..11)
            .is_some_and(|p| p.eq_ignore_ascii_case("mentra_live"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_every_generation_are_recognised_and_others_are_not() {
        for yes in [
            "Xy_A",
            "XyBLE_1234",
            "MENTRA_LIVE_BLE_E87D",
            "MENTRA_LIVE_BT",
            "Mentra_Live_E87D",
            "mentra_live",
        ] {
            assert!(is_mentra_live_name(yes), "{yes}");
        }
        for no in [
            "Xy_AB",
            "xyble_1",
            "Mentra Live",
            "MentraLive",
            "",
            "mentra_liv",
        ] {
            assert!(!is_mentra_live_name(no), "{no}");
        }
    }
}
