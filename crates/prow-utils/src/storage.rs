//! Opening the configured bucket as an [`ObjectStore`]: `gs://` (GCS, or a GCS emulator
//! named by `STORAGE_EMULATOR_HOST`), `s3://` (S3 or S3-compatible, configured by Prow's S3
//! credentials file), `file:///abs/dir` (a local directory), or `local_output_dir` (Prow's
//! local mode: a directory without the job path prefix).

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use prow_api::StorageBucket;
use serde::Deserialize;

use crate::Error;
use crate::options::GcsUploadOptions;

/// The environment variable naming a GCS emulator (`host:port` or a URL), as Google's
/// client libraries read it.
pub const STORAGE_EMULATOR_HOST: &str = "STORAGE_EMULATOR_HOST";

/// Where objects are written.
#[derive(Clone, Debug)]
pub enum Backend {
    /// An object_store store (GCS and S3 through their XML/REST APIs, local directories).
    Store(Arc<dyn ObjectStore>),
    /// A GCS emulator, written through the JSON API's media uploads: emulators such as
    /// fake-gcs-server do not implement the XML API object_store's GCS client speaks.
    GcsEmulator(GcsEmulator),
}

/// A GCS emulator's JSON API.
#[derive(Clone, Debug)]
pub struct GcsEmulator {
    /// Base URL, e.g. `http://127.0.0.1:4443`.
    pub base_url: String,
    /// Bucket name.
    pub bucket: String,
    /// HTTP client.
    pub client: reqwest::Client,
}

impl GcsEmulator {
    /// The media-upload URL for `name` (`/upload/storage/v1/b/<bucket>/o?uploadType=media`).
    pub fn upload_url(&self, name: &str) -> String {
        format!(
            "{}/upload/storage/v1/b/{}/o?uploadType=media&name={}",
            self.base_url,
            percent_encode(&self.bucket),
            percent_encode(name)
        )
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An opened bucket.
#[derive(Clone, Debug)]
pub struct Bucket {
    /// Where objects go.
    pub backend: Backend,
    /// Path inside the store that every object path starts with (from `gs://name/dir`).
    pub root: String,
    /// Whether the store accepts object attributes such as the content type.
    pub supports_attributes: bool,
}

/// Prow's S3 credentials file (`pkg/io/providers.S3Credentials`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct S3Credentials {
    /// Region of the bucket.
    #[serde(default)]
    pub region: String,
    /// Endpoint of an S3-compatible server (`host:port` or a URL).
    #[serde(default)]
    pub endpoint: String,
    /// Use plain HTTP.
    #[serde(default)]
    pub insecure: bool,
    /// Address buckets by path instead of by virtual host.
    #[serde(default)]
    pub s3_force_path_style: bool,
    /// Access key ID.
    #[serde(default)]
    pub access_key: String,
    /// Secret access key.
    #[serde(default)]
    pub secret_key: String,
}

fn open_error(bucket: &str, reason: impl std::fmt::Display) -> Error {
    Error::OpenBucket {
        bucket: bucket.to_owned(),
        reason: reason.to_string(),
    }
}

fn local_dir(bucket: &str, dir: &str) -> Result<Bucket, Error> {
    std::fs::create_dir_all(dir).map_err(|e| open_error(bucket, e))?;
    let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| open_error(bucket, e))?;
    Ok(Bucket {
        backend: Backend::Store(Arc::new(store)),
        root: String::new(),
        supports_attributes: false,
    })
}

/// Opens the bucket the options upload to.
pub fn open_bucket(options: &GcsUploadOptions) -> Result<Bucket, Error> {
    let config = &options.gcs_configuration;
    if !config.local_output_dir.is_empty() {
        return local_dir(&config.local_output_dir, &config.local_output_dir);
    }
    let bucket = &config.bucket;
    if let Some(dir) = bucket.strip_prefix("file://") {
        if !dir.starts_with('/') {
            return Err(open_error(bucket, "file:// buckets need an absolute path"));
        }
        return local_dir(bucket, dir);
    }
    let parsed = StorageBucket::parse(bucket);
    if parsed.provider == "gs"
        && let Ok(host) = std::env::var(STORAGE_EMULATOR_HOST)
        && !host.is_empty()
    {
        return Ok(Bucket {
            backend: Backend::GcsEmulator(GcsEmulator {
                base_url: emulator_url(&host),
                bucket: parsed.name.clone(),
                client: reqwest::Client::new(),
            }),
            root: parsed.path,
            supports_attributes: true,
        });
    }
    let store: Arc<dyn ObjectStore> = match parsed.provider.as_str() {
        "gs" => Arc::new(open_gcs(
            &parsed.name,
            &options.storage_client.gcs_credentials_file,
        )?),
        "s3" => Arc::new(open_s3(
            &parsed.name,
            &options.storage_client.s3_credentials_file,
        )?),
        other => {
            return Err(open_error(
                bucket,
                format!("unsupported storage provider {other:?}"),
            ));
        }
    };
    Ok(Bucket {
        backend: Backend::Store(store),
        root: parsed.path,
        supports_attributes: true,
    })
}

fn emulator_url(host: &str) -> String {
    let host = host.trim_end_matches('/');
    if host.contains("://") {
        host.to_owned()
    } else {
        format!("http://{host}")
    }
}

fn open_gcs(
    name: &str,
    credentials_file: &str,
) -> Result<object_store::gcp::GoogleCloudStorage, Error> {
    let mut builder = GoogleCloudStorageBuilder::new().with_bucket_name(name);
    if !credentials_file.is_empty() {
        builder = builder.with_service_account_path(credentials_file);
    }
    builder
        .build()
        .map_err(|e| open_error(&format!("gs://{name}"), e))
}

fn open_s3(name: &str, credentials_file: &str) -> Result<object_store::aws::AmazonS3, Error> {
    let bucket = format!("s3://{name}");
    let builder = if credentials_file.is_empty() {
        AmazonS3Builder::from_env().with_bucket_name(name)
    } else {
        let text = std::fs::read_to_string(credentials_file).map_err(|e| open_error(&bucket, e))?;
        let credentials: S3Credentials =
            serde_json::from_str(&text).map_err(|e| open_error(&bucket, e))?;
        s3_builder(name, &credentials)
    };
    builder.build().map_err(|e| open_error(&bucket, e))
}

/// The S3 client settings Prow derives from its credentials file.
pub fn s3_builder(name: &str, credentials: &S3Credentials) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(name)
        .with_access_key_id(&credentials.access_key)
        .with_secret_access_key(&credentials.secret_key)
        .with_allow_http(credentials.insecure)
        .with_virtual_hosted_style_request(!credentials.s3_force_path_style);
    builder = builder.with_region(if credentials.region.is_empty() {
        "us-east-1"
    } else {
        &credentials.region
    });
    if !credentials.endpoint.is_empty() {
        let endpoint = if credentials.endpoint.contains("://") {
            credentials.endpoint.clone()
        } else if credentials.insecure {
            format!("http://{}", credentials.endpoint)
        } else {
            format!("https://{}", credentials.endpoint)
        };
        builder = builder.with_endpoint(endpoint);
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_urls() {
        assert_eq!(emulator_url("127.0.0.1:4443"), "http://127.0.0.1:4443");
        assert_eq!(
            emulator_url("http://127.0.0.1:4443/"),
            "http://127.0.0.1:4443"
        );
    }

    #[test]
    fn file_bucket_needs_absolute_path() {
        let mut options = GcsUploadOptions::default();
        options.gcs_configuration.bucket = "file://relative/dir".into();
        assert!(open_bucket(&options).is_err());
        let dir = tempfile::tempdir().expect("tempdir");
        options.gcs_configuration.bucket = format!("file://{}", dir.path().display());
        let bucket = open_bucket(&options).expect("opens");
        assert!(!bucket.supports_attributes);
    }
}
