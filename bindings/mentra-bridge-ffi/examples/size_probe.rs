//! The FFI library again as a cdylib of its own, for `cargo bloat` (which cannot read a
//! package that is a cdylib, a staticlib and an rlib at once): linking the rlib into a cdylib
//! keeps every exported UniFFI function and what it reaches, so the figures are the shipped
//! library's. Used by `bindings/size-report.sh`.

pub use mentra_bridge_ffi::*;
