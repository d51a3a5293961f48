//! GitHub App installation tokens: one per org, requested with the App JWT and refreshed
//! [`REFRESH_BEFORE_EXPIRY`] before they expire.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::Method;
use serde::Deserialize;

use super::app_jwt::AppKey;
use super::transport::{Call, Transport, decode};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// A token is replaced when it expires within this margin.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

struct InstallationToken {
    token: Secret,
    expires_at_unix: u64,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
}

#[derive(Deserialize)]
struct AccessToken {
    token: String,
    expires_at: String,
}

/// GitHub App credentials and the installation tokens obtained with them.
pub(crate) struct AppAuth {
    app_id: String,
    key: AppKey,
    tokens: tokio::sync::Mutex<HashMap<String, InstallationToken>>,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl AppAuth {
    pub(crate) fn new(app_id: String, private_key_path: &Path) -> Result<Self> {
        Ok(Self {
            app_id,
            key: AppKey::from_file(private_key_path)?,
            tokens: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// A fresh App JWT.
    pub(crate) fn jwt(&self) -> Result<Secret> {
        self.key.jwt(&self.app_id, now_unix()).map(Secret::new)
    }

    /// The installation token for `org`, requesting a new one when there is none or it is
    /// about to expire. Concurrent callers wait for one refresh instead of each requesting.
    pub(crate) async fn installation_token(
        &self,
        transport: &Transport,
        org: &str,
    ) -> Result<Secret> {
        let mut tokens = self.tokens.lock().await;
        if let Some(cached) = tokens.get(org)
            && cached.expires_at_unix > now_unix() + REFRESH_BEFORE_EXPIRY.as_secs()
        {
            return Ok(cached.token.clone());
        }
        let jwt = Secret::new(format!("Bearer {}", self.jwt()?.expose()));
        let lookup = Call::new(
            "get_installation",
            Method::GET,
            "/orgs/{org}/installation",
            format!("/orgs/{}/installation", super::calls::segment(org)),
            None,
        );
        let installation: Installation = match transport.execute_as(&lookup, &jwt, "app-jwt").await
        {
            Ok(reply) => decode(&lookup, &reply.body)?,
            Err(error) if error.is_not_found() => {
                // The App may be installed on a user account rather than an org.
                let lookup = Call::new(
                    "get_installation",
                    Method::GET,
                    "/users/{user}/installation",
                    format!("/users/{}/installation", super::calls::segment(org)),
                    None,
                );
                let reply = transport.execute_as(&lookup, &jwt, "app-jwt").await?;
                decode(&lookup, &reply.body)?
            }
            Err(error) => return Err(error),
        };
        let create = Call::new(
            "create_installation_token",
            Method::POST,
            "/app/installations/{installation_id}/access_tokens",
            format!("/app/installations/{}/access_tokens", installation.id),
            None,
        );
        let reply = transport.execute_as(&create, &jwt, "app-jwt").await?;
        let access: AccessToken = decode(&create, &reply.body)?;
        let expires_at_unix = access
            .expires_at
            .parse::<jiff::Timestamp>()
            .map_err(|e| Error::Transport {
                operation: create.operation,
                route: create.route,
                message: format!("unreadable expires_at {:?}: {e}", access.expires_at),
            })?
            .as_second();
        let token = Secret::new(access.token);
        tracing::debug!(org, expires_at = %access.expires_at, "obtained GitHub App installation token");
        tokens.insert(
            org.to_string(),
            InstallationToken {
                token: token.clone(),
                expires_at_unix: u64::try_from(expires_at_unix).unwrap_or(0),
            },
        );
        Ok(token)
    }
}
