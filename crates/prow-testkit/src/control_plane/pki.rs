//! The certificates of a local control plane: one CA that signs the API server's serving
//! certificate, the admin client certificate, the API server's client certificate for the
//! node agent (kubelet) and the node agent's serving certificate; plus the service-account
//! signing key pair.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use super::error::Result;

/// A PEM certificate and its PEM (PKCS#8) private key.
#[derive(Clone, Debug)]
pub struct CertAndKey {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
}

/// A certificate authority that can sign more leaf certificates.
pub struct CertificateAuthority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .finish_non_exhaustive()
    }
}

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// A TLS server on loopback (SANs 127.0.0.1, ::1, localhost).
    LoopbackServer,
    /// A TLS client.
    Client,
}

impl CertificateAuthority {
    /// Generates a new self-signed CA.
    pub fn generate(common_name: &str) -> Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = name(common_name, None);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Signs a new leaf certificate with a fresh key. `organization` becomes the subject's O
    /// (Kubernetes reads it as the user's groups).
    pub fn sign(
        &self,
        common_name: &str,
        organization: Option<&str>,
        usage: Usage,
    ) -> Result<CertAndKey> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = name(common_name, organization);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        match usage {
            Usage::LoopbackServer => {
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
                params.subject_alt_names = vec![
                    SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                    SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
                    SanType::DnsName("localhost".try_into()?),
                ];
            }
            Usage::Client => {
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
        }
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertAndKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// A service-account token signing key pair, PEM.
#[derive(Clone, Debug)]
pub struct ServiceAccountKeys {
    /// The private key (PKCS#8 PEM).
    pub private_key_pem: String,
    /// The public key (SPKI PEM).
    pub public_key_pem: String,
}

impl ServiceAccountKeys {
    /// Generates a new ECDSA P-256 key pair.
    pub fn generate() -> Result<Self> {
        let key = KeyPair::generate()?;
        Ok(Self {
            private_key_pem: key.serialize_pem(),
            public_key_pem: key.public_key_pem(),
        })
    }
}

fn name(common_name: &str, organization: Option<&str>) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    if let Some(organization) = organization {
        name.push(DnType::OrganizationName, organization);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_certificates_are_pem_and_distinct_from_the_ca() {
        let ca = CertificateAuthority::generate("test-ca").expect("CA");
        let cases = [
            ("server", None, Usage::LoopbackServer),
            ("admin", Some("system:masters"), Usage::Client),
        ];
        for (cn, org, usage) in cases {
            let leaf = ca.sign(cn, org, usage).expect("leaf");
            assert!(
                leaf.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"),
                "{cn}"
            );
            assert!(leaf.key_pem.contains("PRIVATE KEY"), "{cn}");
            assert_ne!(leaf.cert_pem, ca.cert_pem(), "{cn}");
        }
    }
}
