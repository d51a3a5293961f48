//! GitHub App authentication: the RS256-signed JWT an App uses to ask for installation tokens,
//! signed with `ring` (no OpenSSL, no aws-lc).

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};

use crate::error::{Error, Result};

/// How long an App JWT is valid (GitHub allows at most 10 minutes).
pub const JWT_LIFETIME: Duration = Duration::from_secs(9 * 60);
/// How far `iat` is back-dated to tolerate clock drift, as GitHub recommends.
pub const JWT_BACKDATE: Duration = Duration::from_secs(60);

/// A GitHub App's RSA private key.
pub struct AppKey {
    key: RsaKeyPair,
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(***)")
    }
}

impl AppKey {
    /// Reads a PEM private key file as GitHub issues it (`BEGIN RSA PRIVATE KEY`, PKCS#1) or
    /// in PKCS#8 form (`BEGIN PRIVATE KEY`).
    pub fn from_file(path: &Path) -> Result<Self> {
        let pem = std::fs::read_to_string(path).map_err(|source| Error::AppKey {
            path: path.to_path_buf(),
            reason: source.to_string(),
        })?;
        Self::from_pem(&pem).map_err(|reason| Error::AppKey {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses a PEM private key; the error says what is wrong.
    pub fn from_pem(pem: &str) -> std::result::Result<Self, String> {
        let (label, der) = decode_pem(pem)?;
        let key = match label.as_str() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            other => {
                return Err(format!(
                    "unsupported PEM block {other:?}, want an RSA private key"
                ));
            }
        }
        .map_err(|e| format!("not a usable RSA private key: {e}"))?;
        Ok(Self { key })
    }

    /// The DER-encoded public key (PKCS#1 `RSAPublicKey`), for verifying our signatures.
    pub fn public_key_der(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    /// A JWT for App `app_id` issued at `now_unix` (seconds since the Unix epoch):
    /// `iat` back-dated by [`JWT_BACKDATE`], `exp` [`JWT_LIFETIME`] later, `iss` the app id.
    pub fn jwt(&self, app_id: &str, now_unix: u64) -> Result<String> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let iat = now_unix.saturating_sub(JWT_BACKDATE.as_secs());
        let claims = serde_json::json!({
            "iat": iat,
            "exp": now_unix + JWT_LIFETIME.as_secs(),
            "iss": app_id,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::SignJwt)?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// The label and decoded bytes of the first PEM block.
fn decode_pem(pem: &str) -> std::result::Result<(String, Vec<u8>), String> {
    let mut lines = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN "));
    let begin = lines.next().ok_or("no PEM block found")?;
    let label = begin
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or("malformed PEM header")?
        .to_string();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines.by_ref() {
        if line == end {
            return STANDARD
                .decode(body)
                .map(|der| (label, der))
                .map_err(|e| format!("PEM body is not base64: {e}"));
        }
        body.push_str(line);
    }
    Err(format!("missing {end}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    const TEST_KEY: &str = include_str!("../../testdata/app-key.pem");

    #[test]
    fn jwt_is_signed_and_carries_github_claims() {
        let key = AppKey::from_pem(TEST_KEY).expect("test key parses");
        let jwt = key.jwt("12345", 1_700_000_000).expect("signs");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(header["alg"], "RS256");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["iss"], "12345");
        assert_eq!(claims["iat"], 1_700_000_000 - 60);
        assert_eq!(claims["exp"], 1_700_000_000 + 540);

        let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key_der());
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(signed.as_bytes(), &signature)
            .expect("signature verifies with the public key");
        assert!(
            public.verify(b"tampered.claims", &signature).is_err(),
            "signature must not verify other content"
        );
    }

    #[test]
    fn rejects_bad_keys_with_a_reason() {
        let cases = [
            ("", "no PEM block"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "unsupported PEM block",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\n!!!\n-----END RSA PRIVATE KEY-----\n",
                "not base64",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                "not a usable RSA",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n",
                "missing -----END",
            ),
        ];
        for (pem, want) in cases {
            let err = AppKey::from_pem(pem).expect_err(pem);
            assert!(err.contains(want), "{pem:?}: {err}");
        }
    }

    #[test]
    fn key_file_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key.pem");
        std::fs::write(&path, "not a key").expect("write");
        let err = AppKey::from_file(&path).expect_err("bad key");
        assert!(err.to_string().contains("key.pem"), "{err}");
    }
}
