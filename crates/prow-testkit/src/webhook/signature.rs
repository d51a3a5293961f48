//! GitHub's webhook signatures: `X-Hub-Signature-256` (HMAC-SHA256) and the legacy
//! `X-Hub-Signature` (HMAC-SHA1), both over the raw request body.

use hmac::{Hmac, Mac};

/// `sha256=<hex HMAC-SHA256 of body keyed with secret>`, the `X-Hub-Signature-256` value.
pub fn signature_256(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret)
        .map(|mut mac| {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default();
    format!("sha256={mac}")
}

/// `sha1=<hex HMAC-SHA1 of body keyed with secret>`, the legacy `X-Hub-Signature` value.
pub fn signature_1(secret: &[u8], body: &[u8]) -> String {
    let mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret)
        .map(|mut mac| {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default();
    format!("sha1={mac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_documented_test_vector() {
        // docs.github.com, "Validating webhook deliveries", "Testing the webhook payload
        // validation".
        assert_eq!(
            signature_256(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn rfc2202_hmac_sha1_vector() {
        // RFC 2202 test case 2.
        assert_eq!(
            signature_1(b"Jefe", b"what do ya want for nothing?"),
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn signature_depends_on_secret_and_body() {
        let base = signature_256(b"a", b"body");
        assert_ne!(base, signature_256(b"b", b"body"));
        assert_ne!(base, signature_256(b"a", b"body "));
    }
}
