//! What the fake GitHub saw: every request, and every write with its body.

use serde::{Deserialize, Serialize};

/// One request as received (secrets left out: only the authorization scheme is kept).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, percent-encoded as sent.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// `If-None-Match` header.
    pub if_none_match: Option<String>,
    /// `Accept` header.
    pub accept: Option<String>,
    /// `Authorization` scheme (`Bearer`, `token`), never the token.
    pub auth_scheme: Option<String>,
    /// `User-Agent` header.
    pub user_agent: Option<String>,
    /// Status code the fake answered with.
    pub status: u16,
}

/// One mutating request (`POST`, `PUT`, `PATCH`, `DELETE`) that reached a GitHub endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedWrite {
    /// HTTP method.
    pub method: String,
    /// Path, percent-encoded as sent.
    pub path: String,
    /// JSON body (`null` when empty or not JSON).
    pub body: serde_json::Value,
    /// Status code the fake answered with.
    pub status: u16,
    /// Receive time, RFC 3339.
    pub at: String,
}
