//! `hack/build-tools.sh` with a stand-in `go` on `PATH` (the real build takes minutes): the
//! cache key, stdout carrying only the directory, reuse, one build for concurrent runs, and
//! no half-filled cache after a killed build.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FAKE_GO: &str = r#"#!/bin/sh
case "$1" in
  version) echo "go version go0.0-fake linux/amd64" ;;
  build)
    out=""
    while [ $# -gt 0 ]; do
      if [ "$1" = "-o" ]; then out="$2"; shift; fi
      shift
    done
    echo "$out" >> "$FAKE_GO_LOG"
    sleep "${FAKE_GO_SLEEP:-0.3}"
    printf '#!/bin/sh\n' > "$out"
    chmod +x "$out"
    ;;
  *) exit 2 ;;
esac
"#;

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("bin dir");
        let go = bin.join("go");
        std::fs::write(&go, FAKE_GO).expect("fake go");
        std::fs::set_permissions(&go, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Sandbox { dir }
    }

    fn command(&self) -> Command {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hack/build-tools.sh");
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .arg(script)
            .env("PATH", path)
            .env("PROW_RS_CACHE", self.dir.path().join("cache"))
            .env("FAKE_GO_LOG", self.builds_log())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn builds_log(&self) -> PathBuf {
        self.dir.path().join("builds.log")
    }

    fn builds(&self) -> usize {
        std::fs::read_to_string(self.builds_log()).map_or(0, |log| log.lines().count())
    }

    fn tools_root(&self) -> PathBuf {
        self.dir.path().join("cache/tools")
    }
}

fn stdout_dir(output: &Output) -> PathBuf {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "stdout is only the directory: {stdout:?}"
    );
    PathBuf::from(stdout.trim())
}

#[test]
fn builds_once_then_reuses_the_cache_even_when_run_concurrently() {
    let sandbox = Sandbox::new();
    let first = sandbox.command().spawn().expect("first run");
    let second = sandbox.command().spawn().expect("second run");
    let first = stdout_dir(&first.wait_with_output().expect("first output"));
    let second = stdout_dir(&second.wait_with_output().expect("second output"));

    assert_eq!(first, second);
    assert!(
        first.starts_with(sandbox.tools_root()),
        "{}",
        first.display()
    );
    for binary in ["etcd", "kube-apiserver"] {
        assert!(
            first.join(binary).is_file(),
            "{binary} in {}",
            first.display()
        );
    }
    assert_eq!(
        sandbox.builds(),
        2,
        "etcd and kube-apiserver built exactly once"
    );

    let third = stdout_dir(&sandbox.command().output().expect("third run"));
    assert_eq!(third, first);
    assert_eq!(sandbox.builds(), 2, "a cached run builds nothing");
}

#[test]
fn a_killed_build_leaves_no_cache_directory_and_the_next_run_builds() {
    let sandbox = Sandbox::new();
    let mut slow = sandbox.command();
    slow.env("FAKE_GO_SLEEP", "5");
    let mut child = slow.spawn().expect("slow run");
    while sandbox.builds() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().expect("kill the build");
    child.wait().expect("wait");
    let finished: Vec<_> = std::fs::read_dir(sandbox.tools_root())
        .expect("tools root")
        .filter_map(|entry| entry.ok())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(
        finished.is_empty(),
        "no finished-looking cache directory after a killed build"
    );

    let dir = stdout_dir(&sandbox.command().output().expect("next run"));
    assert!(dir.join("kube-apiserver").is_file());
    let leftovers = std::fs::read_dir(sandbox.tools_root())
        .expect("tools root")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(".build-"))
        .count();
    assert_eq!(
        leftovers, 0,
        "the next run removed the killed build's temporary directory"
    );
}
