//! prow-api
