//! `prow-local up`: everything on loopback until Ctrl-C.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::PostParams;
use prow_testkit::control_plane::{ControlPlane, tools};
use prow_testkit::fake_github::FakeGitHub;
use serde_json::{Value, json};
use tokio::signal::unix::{SignalKind, signal};

use crate::children::{self, ComponentSpec, Running};
use crate::demo_event::DemoState;
use crate::demo_repo::{self, DemoRepo, ORG, PR_NUMBER, REPO};
use crate::local_config::{LocalSettings, local_config};

/// Flags of `prow-local up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Deck's port.
    #[arg(long, default_value_t = 8080)]
    deck_port: u16,
    /// hook's port (webhooks go to `/hook`).
    #[arg(long, default_value_t = 8888)]
    hook_port: u16,
    /// The fake GitHub's port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    github_port: u16,
    /// Keep state here (created if missing, left in place on exit); default: a temporary
    /// directory removed on exit.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Directory of the component binaries; default: the directory of `prow-local`.
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// The prow-rs checkout (its `config/`, `jobs/` and `crds/` are used).
    #[arg(long, default_value_os_t = tools::repo_root())]
    repo_root: PathBuf,
    /// Directory holding `etcd` and `kube-apiserver`; default: `hack/build-tools.sh` builds
    /// them (minutes, once).
    #[arg(long, env = "PROW_RS_TOOLS_DIR")]
    tools_dir: Option<PathBuf>,
}

/// The GitHub token the components use (the fake accepts any).
const TOKEN: &str = "local-token";
/// The webhook HMAC secret.
const HMAC_SECRET: &str = "local-hmac-secret";
/// Time a component gets to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `up`.
///
/// # Errors
/// When anything fails to start; everything started so far is stopped first.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut terminate = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let (_temp, work) = match &args.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            (None, std::fs::canonicalize(dir)?)
        }
        None => {
            let temp = tempfile::Builder::new().prefix("prow-local-").tempdir()?;
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    };
    let bin_dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("prow-local has no directory")?
            .to_path_buf(),
    };

    let tools_dir = match &args.tools_dir {
        Some(dir) => dir.clone(),
        None => tools::find_tools_dir()
            .await
            .context("kube-apiserver and etcd")?,
    };
    eprintln!("starting the control plane and node agent...");
    let cluster = ControlPlane::start_with_tools(&tools_dir, &args.repo_root.join("crds"))
        .await
        .context("starting the control plane")?
        .with_node_agent("local-node")
        .await
        .context("starting the node agent")?;
    let outcome = run_on(
        &args,
        &work,
        &bin_dir,
        &cluster,
        &mut interrupt,
        &mut terminate,
    )
    .await;
    cluster.stop().await;
    outcome
}

async fn run_on(
    args: &UpArgs,
    work: &Path,
    bin_dir: &Path,
    cluster: &ControlPlane,
    interrupt: &mut tokio::signal::unix::Signal,
    terminate: &mut tokio::signal::unix::Signal,
) -> anyhow::Result<()> {
    let deck_url = format!("http://127.0.0.1:{}", args.deck_port);
    let hook_url = format!("http://127.0.0.1:{}/hook", args.hook_port);
    for dir in ["config", "logs", "bucket", "git"] {
        std::fs::create_dir_all(work.join(dir))?;
    }
    let kubeconfig = work.join("kubeconfig");
    std::fs::copy(cluster.kubeconfig_path(), &kubeconfig)?;

    // The demo repository, served over HTTP for clonerefs.
    let repo = demo_repo::create(&work.join("git"))?;
    let git_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let git_url = format!("http://{}", git_listener.local_addr()?);
    let git_root = work.join("git");
    let git_task = tokio::spawn(crate::git_server::serve(git_listener, git_root));
    let repo_html_url = format!("{git_url}/{ORG}/{REPO}");

    // The fake GitHub, preloaded with the demo org and the pull request.
    let github = FakeGitHub::start_on(([127, 0, 0, 1], args.github_port).into())
        .await
        .context("starting the fake GitHub")?;
    github.load_state_file(&demo_state_file(args, work, &repo)?)?;

    // Configuration.
    let config = local_config(
        &args.repo_root.join("config/config.yaml"),
        &LocalSettings {
            deck_url: &deck_url,
            bucket_dir: &work.join("bucket"),
        },
    )?;
    let config_path = work.join("config/config.yaml");
    std::fs::write(&config_path, serde_json::to_string_pretty(&config)?)?;
    let plugins_path = args.repo_root.join("config/plugins.yaml");
    let jobs_path = args.repo_root.join("jobs");
    let hmac_path = work.join("config/hmac");
    std::fs::write(&hmac_path, HMAC_SECRET)?;
    let token_path = work.join("config/github-token");
    std::fs::write(&token_path, TOKEN)?;
    for key in ["prowjob_namespace", "pod_namespace"] {
        if let Some(namespace) = config.get(key).and_then(Value::as_str) {
            ensure_namespace(cluster.client(), namespace).await?;
        }
    }

    let common = |name: &str| -> Vec<String> {
        let mut args = vec![
            format!("--config-path={}", config_path.display()),
            format!("--job-config-path={}", jobs_path.display()),
            format!("--kubeconfig={}", kubeconfig.display()),
            "--admin-bind-address=127.0.0.1".to_string(),
        ];
        if matches!(name, "plank" | "crier" | "horologium" | "sinker") {
            args.push("--leader-election-namespace=default".to_string());
        }
        args
    };
    let github_flags = vec![
        format!("--github-endpoint={}", github.url()),
        format!("--github-token-path={}", token_path.display()),
    ];
    let utility_program = bin_dir.join("prow-utils");
    let mut specs = Vec::new();
    for name in ["hook", "plank", "crier", "horologium", "sinker", "deck"] {
        let admin_port = children::free_port()?;
        let mut flags = common(name);
        flags.push(format!("--admin-port={admin_port}"));
        match name {
            "hook" => {
                flags.extend(github_flags.clone());
                flags.extend([
                    format!("--plugin-config={}", plugins_path.display()),
                    format!("--hmac-secret-file={}", hmac_path.display()),
                    format!("--port={}", args.hook_port),
                    "--bind-address=127.0.0.1".to_string(),
                    "--dry-run=false".to_string(),
                ]);
            }
            "crier" => {
                flags.extend(github_flags.clone());
                flags.push("--dry-run=false".to_string());
            }
            "plank" => flags.push(format!("--utility-program={}", utility_program.display())),
            "horologium" | "sinker" => flags.push("--dry-run=false".to_string()),
            "deck" => flags.extend([
                format!("--port={}", args.deck_port),
                "--bind-address=127.0.0.1".to_string(),
                format!("--hook-url=http://127.0.0.1:{}/plugin-help", args.hook_port),
            ]),
            _ => {}
        }
        specs.push(ComponentSpec {
            name,
            args: flags,
            admin_port,
        });
    }

    let mut running: Vec<Running> = Vec::new();
    let started = start_all(specs, bin_dir, &work.join("logs"), &mut running).await;
    let outcome = match started {
        Ok(()) => {
            let demo = DemoState {
                hook_url: hook_url.clone(),
                hmac_file: hmac_path.clone(),
                org: ORG.to_string(),
                repo: REPO.to_string(),
                number: PR_NUMBER,
                author: "alice".to_string(),
                base_sha: repo.base_sha.clone(),
                head_sha: repo.head_sha.clone(),
                repo_html_url: repo_html_url.clone(),
            };
            let demo_file = work.join("demo.json");
            std::fs::write(&demo_file, serde_json::to_string_pretty(&demo)?)?;
            let exe = std::env::current_exe()?;
            println!("prow-rs is running (Ctrl-C stops everything):");
            println!("  deck:          {deck_url}/");
            println!("  hook:          {hook_url}");
            println!("  fake GitHub:   {}", github.url());
            println!("  demo repo:     {repo_html_url}.git");
            println!("  kubeconfig:    {}", kubeconfig.display());
            println!("  logs:          {}", work.join("logs").display());
            println!("  artifacts:     {}", work.join("bucket").display());
            println!("send a signed demo pull-request event:");
            println!("  {} demo-pr --work-dir {}", exe.display(), work.display());
            println!("prow-local ready");
            watch(&mut running, interrupt, terminate).await
        }
        Err(e) => Err(e),
    };
    eprintln!("stopping...");
    for component in running.into_iter().rev() {
        component.stop(Duration::from_secs(10)).await;
    }
    github.shutdown().await;
    git_task.abort();
    outcome
}

async fn start_all(
    specs: Vec<ComponentSpec>,
    bin_dir: &Path,
    log_dir: &Path,
    running: &mut Vec<Running>,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for spec in specs {
        eprintln!("starting {}...", spec.name);
        running.push(children::start(spec, bin_dir, log_dir)?);
    }
    for component in running.iter_mut() {
        component.wait_ready(&http, READY_TIMEOUT).await?;
    }
    Ok(())
}

/// Runs until a signal, or until a component exits (an error).
async fn watch(
    running: &mut [Running],
    interrupt: &mut tokio::signal::unix::Signal,
    terminate: &mut tokio::signal::unix::Signal,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = interrupt.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            _ = tick.tick() => {
                for component in running.iter_mut() {
                    if let Some(status) = component.exited() {
                        anyhow::bail!(
                            "{} exited ({status}); last lines of {}:\n{}",
                            component.spec.name,
                            component.log_path.display(),
                            component.log_tail()
                        );
                    }
                }
            }
        }
    }
}

/// The fake GitHub's demo state with the demo repository's real commits and an open pull
/// request by the org member `alice`, written to the work directory.
fn demo_state_file(args: &UpArgs, work: &Path, repo: &DemoRepo) -> anyhow::Result<PathBuf> {
    let source = args
        .repo_root
        .join("crates/prow-testkit/testdata/fake-github/demo-state.json");
    let mut state: Value = serde_json::from_str(
        &std::fs::read_to_string(&source)
            .with_context(|| format!("reading {}", source.display()))?,
    )?;
    let repo_state = state
        .pointer_mut("/repos/0")
        .and_then(Value::as_object_mut)
        .context("demo state has no repository")?;
    if let Some(main) = repo_state
        .get_mut("branches")
        .and_then(Value::as_array_mut)
        .and_then(|b| b.iter_mut().find(|b| b["name"] == "main"))
    {
        main["sha"] = json!(repo.base_sha);
    }
    let files: Vec<Value> = repo
        .changed_files
        .iter()
        .map(|f| json!({"filename": f, "status": "added", "additions": 1, "deletions": 0}))
        .collect();
    let pull = json!({
        "number": PR_NUMBER,
        "title": "docs: how to run hello.sh",
        "body": "The prow-rs demo pull request.",
        "user": "alice",
        "state": "open",
        "draft": false,
        "head": {"ref": "demo-change", "sha": repo.head_sha, "repo": format!("{ORG}/{REPO}")},
        "base": {"ref": "main", "sha": repo.base_sha},
        "mergeable": true,
        "files": files,
    });
    repo_state
        .entry("pulls")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .context("pulls is not a list")?
        .push(pull);
    let path = work.join("config/github-state.json");
    std::fs::write(&path, serde_json::to_string_pretty(&state)?)?;
    Ok(path)
}

async fn ensure_namespace(client: kube::Client, name: &str) -> anyhow::Result<()> {
    let namespaces: Api<Namespace> = Api::all(client);
    let namespace: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    match namespaces.create(&PostParams::default(), &namespace).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating namespace {name}")),
    }
}
