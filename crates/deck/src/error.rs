//! The error type of deck, and how each error answers an HTTP request.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What can go wrong in deck.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query parameter has a value deck does not understand.
    #[error(transparent)]
    InvalidQuery(#[from] crate::job_query::InvalidQuery),
    /// A required query parameter is missing.
    #[error("missing query parameter {0}")]
    MissingParameter(&'static str),
    /// No visible ProwJob (or page, or file) of that name.
    #[error("not found: {0}")]
    NotFound(String),
    /// The configuration could not be loaded at start.
    #[error("load configuration: {0}")]
    LoadConfig(#[from] prow_config::StartError),
    /// The listen address could not be bound.
    #[error("bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Serving HTTP failed.
    #[error("serve HTTP: {0}")]
    Serve(#[source] std::io::Error),
    /// The admin server failed.
    #[error(transparent)]
    Admin(#[from] prow_kube::Error),
    /// Asking hook for its plugin help failed.
    #[error("get plugin help from hook: {0}")]
    PluginHelp(String),
    /// Reading the Pod of a run failed.
    #[error("get Pod {name}: {source}")]
    GetPod {
        /// The Pod name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Reading from object storage failed.
    #[error("read {path} from storage: {message}")]
    Storage {
        /// The object path.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The variant name, for metric labels.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Error::InvalidQuery(_) => "InvalidQuery",
            Error::MissingParameter(_) => "MissingParameter",
            Error::NotFound(_) => "NotFound",
            Error::LoadConfig(_) => "LoadConfig",
            Error::Bind { .. } => "Bind",
            Error::Serve(_) => "Serve",
            Error::Admin(_) => "Admin",
            Error::PluginHelp(_) => "PluginHelp",
            Error::GetPod { .. } => "GetPod",
            Error::Storage { .. } => "Storage",
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::InvalidQuery(_) | Error::MissingParameter(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::PluginHelp(_) | Error::GetPod { .. } | Error::Storage { .. } => {
                StatusCode::BAD_GATEWAY
            }
            Error::LoadConfig(_) | Error::Bind { .. } | Error::Serve(_) | Error::Admin(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (status, format!("{self}\n")).into_response()
    }
}
