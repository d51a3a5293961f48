//! GitHub App authentication against a small App-endpoint server on 127.0.0.1 that verifies
//! the JWT signature with the App's public key (the fake GitHub has no App endpoints).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use prow_github::client::app_jwt::AppKey;
use prow_github::{ClientConfig, Credentials, GitHub, GitHubClient};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::{Value, json};

const APP_ID: &str = "4242";

fn key_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/app-key.pem")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

#[derive(Clone)]
struct AppServer {
    public_key: Arc<Vec<u8>>,
    /// Lifetime of the installation tokens handed out.
    token_lifetime: u64,
    /// Orgs with an installation; others are looked up as user accounts.
    orgs: Vec<&'static str>,
    log: Arc<Mutex<Vec<String>>>,
    issued: Arc<Mutex<u32>>,
}

impl AppServer {
    /// Checks `Authorization: Bearer <jwt>`: signature, issuer, expiry.
    fn verify_jwt(&self, headers: &HeaderMap) -> Result<(), (StatusCode, Json<Value>)> {
        let reject = |why: &str| {
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": format!("A JSON web token could not be decoded: {why}")})),
            )
        };
        let jwt = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| reject("no bearer"))?;
        let (signed, signature) = jwt.rsplit_once('.').ok_or_else(|| reject("shape"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| reject("signature encoding"))?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, self.public_key.as_slice())
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| reject("bad signature"))?;
        let claims = signed.split('.').nth(1).ok_or_else(|| reject("shape"))?;
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(claims)
                .map_err(|_| reject("claims encoding"))?,
        )
        .map_err(|_| reject("claims json"))?;
        if claims["iss"] != APP_ID {
            return Err(reject("issuer"));
        }
        let exp = claims["exp"].as_u64().ok_or_else(|| reject("exp"))?;
        let iat = claims["iat"].as_u64().ok_or_else(|| reject("iat"))?;
        if exp <= now() || exp - iat > 600 || iat > now() {
            return Err(reject("times"));
        }
        Ok(())
    }

    fn record(&self, entry: String) {
        self.log.lock().expect("log").push(entry);
    }
}

async fn org_installation(
    State(server): State<AppServer>,
    UrlPath(org): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    server.verify_jwt(&headers)?;
    server.record(format!("installation org {org}"));
    if server.orgs.contains(&org.as_str()) {
        Ok(Json(json!({"id": 77, "account": {"login": org}})))
    } else {
        Err((StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))))
    }
}

async fn user_installation(
    State(server): State<AppServer>,
    UrlPath(user): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    server.verify_jwt(&headers)?;
    server.record(format!("installation user {user}"));
    Ok(Json(json!({"id": 88, "account": {"login": user}})))
}

async fn access_token(
    State(server): State<AppServer>,
    UrlPath(id): UrlPath<u64>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<Value>), (StatusCode, Json<Value>)> {
    server.verify_jwt(&headers)?;
    let n = {
        let mut issued = server.issued.lock().expect("issued");
        *issued += 1;
        *issued
    };
    let expires =
        jiff::Timestamp::from_second(i64::try_from(now() + server.token_lifetime).expect("fits"))
            .expect("valid time");
    server.record(format!("token {n} for installation {id}"));
    Ok((
        StatusCode::CREATED,
        Json(json!({"token": format!("ghs_{n}"), "expires_at": expires.to_string()})),
    ))
}

async fn app(
    State(server): State<AppServer>,
    headers: HeaderMap,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    server.verify_jwt(&headers)?;
    Ok(Json(json!({"id": 4242, "slug": "prow-rs-app"})))
}

async fn repo(
    State(server): State<AppServer>,
    UrlPath((owner, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Json<Value> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    server.record(format!("repo {owner}/{name} with {auth}"));
    Json(
        json!({"name": name, "full_name": format!("{owner}/{name}"), "owner": {"login": owner},
                "default_branch": "main"}),
    )
}

async fn start(token_lifetime: u64, orgs: Vec<&'static str>) -> (String, AppServer) {
    let key = AppKey::from_file(&key_path()).expect("test key");
    let server = AppServer {
        public_key: Arc::new(key.public_key_der().to_vec()),
        token_lifetime,
        orgs,
        log: Arc::default(),
        issued: Arc::default(),
    };
    let router = Router::new()
        .route("/api/v3/orgs/{org}/installation", get(org_installation))
        .route("/api/v3/users/{user}/installation", get(user_installation))
        .route(
            "/api/v3/app/installations/{id}/access_tokens",
            post(access_token),
        )
        .route("/api/v3/app", get(app))
        .route("/api/v3/repos/{owner}/{name}", get(repo))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    // A GitHub Enterprise style endpoint: everything lives under /api/v3.
    (format!("http://{addr}/api/v3/"), server)
}

fn app_client(endpoint: String) -> GitHubClient {
    GitHubClient::new(
        ClientConfig {
            endpoint,
            request_timeout: Duration::from_secs(10),
            ..ClientConfig::default()
        },
        Credentials::App {
            app_id: APP_ID.into(),
            private_key_path: key_path(),
        },
    )
    .expect("client builds")
}

#[tokio::test]
async fn installation_token_is_obtained_once_and_reused() {
    let (endpoint, server) = start(3600, vec!["acme"]).await;
    let client = app_client(endpoint);

    client
        .get_repo("acme", "widgets")
        .await
        .expect("first read");
    client
        .get_repo("acme", "gadgets")
        .await
        .expect("second read");
    let bot = client.get_user().await.expect("app identity");

    assert_eq!(bot.login, "prow-rs-app[bot]");
    assert_eq!(
        *server.log.lock().expect("log"),
        [
            "installation org acme",
            "token 1 for installation 77",
            "repo acme/widgets with Bearer ghs_1",
            "repo acme/gadgets with Bearer ghs_1",
        ]
    );
}

#[tokio::test]
async fn token_close_to_expiry_is_refreshed() {
    // Tokens expiring in one minute are inside the five-minute refresh margin.
    let (endpoint, server) = start(60, vec!["acme"]).await;
    let client = app_client(endpoint);

    client
        .get_repo("acme", "widgets")
        .await
        .expect("first read");
    client
        .get_repo("acme", "widgets")
        .await
        .expect("second read");

    let log = server.log.lock().expect("log").clone();
    assert_eq!(*server.issued.lock().expect("issued"), 2, "{log:?}");
    assert_eq!(
        log.last().map(String::as_str),
        Some("repo acme/widgets with Bearer ghs_2")
    );
}

#[tokio::test]
async fn user_account_installations_are_found() {
    let (endpoint, server) = start(3600, vec![]).await;
    let client = app_client(endpoint);

    client.get_repo("someone", "dotfiles").await.expect("read");

    assert_eq!(
        *server.log.lock().expect("log"),
        [
            "installation org someone",
            "installation user someone",
            "token 1 for installation 88",
            "repo someone/dotfiles with Bearer ghs_1",
        ]
    );
}
