//! Glasses side.
