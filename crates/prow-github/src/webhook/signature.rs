//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the raw body, compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// True when `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under any of `secrets`.
/// A malformed header, or no secrets, is never valid. Comparison is constant-time
/// (`Mac::verify_slice`).
pub fn verify_signature(secrets: &[Secret], body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    // Check every secret (no early exit) so timing does not reveal which one matched.
    secrets.iter().fold(false, |matched, secret| {
        let Ok(mut mac) = HmacSha256::new_from_slice(secret.expose().as_bytes()) else {
            return matched;
        };
        mac.update(body);
        mac.verify_slice(&expected).is_ok() | matched
    })
}

/// The `X-Hub-Signature-256` header value GitHub would send for `body` under `secret`.
pub fn sign_256(secret: &Secret, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From GitHub's "Validating webhook deliveries" documentation.
    const GITHUB_SECRET: &str = "It's a Secret to Everybody";
    const GITHUB_PAYLOAD: &[u8] = b"Hello, World!";
    const GITHUB_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn github_documented_vector() {
        let secret = Secret::new(GITHUB_SECRET);
        assert_eq!(sign_256(&secret, GITHUB_PAYLOAD), GITHUB_SIGNATURE);
        assert!(verify_signature(
            &[secret],
            GITHUB_PAYLOAD,
            GITHUB_SIGNATURE
        ));
    }

    /// name, secrets, body, header, valid
    type Case<'a> = (&'a str, Vec<Secret>, &'a [u8], &'a str, bool);

    #[test]
    fn verification_table() {
        let right = Secret::new(GITHUB_SECRET);
        let wrong = Secret::new("not it");
        let upper = GITHUB_SIGNATURE
            .to_uppercase()
            .replace("SHA256=", "sha256=");
        let cases: Vec<Case<'_>> = vec![
            (
                "right secret",
                vec![right.clone()],
                GITHUB_PAYLOAD,
                GITHUB_SIGNATURE,
                true,
            ),
            (
                "rotation: second token matches",
                vec![wrong.clone(), right.clone()],
                GITHUB_PAYLOAD,
                GITHUB_SIGNATURE,
                true,
            ),
            (
                "wrong secret",
                vec![wrong.clone()],
                GITHUB_PAYLOAD,
                GITHUB_SIGNATURE,
                false,
            ),
            (
                "no secrets",
                vec![],
                GITHUB_PAYLOAD,
                GITHUB_SIGNATURE,
                false,
            ),
            (
                "body changed",
                vec![right.clone()],
                b"Hello, World?",
                GITHUB_SIGNATURE,
                false,
            ),
            (
                "sha1 prefix",
                vec![right.clone()],
                GITHUB_PAYLOAD,
                "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                false,
            ),
            (
                "no prefix",
                vec![right.clone()],
                GITHUB_PAYLOAD,
                "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                false,
            ),
            (
                "not hex",
                vec![right.clone()],
                GITHUB_PAYLOAD,
                "sha256=zz",
                false,
            ),
            (
                "truncated",
                vec![right.clone()],
                GITHUB_PAYLOAD,
                "sha256=757107ea0eb2509fc211221cce984b8a",
                false,
            ),
            ("empty", vec![right.clone()], GITHUB_PAYLOAD, "", false),
            (
                "upper-case hex",
                vec![right.clone()],
                GITHUB_PAYLOAD,
                &upper,
                true,
            ),
        ];
        for (name, secrets, body, header, want) in cases {
            assert_eq!(verify_signature(&secrets, body, header), want, "{name}");
        }
    }
}
