//! The process-wide TLS crypto provider.
//!
//! prow-rs builds rustls with `ring` only. Crates that use reqwest with TLS enable its
//! `rustls-no-provider` feature, and cargo unifies features across a workspace build, so in
//! `cargo test --workspace` every `reqwest::Client` expects a process default provider and
//! panics without one. The test kit installs `ring` as that default whenever it starts
//! something (control plane, fake GitHub, webhook sender); tests that build a client before
//! any of those call [`install_ring_provider`] first.

/// Installs rustls's `ring` provider as the process default (a no-op when one is set).
pub fn install_ring_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
