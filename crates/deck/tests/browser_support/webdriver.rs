//! A small W3C WebDriver client for deck's browser tests: Debian's `chromedriver` drives a
//! headless `chromium` over HTTP on 127.0.0.1.
//!
//! - [`ChromeDriver::shared`] starts one `chromedriver` per test binary (on a port it picks
//!   itself), under a watchdog that kills it and every browser it started when the test
//!   process exits, however it exits. A missing `chromedriver` or `chromium` is a panic:
//!   browser tests fail, they never skip (`hack/install-chromium.sh` installs both).
//! - [`Session`] is one headless browser window. Every request has a timeout; dropping the
//!   session deletes it (closing the browser) even when the test panicked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The W3C identifier of an element reference in WebDriver JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long one WebDriver HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `chromedriver` may take to print its port.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How often [`Session::wait_until`] polls.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Arguments for headless Chromium in a container without a GPU, a sandbox or a big /dev/shm.
pub const CHROMIUM_ARGS: [&str; 5] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// The `chromedriver` binary Debian's `chromium-driver` installs.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The `chromium` binary Debian's `chromium` installs.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The watchdog: runs `chromedriver` in the background in this (new) process group and kills
/// the whole group once its stdin (a pipe only the test process holds) reaches EOF.
const WATCHDOG_SCRIPT: &str = r#"exec 3<&0
"$@" </dev/null 3<&- 2>&1 &
child=$!
trap '' TERM
( cat <&3 >/dev/null; kill -TERM 0 2>/dev/null; sleep 2; kill -KILL 0 2>/dev/null ) >/dev/null 2>&1 &
exec 3<&-
wait "$child"
"#;

/// Something went wrong talking to the browser.
#[derive(Debug, thiserror::Error)]
pub enum WebDriverError {
    /// Starting `chromedriver` failed.
    #[error("starting chromedriver: {0}")]
    Start(String),
    /// The HTTP request to `chromedriver` failed.
    #[error("{command}: {source}")]
    Http {
        /// The WebDriver command.
        command: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// `chromedriver` answered with a WebDriver error.
    #[error("{command}: {error}: {message}")]
    Command {
        /// The WebDriver command.
        command: String,
        /// The WebDriver error code (`no such element`, ...).
        error: String,
        /// Its message.
        message: String,
    },
    /// The answer did not have the expected shape.
    #[error("{command}: unexpected answer {value}")]
    Shape {
        /// The WebDriver command.
        command: String,
        /// What came back.
        value: Value,
    },
    /// A condition did not hold within its time.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
}

/// Result of a WebDriver call.
pub type Result<T> = std::result::Result<T, WebDriverError>;

/// A running `chromedriver`.
#[derive(Debug)]
pub struct ChromeDriver {
    base_url: String,
    _watchdog: Child,
}

static SHARED: OnceLock<ChromeDriver> = OnceLock::new();

impl ChromeDriver {
    /// One `chromedriver` for this test binary, started on first use.
    ///
    /// # Panics
    /// When `chromedriver` or `chromium` is missing or does not start: browser tests fail
    /// rather than skip.
    pub fn shared() -> &'static ChromeDriver {
        SHARED.get_or_init(|| {
            ChromeDriver::start().unwrap_or_else(|e| {
                panic!("{e} (install the browser with hack/install-chromium.sh)")
            })
        })
    }

    /// Starts `chromedriver` on a free loopback port under the watchdog (three attempts: a
    /// busy machine occasionally loses one).
    pub fn start() -> Result<Self> {
        let mut attempt = 1;
        loop {
            match Self::start_once() {
                Ok(driver) => return Ok(driver),
                Err(e) if attempt < 3 => {
                    eprintln!("chromedriver attempt {attempt} failed: {e}");
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn start_once() -> Result<Self> {
        for binary in [CHROMEDRIVER, CHROMIUM] {
            if !Path::new(binary).exists() {
                return Err(WebDriverError::Start(format!("{binary} does not exist")));
            }
        }
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG_SCRIPT)
            .arg("deck-browser-watchdog")
            .arg(CHROMEDRIVER)
            .arg("--port=0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| WebDriverError::Start(format!("spawning {CHROMEDRIVER}: {e}")))?;
        let stdout = watchdog
            .stdout
            .take()
            .ok_or_else(|| WebDriverError::Start("no stdout pipe".into()))?;
        let port = read_port(stdout)?;
        let base_url = format!("http://127.0.0.1:{port}");
        wait_ready(port)?;
        Ok(Self {
            base_url,
            _watchdog: watchdog,
        })
    }

    /// The base URL of the WebDriver endpoint.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Opens a new headless browser window.
    pub async fn new_session(&self) -> Result<Session> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|source| WebDriverError::Http {
                command: "client".into(),
                source,
            })?;
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": {"pageLoad": 30_000, "script": 10_000, "implicit": 0},
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": CHROMIUM_ARGS,
                    },
                }
            }
        });
        let value = send(
            &http,
            reqwest::Method::POST,
            &format!("{}/session", self.base_url),
            "new session",
            Some(capabilities),
        )
        .await?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| WebDriverError::Shape {
                command: "new session".into(),
                value: value.clone(),
            })?
            .to_owned();
        Ok(Session {
            http,
            session_url: format!("{}/session/{id}", self.base_url),
            id,
            port: port_of(&self.base_url),
            closed: false,
        })
    }
}

/// Reads `chromedriver`'s startup line (`... started successfully on port N.`).
fn read_port(stdout: impl Read + Send + 'static) -> Result<u16> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut seen = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(Err(seen));
                    return;
                }
                Ok(_) => {
                    seen.push_str(&line);
                    // The first line says `... on port 0`; the one that counts says
                    // `ChromeDriver was started successfully on port N.`
                    if let Some(port) = line
                        .trim()
                        .trim_end_matches('.')
                        .rsplit_once("started successfully on port ")
                        .and_then(|(_, port)| port.parse::<u16>().ok())
                    {
                        let _ = tx.send(Ok(port));
                        break;
                    }
                }
            }
        }
        // Keep draining so chromedriver never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(Ok(port)) => Ok(port),
        Ok(Err(output)) => Err(WebDriverError::Start(format!(
            "chromedriver exited before printing its port; it said: {output:?}"
        ))),
        Err(_) => Err(WebDriverError::Timeout(
            STARTUP_TIMEOUT,
            "chromedriver to print its port".into(),
        )),
    }
}

/// Waits until `GET /status` answers `ready: true`.
fn wait_ready(port: u16) -> Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok((200, body)) = raw_request(port, "GET", "/status")
            && body.contains("\"ready\":true")
        {
            return Ok(());
        }
        std::thread::sleep(POLL_INTERVAL);
    }
    Err(WebDriverError::Timeout(
        STARTUP_TIMEOUT,
        "chromedriver /status".into(),
    ))
}

fn port_of(base_url: &str) -> u16 {
    base_url
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or(0)
}

/// A blocking, bounded HTTP/1.1 request without a body (used where no runtime may be
/// available: startup and `Drop`). Returns the status code and body.
fn raw_request(port: u16, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // chromedriver may keep the connection open: read the head, then Content-Length bytes.
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).into_owned();
    Ok((status, body))
}

/// Sends one WebDriver command and returns its `value`.
async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    command: &str,
    body: Option<Value>,
) -> Result<Value> {
    let http_error = |source| WebDriverError::Http {
        command: command.to_owned(),
        source,
    };
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(http_error)?;
    let status = response.status();
    let mut answer: Value = response.json().await.map_err(http_error)?;
    let value = answer
        .get_mut("value")
        .map(Value::take)
        .unwrap_or(Value::Null);
    if !status.is_success() {
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        return Err(WebDriverError::Command {
            command: command.to_owned(),
            error: field("error"),
            message: field("message"),
        });
    }
    Ok(value)
}

/// One headless browser window.
#[derive(Debug)]
pub struct Session {
    http: reqwest::Client,
    session_url: String,
    id: String,
    port: u16,
    closed: bool,
}

/// An element of the page (a W3C element reference).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    id: String,
}

impl Element {
    fn from_value(value: &Value, command: &str) -> Result<Self> {
        value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element { id: id.to_owned() })
            .ok_or_else(|| WebDriverError::Shape {
                command: command.to_owned(),
                value: value.clone(),
            })
    }

    /// This element as a script argument.
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }
}

impl Session {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        command: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        send(
            &self.http,
            method,
            &format!("{}{path}", self.session_url),
            command,
            body,
        )
        .await
    }

    async fn get(&self, path: &str, command: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, command, None).await
    }

    async fn post(&self, path: &str, command: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, command, Some(body))
            .await
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", &format!("navigate to {url}"), json!({ "url": url }))
            .await
            .map(drop)
    }

    /// Reloads the current page.
    pub async fn refresh(&self) -> Result<()> {
        self.post("/refresh", "refresh", json!({})).await.map(drop)
    }

    /// Resizes the browser window (CSS pixels), e.g. to a phone's width.
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.post(
            "/window/rect",
            "set window rect",
            json!({ "width": width, "height": height }),
        )
        .await
        .map(drop)
    }

    /// The URL of the current page.
    pub async fn current_url(&self) -> Result<String> {
        let value = self.get("/url", "current url").await?;
        string_value(value, "current url")
    }

    /// The page's title.
    pub async fn title(&self) -> Result<String> {
        let value = self.get("/title", "title").await?;
        string_value(value, "title")
    }

    /// The page's serialised DOM.
    pub async fn page_source(&self) -> Result<String> {
        let value = self.get("/source", "page source").await?;
        string_value(value, "page source")
    }

    /// The first element matching the CSS selector (an error when none does).
    pub async fn find(&self, css: &str) -> Result<Element> {
        let command = format!("find {css}");
        let value = self
            .post(
                "/element",
                &command,
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        Element::from_value(&value, &command)
    }

    /// Every element matching the CSS selector (possibly none).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let command = format!("find all {css}");
        let value = self
            .post(
                "/elements",
                &command,
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        value
            .as_array()
            .ok_or_else(|| WebDriverError::Shape {
                command: command.clone(),
                value: value.clone(),
            })?
            .iter()
            .map(|item| Element::from_value(item, &command))
            .collect()
    }

    /// Every element matching the CSS selector inside `parent`.
    pub async fn find_all_in(&self, parent: &Element, css: &str) -> Result<Vec<Element>> {
        let command = format!("find all {css} in element");
        let value = self
            .post(
                &format!("/element/{}/elements", parent.id),
                &command,
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        value
            .as_array()
            .ok_or_else(|| WebDriverError::Shape {
                command: command.clone(),
                value: value.clone(),
            })?
            .iter()
            .map(|item| Element::from_value(item, &command))
            .collect()
    }

    /// The rendered text of an element.
    pub async fn text(&self, element: &Element) -> Result<String> {
        let value = self
            .get(&format!("/element/{}/text", element.id), "element text")
            .await?;
        string_value(value, "element text")
    }

    /// An attribute of an element (`None` when absent).
    pub async fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>> {
        let value = self
            .get(
                &format!("/element/{}/attribute/{name}", element.id),
                &format!("attribute {name}"),
            )
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// A DOM property of an element (`value`, `checked`, ...).
    pub async fn property(&self, element: &Element, name: &str) -> Result<Value> {
        self.get(
            &format!("/element/{}/property/{name}", element.id),
            &format!("property {name}"),
        )
        .await
    }

    /// The element's tag name, lower case.
    pub async fn tag_name(&self, element: &Element) -> Result<String> {
        let value = self
            .get(&format!("/element/{}/name", element.id), "tag name")
            .await?;
        string_value(value, "tag name").map(|name| name.to_ascii_lowercase())
    }

    /// Clicks an element.
    pub async fn click(&self, element: &Element) -> Result<()> {
        self.post(
            &format!("/element/{}/click", element.id),
            "click",
            json!({}),
        )
        .await
        .map(drop)
    }

    /// Clears a text field.
    pub async fn clear(&self, element: &Element) -> Result<()> {
        self.post(
            &format!("/element/{}/clear", element.id),
            "clear",
            json!({}),
        )
        .await
        .map(drop)
    }

    /// Types `text` into an element (WebDriver key codes such as [`keys::ENTER`] allowed).
    pub async fn send_keys(&self, element: &Element, text: &str) -> Result<()> {
        self.post(
            &format!("/element/{}/value", element.id),
            "send keys",
            json!({ "text": text }),
        )
        .await
        .map(drop)
    }

    /// Presses and releases each key in `keys` on whatever has focus (the Actions API), e.g.
    /// [`keys::TAB`] to move focus like a keyboard user.
    pub async fn press_keys(&self, keys: &str) -> Result<()> {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|key| {
                [
                    json!({"type": "keyDown", "value": key.to_string()}),
                    json!({"type": "keyUp", "value": key.to_string()}),
                ]
            })
            .collect();
        self.post(
            "/actions",
            "key actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )
        .await?;
        self.call(reqwest::Method::DELETE, "/actions", "release actions", None)
            .await
            .map(drop)
    }

    /// The element that has keyboard focus.
    pub async fn active_element(&self) -> Result<Element> {
        let value = self.get("/element/active", "active element").await?;
        Element::from_value(&value, "active element")
    }

    /// Runs `script` (a function body; arguments in `arguments`) and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post(
            "/execute/sync",
            "execute script",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Runs `script` asynchronously: it finishes by calling `arguments[arguments.length - 1]`
    /// with its result (within the session's 10 s script timeout).
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post(
            "/execute/async",
            "execute async script",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Polls `check` until it returns `Some`, or fails after `timeout` naming `what`.
    pub async fn wait_until<T, F, Fut>(&self, timeout: Duration, what: &str, check: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = check().await? {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                return Err(WebDriverError::Timeout(timeout, what.to_owned()));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Waits until at least `count` elements match `css` and returns them.
    pub async fn wait_for_count(
        &self,
        css: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Element>> {
        self.wait_until(timeout, &format!("{count} x {css}"), || async {
            let found = self.find_all(css).await?;
            Ok((found.len() >= count).then_some(found))
        })
        .await
    }

    /// Closes the browser window and ends the session.
    pub async fn quit(mut self) -> Result<()> {
        self.closed = true;
        self.call(reqwest::Method::DELETE, "", "delete session", None)
            .await
            .map(drop)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.closed {
            // A test that failed before `quit`: close the browser anyway (blocking, bounded).
            let _ = raw_request(self.port, "DELETE", &format!("/session/{}", self.id));
        }
    }
}

fn string_value(value: Value, command: &str) -> Result<String> {
    match value {
        Value::String(text) => Ok(text),
        other => Err(WebDriverError::Shape {
            command: command.to_owned(),
            value: other,
        }),
    }
}

/// WebDriver key codes (W3C "keys" table) for [`Session::send_keys`] and
/// [`Session::press_keys`].
pub mod keys {
    /// The Tab key.
    pub const TAB: &str = "\u{E004}";
    /// The Enter key.
    pub const ENTER: &str = "\u{E007}";
    /// The Shift key (held until released).
    pub const SHIFT: &str = "\u{E008}";
}
