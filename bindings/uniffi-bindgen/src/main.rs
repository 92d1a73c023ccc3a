//! `uniffi-bindgen`: generates Kotlin, Swift and Python from the unstripped host library
//! (`bindings/generate.sh`), at exactly the UniFFI version the bindings crate uses.

fn main() {
    uniffi::uniffi_bindgen_main()
}
