//! config-updater against the real API server and a real GitHub client talking to the fake
//! GitHub server, driven by the recorded `pull_request`/`closed` payload.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use flate2::read::GzDecoder;
use hook::plugin::{Delivery, Plugin, Services};
use hook::plugins::config_updater::ConfigUpdater;
use hook::plugins::config_updater::metrics::{ConfigMapSizes, data_size};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PostParams;
use prow_config::{LoadOptions, Loaded};
use prow_github::webhook::Event;
use prow_github::{ClientConfig, Credentials, DryRunGitHub, GitHub, GitHubClient, Secret};
use prow_testkit::control_plane::{ControlPlane, TestNamespace};
use prow_testkit::fake_github::{
    FakeGitHub, FileContent, GitHubState, PullFile, PullRef, PullRequest, Repo,
};
use prow_testkit::webhook::{PayloadEdit, payload};

const ORG: &str = "prow-rs-demo";
const REPO: &str = "test-infra";
const PR: u64 = 7;
const MERGE_SHA: &str = "5f1c0a2b9d7e4f3a8c6b1d0e2f4a6c8e0b2d4f6a";
const BOT: &str = "fake-bot";
const AUTHOR: &str = "alice";

const PLUGINS_YAML: &str = r#"
plugins:
  prow-rs-demo/test-infra:
    plugins:
    - config-updater
config_updater:
  maps:
    config/prow/config.yaml:
      name: config
    config/jobs/**/*.{yaml,yml}:
      name: job-config
      gzip: true
    labels/**/*.yaml:
      name: label-config
      use_full_path_as_key: true
"#;

const NEW_CONFIG: &str = "prowjob_namespace: prow\nlog_level: debug\n";
const NEW_JOB: &str = "periodics:\n- name: ci-nightly\n  interval: 24h\n";
const MOVED_JOB: &str = "presubmits: {}\n";
const LABELS: &str = "default:\n  labels: []\n";

/// Everything one test needs: a namespace, the fake GitHub with the PR, the loaded config.
struct Fixture {
    namespace: String,
    github: FakeGitHub,
    config: Arc<Loaded>,
    kube: kube::Client,
    _dir: tempfile::TempDir,
    _namespace_guard: TestNamespace,
}

fn pull_file(filename: &str, status: &str, previous: Option<&str>) -> PullFile {
    PullFile {
        filename: filename.into(),
        status: status.into(),
        previous_filename: previous.map(String::from),
        additions: 1,
        ..PullFile::default()
    }
}

fn content(path: &str, text: &str) -> FileContent {
    FileContent {
        path: path.into(),
        git_ref: MERGE_SHA.into(),
        content: text.into(),
    }
}

async fn fixture(hint: &str) -> Fixture {
    fixture_with(hint, PLUGINS_YAML).await
}

/// A fixture whose `plugins.yaml` is `plugins_yaml` with `{ns}` replaced by the test namespace.
async fn fixture_with(hint: &str, plugins_yaml: &str) -> Fixture {
    let cluster = ControlPlane::shared().await;
    let test_namespace = cluster.test_namespace(hint).await;
    let namespace = test_namespace.name().to_string();
    let github = FakeGitHub::start().await.expect("fake GitHub starts");
    github.load_state(GitHubState {
        viewer: Some(BOT.into()),
        repos: vec![Repo {
            owner: ORG.into(),
            name: REPO.into(),
            default_branch: "main".into(),
            contents: vec![
                content("config/prow/config.yaml", NEW_CONFIG),
                content("config/jobs/team/nightly.yaml", NEW_JOB),
                content("config/jobs/moved/presubmits.yml", MOVED_JOB),
                content("labels/sig/labels.yaml", LABELS),
            ],
            pulls: vec![PullRequest {
                number: PR,
                title: "Update Prow config".into(),
                body: Some("Bumps the config.\nAnd the jobs.".into()),
                user: AUTHOR.into(),
                state: "closed".into(),
                merged: true,
                head: PullRef {
                    branch: "config-bump".into(),
                    sha: "0123456789abcdef0123456789abcdef01234567".into(),
                    ..PullRef::default()
                },
                base: PullRef {
                    branch: "main".into(),
                    sha: "89abcdef0123456789abcdef0123456789abcdef".into(),
                    ..PullRef::default()
                },
                files: vec![
                    pull_file("config/prow/config.yaml", "modified", None),
                    pull_file("config/jobs/team/nightly.yaml", "added", None),
                    pull_file("config/jobs/gone.yaml", "removed", None),
                    pull_file(
                        "config/jobs/moved/presubmits.yml",
                        "renamed",
                        Some("config/jobs/old/pre.yaml"),
                    ),
                    pull_file("labels/sig/labels.yaml", "added", None),
                    pull_file("README.md", "modified", None),
                ],
                ..PullRequest::default()
            }],
            ..Repo::default()
        }],
        ..GitHubState::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("config.yaml");
    let plugins_path = dir.path().join("plugins.yaml");
    std::fs::write(&config_path, format!("prowjob_namespace: {namespace}\n")).expect("write");
    std::fs::write(&plugins_path, plugins_yaml.replace("{ns}", &namespace)).expect("write");
    let loaded = prow_config::load(&LoadOptions {
        config_path,
        job_config_path: None,
        plugin_config_path: Some(plugins_path),
    })
    .expect("config loads");
    assert!(!loaded.has_errors(), "{:?}", loaded.problems);
    Fixture {
        namespace,
        github,
        config: Arc::new(loaded),
        kube: cluster.client(),
        _dir: dir,
        _namespace_guard: test_namespace,
    }
}

impl Fixture {
    fn client(&self) -> GitHubClient {
        GitHubClient::new(
            ClientConfig {
                endpoint: self.github.url(),
                request_timeout: Duration::from_secs(10),
                ..ClientConfig::default()
            },
            Credentials::Token(Secret::new("t0ken")),
        )
        .expect("client builds")
    }

    fn services(&self, github: Arc<dyn GitHub>, dry_run: bool) -> Services {
        Services {
            github,
            kube: self.kube.clone(),
            bot_login: BOT.into(),
            dry_run,
        }
    }

    async fn deliver(
        &self,
        services: &Services,
        edit: impl FnOnce(PayloadEdit) -> PayloadEdit,
    ) -> Result<(), hook::plugin::PluginError> {
        self.deliver_to(&ConfigUpdater::new(), services, edit).await
    }

    async fn deliver_to(
        &self,
        plugin: &ConfigUpdater,
        services: &Services,
        edit: impl FnOnce(PayloadEdit) -> PayloadEdit,
    ) -> Result<(), hook::plugin::PluginError> {
        let recorded = payload("pull_request", "closed").expect("recorded payload");
        let base = PayloadEdit::new(recorded)
            .expect("json")
            .repo(ORG, REPO)
            .number(PR)
            .set("/pull_request/merge_commit_sha", MERGE_SHA.into())
            .set("/pull_request/base/ref", "main".into())
            .set("/pull_request/base/repo/default_branch", "main".into())
            .set("/repository/default_branch", "main".into())
            .set("/pull_request/user/login", AUTHOR.into())
            .set(
                "/pull_request/html_url",
                format!("https://github.com/{ORG}/{REPO}/pull/{PR}").into(),
            )
            .set(
                "/pull_request/body",
                "Bumps the config.\nAnd the jobs.".into(),
            );
        let bytes = edit(base).into_bytes().expect("bytes");
        let event = Event::parse("pull_request", &bytes).expect("event parses");
        plugin
            .handle(
                services,
                &Delivery {
                    event: &event,
                    delivery_id: "a1b2c3",
                    config: &self.config,
                },
            )
            .await
    }

    fn config_maps(&self) -> Api<ConfigMap> {
        Api::namespaced(self.kube.clone(), &self.namespace)
    }

    async fn config_map_names(&self) -> Vec<String> {
        self.config_maps()
            .list(&Default::default())
            .await
            .expect("list configmaps")
            .items
            .into_iter()
            .filter_map(|cm| cm.metadata.name)
            .filter(|name| name != "kube-root-ca.crt")
            .collect()
    }

    fn comments(&self) -> Vec<String> {
        self.comments_on(PR)
    }

    fn comments_on(&self, number: u64) -> Vec<String> {
        let path = format!("/repos/{ORG}/{REPO}/issues/{number}/comments");
        self.github
            .writes()
            .into_iter()
            .filter(|w| w.method == "POST" && w.path == path)
            .map(|w| w.body["body"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// An edit of the recorded payload.
type Edit = fn(PayloadEdit) -> PayloadEdit;

fn merged(edit: PayloadEdit) -> PayloadEdit {
    edit.set("/pull_request/merged", true.into())
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .expect("gzip of UTF-8 text");
    out
}

#[tokio::test]
async fn merged_config_pr_updates_configmaps_and_comments() {
    let fx = fixture("cu-merged").await;
    // job-config exists already, created by someone else, with a key the PR removes, one it
    // renames away and one it does not touch.
    fx.config_maps()
        .create(
            &PostParams {
                field_manager: Some("kubectl-client-side-apply".into()),
                ..PostParams::default()
            },
            &ConfigMap {
                metadata: ObjectMeta {
                    name: Some("job-config".into()),
                    ..ObjectMeta::default()
                },
                data: Some(BTreeMap::from([
                    ("gone.yaml".to_string(), "periodics: []\n".to_string()),
                    ("pre.yaml".to_string(), "presubmits: {}\n".to_string()),
                    ("kept.yaml".to_string(), "postsubmits: {}\n".to_string()),
                ])),
                ..ConfigMap::default()
            },
        )
        .await
        .expect("create job-config");

    let services = fx.services(Arc::new(fx.client()), false);
    fx.deliver(&services, merged).await.expect("handled");

    let config = fx
        .config_maps()
        .get("config")
        .await
        .expect("config created");
    let data = config.data.clone().expect("data");
    assert_eq!(data["config.yaml"], NEW_CONFIG);
    assert_eq!(data["VERSION"], MERGE_SHA);
    let labels = config.metadata.labels.clone().expect("labels");
    assert_eq!(labels["app.kubernetes.io/component"], "updateconfig-plugin");
    let managers: Vec<_> = config
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .map(|m| (m.manager.as_deref(), m.operation.as_deref()))
        .collect();
    assert!(
        managers.iter().all(|(m, _)| *m == Some("prow-rs-hook"))
            && managers.iter().any(|(_, op)| *op == Some("Apply")),
        "hook's field manager only, applying: {managers:?}"
    );

    let jobs = fx
        .config_maps()
        .get("job-config")
        .await
        .expect("job-config");
    let binary = jobs
        .binary_data
        .clone()
        .expect("gzipped keys in binaryData");
    assert_eq!(gunzip(&binary["nightly.yaml"].0), NEW_JOB);
    assert_eq!(gunzip(&binary["presubmits.yml"].0), MOVED_JOB);
    let data = jobs.data.clone().expect("data");
    assert_eq!(
        data.keys().map(String::as_str).collect::<Vec<_>>(),
        ["VERSION", "kept.yaml"],
        "removed and renamed-away keys are gone, the untouched key stays"
    );

    let labels = fx
        .config_maps()
        .get("label-config")
        .await
        .expect("label-config");
    assert_eq!(labels.data.expect("data")["labels-sig-labels.yaml"], LABELS);

    let expected_message = format!(
        "Updated the following 3 configmaps:\n \
         * `config` configmap in namespace `{ns}` at cluster `default` using the following files:\n   \
         - key `config.yaml` using file `config/prow/config.yaml`\n \
         * `job-config` configmap in namespace `{ns}` at cluster `default` using the following files:\n   \
         - key `nightly.yaml` using file `config/jobs/team/nightly.yaml`\n   \
         - key `gone.yaml` using file ``\n   \
         - key `pre.yaml` using file ``\n   \
         - key `presubmits.yml` using file `config/jobs/moved/presubmits.yml`\n \
         * `label-config` configmap in namespace `{ns}` at cluster `default` using the following files:\n   \
         - key `labels-sig-labels.yaml` using file `labels/sig/labels.yaml`\n",
        ns = fx.namespace
    );
    let comments = fx.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].starts_with(&format!("@{AUTHOR}: {expected_message}\n\n<details>\n\nIn response to [this](https://github.com/{ORG}/{REPO}/pull/{PR}):\n\n>Bumps the config.\n>And the jobs.\n")),
        "{}",
        comments[0]
    );

    // GitHub redelivers: same content, no new resourceVersion, no second comment.
    let versions = |cms: &[ConfigMap]| -> Vec<Option<String>> {
        cms.iter()
            .map(|c| c.metadata.resource_version.clone())
            .collect()
    };
    let before = versions(&[config, jobs]);
    fx.deliver(&services, merged)
        .await
        .expect("redelivery handled");
    let after = versions(&[
        fx.config_maps().get("config").await.expect("config"),
        fx.config_maps()
            .get("job-config")
            .await
            .expect("job-config"),
    ]);
    assert_eq!(before, after, "a redelivery writes nothing new");
    assert_eq!(fx.comments().len(), 1, "no second comment");
}

#[tokio::test]
async fn prs_not_merged_into_the_default_branch_change_nothing() {
    let fx = fixture("cu-ignored").await;
    let services = fx.services(Arc::new(fx.client()), false);
    let cases: Vec<(&str, Edit)> = vec![
        ("closed without merging", |e| e),
        ("merged into a release branch", |e| {
            merged(e).set("/pull_request/base/ref", "release-1.0".into())
        }),
        ("reopened", |e| merged(e).action("reopened")),
    ];
    for (name, edit) in cases {
        fx.deliver(&services, edit).await.expect(name);
        assert!(
            fx.config_map_names().await.is_empty(),
            "{name}: no ConfigMap"
        );
        assert!(fx.github.writes().is_empty(), "{name}: no GitHub write");
        assert!(
            fx.github.requests().is_empty(),
            "{name}: not even a GitHub read"
        );
    }
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let fx = fixture("cu-dry-run").await;
    let services = fx.services(Arc::new(DryRunGitHub::new(fx.client())), true);
    fx.deliver(&services, merged).await.expect("handled");
    assert!(
        fx.config_map_names().await.is_empty(),
        "no ConfigMap written"
    );
    assert!(fx.github.writes().is_empty(), "no comment posted");
    assert!(
        fx.github
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("/pulls/{PR}/files"))),
        "the plan was still computed from the PR's files"
    );
}

const TWO_CLUSTERS_YAML: &str = r#"
config_updater:
  maps:
    config/prow/config.yaml:
      name: config
      clusters:
        default:
        - "{ns}"
        build-a:
        - "{ns}"
"#;

#[tokio::test]
async fn other_clusters_need_a_client() {
    let fx = fixture_with("cu-clusters", TWO_CLUSTERS_YAML).await;
    let services = fx.services(Arc::new(fx.client()), false);

    // Without a client for `build-a`: Prow's error for that target, the default one written.
    let err = fx
        .deliver(&services, merged)
        .await
        .expect_err("build-a has no client");
    assert!(
        err.message
            .contains("no k8s client is found for build cluster: 'build-a'"),
        "{err}"
    );
    assert_eq!(fx.config_map_names().await, ["config"]);
    let comments = fx.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].contains("at cluster `default`"),
        "{}",
        comments[0]
    );
    assert!(!comments[0].contains("build-a"), "{}", comments[0]);

    // With a client for `build-a` (here: the same API server), both targets are written and
    // the comment lists both.
    let with_build_a =
        ConfigUpdater::new().with_clusters([("build-a".to_string(), fx.kube.clone())]);
    fx.github.reset_journal();
    fx.deliver_to(&with_build_a, &services, merged)
        .await
        .expect("both clusters written");
    let comments = fx.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].contains("Updated the following 2 configmaps")
            && comments[0].contains("at cluster `build-a`"),
        "{}",
        comments[0]
    );
}

#[tokio::test]
async fn a_file_missing_at_the_merge_commit_fails_only_its_configmap() {
    let fx = fixture("cu-missing").await;
    fx.github.state().repos[0]
        .contents
        .retain(|c| c.path != "config/jobs/team/nightly.yaml");
    let services = fx.services(Arc::new(fx.client()), false);
    let err = fx
        .deliver(&services, merged)
        .await
        .expect_err("job-config cannot be written");
    assert!(
        err.message.contains("config/jobs/team/nightly.yaml") && err.message.contains("job-config"),
        "{err}"
    );
    let mut names = fx.config_map_names().await;
    names.sort();
    assert_eq!(names, ["config", "label-config"]);
    let comments = fx.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].contains("Updated the following 2 configmaps")
            && !comments[0].contains("`job-config`"),
        "{}",
        comments[0]
    );
}

#[tokio::test]
async fn a_later_pr_removing_a_file_removes_the_key_hook_wrote() {
    let fx = fixture("cu-later-removal").await;
    let services = fx.services(Arc::new(fx.client()), false);
    let sizes = ConfigMapSizes::default();
    let plugin = ConfigUpdater::new().with_metrics(sizes.clone());
    fx.deliver_to(&plugin, &services, merged)
        .await
        .expect("first PR handled");
    let jobs = fx
        .config_maps()
        .get("job-config")
        .await
        .expect("job-config");
    assert!(
        jobs.binary_data
            .expect("binaryData")
            .contains_key("nightly.yaml")
    );

    let later_sha = "6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b";
    {
        let mut state = fx.github.state();
        let repo = &mut state.repos[0];
        let mut later = repo.pulls[0].clone();
        later.number = PR + 1;
        later.files = vec![pull_file("config/jobs/team/nightly.yaml", "removed", None)];
        repo.pulls.push(later);
    }
    fx.deliver_to(&plugin, &services, |e| {
        merged(e)
            .number(PR + 1)
            .set("/pull_request/merge_commit_sha", later_sha.into())
    })
    .await
    .expect("second PR handled");

    let jobs = fx
        .config_maps()
        .get("job-config")
        .await
        .expect("job-config");
    assert_eq!(
        sizes.get(&fx.namespace, "job-config"),
        Some(data_size(&jobs)),
        "prow_configmap_size_bytes follows the ConfigMap"
    );
    assert!(
        jobs.binary_data
            .unwrap_or_default()
            .keys()
            .all(|k| k != "nightly.yaml"),
        "the key written by the first PR is gone"
    );
    let data = jobs.data.expect("data");
    assert_eq!(data["VERSION"], later_sha);
    let comments = fx.comments_on(PR + 1);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].contains("- key `nightly.yaml` using file ``"),
        "{}",
        comments[0]
    );
}
