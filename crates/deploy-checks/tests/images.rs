//! The images `hack/build-images.py` assembles are self-sufficient: built here from the
//! workspace's binaries (the debug build; the release build differs only in size), each
//! image's root filesystem is unpacked and every binary runs `--help` under `chroot` with
//! nothing from the host — the libraries they load, CA certificates and `/bin/cp` (Prow's
//! place-entrypoint command) are in the layer. Runs as root (chroot needs it), as CI does.

use std::path::{Path, PathBuf};
use std::process::Command;

use deploy_checks::repo_root;
use serde_json::Value;

/// The binaries in the `prow-rs` image (package name = binary name).
const BINARIES: &[&str] = &[
    "hook",
    "plank",
    "crier",
    "horologium",
    "sinker",
    "deck",
    "branch-protector",
    "prowctl",
    "prow-utils",
];

fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

#[test]
fn every_image_runs_its_binaries_from_its_own_root_filesystem() {
    prow_testkit::workspace_binaries::ensure_built(&bin_dir(), BINARIES);

    let work = tempfile::tempdir().expect("tempdir");
    let layout = work.path().join("layout");
    run(Command::new("python3")
        .arg(repo_root().join("hack/build-images.py"))
        .arg("--bin-dir")
        .arg(bin_dir())
        .arg("--out")
        .arg(&layout)
        .args(["--tag", "test"]));

    let index = read_json(&layout.join("index.json"));
    let mut names = Vec::new();
    for descriptor in index["manifests"].as_array().expect("manifests").iter() {
        let name = descriptor["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .expect("ref name")
            .to_string();
        let manifest = read_json(&blob(
            &layout,
            descriptor["digest"].as_str().expect("digest"),
        ));
        let config = read_json(&blob(
            &layout,
            manifest["config"]["digest"].as_str().expect("config"),
        ));
        assert_eq!(
            config["config"]["User"], "65532:65532",
            "{name} runs as non-root"
        );
        // Images with the same layers share one unpacked root filesystem.
        let layers: Vec<&str> = manifest["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .filter_map(|l| l["digest"].as_str())
            .collect();
        let rootfs = work
            .path()
            .join(format!("rootfs-{}", layers.join("-").replace(':', "")));
        if !rootfs.exists() {
            std::fs::create_dir_all(&rootfs).expect("rootfs dir");
            for layer in &layers {
                run(Command::new("tar")
                    .arg("-xzf")
                    .arg(blob(&layout, layer))
                    .arg("-C")
                    .arg(&rootfs));
            }
        }
        let entrypoint: Vec<String> = config["config"]["Entrypoint"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let programs: Vec<Vec<String>> = if entrypoint.is_empty() {
            BINARIES
                .iter()
                .map(|binary| vec![format!("/usr/local/bin/{binary}")])
                .collect()
        } else {
            vec![entrypoint, vec!["/bin/cp".to_string()]]
        };
        for program in programs {
            let flag = if program[0] == "/bin/cp" {
                "--version"
            } else {
                "--help"
            };
            let output = Command::new("/usr/sbin/chroot")
                .arg(&rootfs)
                .args(&program)
                .arg(flag)
                .env_clear()
                .env("PATH", "/usr/local/bin:/bin")
                .output()
                .expect("chroot runs (the test needs root)");
            // It ran: exit 0; or, for prow-utils, its usage text (no role) or the role's
            // complaint that its options variable is unset (it got as far as reading it).
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(
                output.status.success()
                    || text.starts_with("usage: prow-utils")
                    || text.contains("_OPTIONS is not set"),
                "{name}: {} {flag} inside the image failed ({}): {text}",
                program.join(" "),
                output.status
            );
        }
        names.push(name);
    }
    names.sort();
    assert_eq!(
        names,
        [
            "clonerefs:test",
            "entrypoint:test",
            "initupload:test",
            "prow-rs:test",
            "sidecar:test"
        ]
    );
}
