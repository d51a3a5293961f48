//! The webhook side, used by hook: event types, `X-Hub-Signature-256` verification and Prow's
//! HMAC secret file.

pub mod events;
pub mod hmac_secrets;
pub mod signature;

pub use events::Event;
pub use hmac_secrets::HmacSecrets;
pub use signature::{sign_256, verify_signature};
