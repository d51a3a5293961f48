//! The JSON admin API under `/_fake/` (not a GitHub path): load state, read the journal,
//! script faults and the rate-limit budget, reset.

use axum::http::Method;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::clock;
use super::faults::Fault;
use super::model::GitHubState;
use super::rate_limit::RateBudget;
use super::server::{Shared, json_response, lock};

/// Body of `POST /_fake/faults`: one fault or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FaultsDocument {
    One(Fault),
    Many(Vec<Fault>),
}

/// Body of `POST /_fake/rate_limit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitDocument {
    limit: u64,
    remaining: Option<u64>,
    reset: Option<u64>,
}

/// Body of `POST /_fake/reset`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ResetDocument {
    /// Also empty the GitHub data.
    state: bool,
}

/// Serves one admin request; `path` is what follows `/_fake/`.
pub fn handle(shared: &Shared, method: &Method, path: &str, body: &[u8]) -> Response {
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "state") => json_response(200, &json!(*lock(&shared.state))),
        ("POST", "state") => match GitHubState::from_json(body) {
            Ok(state) => {
                let summary = json!({"users": state.users.len(), "orgs": state.orgs.len(),
                                     "repos": state.repos.len()});
                *lock(&shared.state) = state;
                json_response(200, &summary)
            }
            Err(e) => bad_request(&format!("invalid state document: {e}")),
        },
        ("GET", "writes") => json_response(200, &json!(lock(&shared.journal).writes)),
        ("GET", "requests") => json_response(200, &json!(lock(&shared.journal).requests)),
        ("GET", "faults") => json_response(200, &json!(lock(&shared.control).faults)),
        ("POST", "faults") => match serde_json::from_slice::<FaultsDocument>(body) {
            Ok(doc) => {
                let added = match doc {
                    FaultsDocument::One(fault) => vec![fault],
                    FaultsDocument::Many(faults) => faults,
                };
                let mut control = lock(&shared.control);
                control.faults.extend(added);
                json_response(200, &json!({"pending": control.faults.len()}))
            }
            Err(e) => bad_request(&format!("invalid fault: {e}")),
        },
        ("DELETE", "faults") => {
            lock(&shared.control).faults.clear();
            json_response(200, &json!({"pending": 0}))
        }
        ("GET", "rate_limit") => json_response(200, &lock(&shared.control).budget.to_json()),
        ("POST", "rate_limit") => match serde_json::from_slice::<RateLimitDocument>(body) {
            Ok(doc) => {
                let mut budget = RateBudget::new(doc.limit, clock::now_unix());
                budget.remaining = doc.remaining.unwrap_or(doc.limit).min(doc.limit);
                if let Some(reset) = doc.reset {
                    budget.reset = reset;
                }
                lock(&shared.control).budget = budget;
                json_response(200, &budget.to_json())
            }
            Err(e) => bad_request(&format!("invalid rate limit: {e}")),
        },
        ("POST", "reset") => {
            let doc = if body.is_empty() {
                Ok(ResetDocument::default())
            } else {
                serde_json::from_slice::<ResetDocument>(body)
            };
            match doc {
                Ok(doc) => {
                    reset(shared, doc.state);
                    json_response(200, &json!({"reset": true, "state": doc.state}))
                }
                Err(e) => bad_request(&format!("invalid reset document: {e}")),
            }
        }
        _ => json_response(404, &json!({"message": "Not Found", "admin_path": path})),
    }
}

/// Clears the journal and faults and refills the rate-limit budget; with `clear_state`
/// also empties the GitHub data.
pub fn reset(shared: &Shared, clear_state: bool) {
    {
        let mut control = lock(&shared.control);
        control.faults.clear();
        control.budget = RateBudget::new(control.budget.limit, clock::now_unix());
    }
    *lock(&shared.journal) = super::server::Journal::default();
    if clear_state {
        let mut state = GitHubState::default();
        state.normalize(&clock::now_rfc3339());
        *lock(&shared.state) = state;
    }
}

fn bad_request(message: &str) -> Response {
    json_response(400, &json!({"message": message}))
}
