//! OWNERS resolution against a realistic tree: nested files, aliases, `filters`,
//! `no_parent_owners`, and the approval state the approve plugin derives from it.

use std::collections::{BTreeMap, BTreeSet};

use hook::owners::{OwnersFilenames, RepoOwners};
use hook::plugins::approve::approvers::{Approvers, ChangeOwners};
use hook::plugins::approve::notification::{MessageLinks, approval_message};

/// A tree shaped like a Kubernetes sub-project: root approvers via an alias, a `pkg/` with its
/// own approvers, a `pkg/api` with `no_parent_owners`, a `docs/` whose OWNERS uses filters
/// (markdown to docs writers, everything else to the root), a `vendor/` dir without OWNERS,
/// and an invalid OWNERS under `broken/`.
fn tree() -> BTreeMap<String, String> {
    [
        (
            "OWNERS_ALIASES",
            "aliases:\n  root-approvers: [Alice, bob]\n  api-reviewers:\n  - dana\n  - erin\n",
        ),
        (
            "OWNERS",
            "approvers:\n- root-approvers\nreviewers:\n- carol\nrequired_reviewers:\n- security-sam\nlabels:\n- sig/testing\n",
        ),
        (
            "pkg/OWNERS",
            "approvers: [pkg-pat]\nreviewers: [pkg-rev]\nlabels: [area/pkg]\n",
        ),
        (
            "pkg/api/OWNERS",
            "options:\n  no_parent_owners: true\napprovers: [api-ann]\nreviewers: [api-reviewers]\n",
        ),
        (
            "docs/OWNERS",
            "filters:\n  '\\.md$':\n    approvers: [writer-wes]\n    reviewers: [writer-wes]\n  '^images/':\n    labels: [area/images]\n",
        ),
        ("broken/OWNERS", "approvers: [unclosed\n"),
        ("pkg/README.md", "not an OWNERS file: approvers: [nobody]\n"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn owners() -> RepoOwners {
    RepoOwners::from_files(&tree(), &OwnersFilenames::default())
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn approvers_by_file_table() {
    let owners = owners();
    let cases: [(&str, &[&str], &[&str], &str); 8] = [
        // file, all approvers, leaf approvers, closest OWNERS dir with approvers
        ("main.go", &["alice", "bob"], &["alice", "bob"], ""),
        (
            "pkg/util/strings.go",
            &["alice", "bob", "pkg-pat"],
            &["pkg-pat"],
            "pkg",
        ),
        ("pkg/api/types.go", &["api-ann"], &["api-ann"], "pkg/api"),
        (
            "pkg/api/v1/deep/x.go",
            &["api-ann"],
            &["api-ann"],
            "pkg/api",
        ),
        (
            "docs/guide.md",
            &["alice", "bob", "writer-wes"],
            &["writer-wes"],
            "docs",
        ),
        ("docs/Makefile", &["alice", "bob"], &["alice", "bob"], ""),
        ("vendor/lib/a.go", &["alice", "bob"], &["alice", "bob"], ""),
        ("broken/x.go", &["alice", "bob"], &["alice", "bob"], ""),
    ];
    for (file, all, leaf, dir) in cases {
        assert_eq!(
            owners.approvers(file).set(),
            set(all),
            "approvers of {file}"
        );
        assert_eq!(
            owners.leaf_approvers(file),
            set(leaf),
            "leaf approvers of {file}"
        );
        assert_eq!(
            owners.find_approver_owners_for_file(file),
            dir,
            "dir of {file}"
        );
    }
}

#[test]
fn reviewers_labels_and_options() {
    let owners = owners();
    assert_eq!(
        owners.reviewers("pkg/api/types.go").set(),
        set(&["dana", "erin"])
    );
    assert_eq!(
        owners.reviewers("pkg/util/x.go").list(),
        ["pkg-rev", "carol"],
        "closest reviewers come first"
    );
    assert_eq!(
        owners.required_reviewers("pkg/x.go"),
        set(&["security-sam"])
    );
    assert_eq!(
        owners.labels_for_file("pkg/x.go"),
        set(&["area/pkg", "sig/testing"])
    );
    assert_eq!(
        owners.labels_for_file("docs/images/logo.png"),
        set(&["area/images", "sig/testing"])
    );
    assert!(owners.is_no_parent_owners("pkg/api"));
    assert!(!owners.is_no_parent_owners("pkg"));
    assert_eq!(owners.top_level_approvers(), set(&["alice", "bob"]));
    let problems: Vec<&str> = owners.problems().iter().map(|p| p.path.as_str()).collect();
    assert_eq!(problems, ["broken/OWNERS"]);
}

#[test]
fn custom_filenames_from_plugins_yaml() {
    let mut config = prow_config::Owners::default();
    config.filenames.insert(
        "org/repo".into(),
        prow_config::OwnersFilenames {
            owners: "CODEOWNERS_PROW".into(),
            owners_aliases: String::new(),
        },
    );
    let names = OwnersFilenames::for_repo(&config, "org", "repo");
    assert_eq!(names.owners, "CODEOWNERS_PROW");
    assert_eq!(names.owners_aliases, "OWNERS_ALIASES");
    assert_eq!(
        OwnersFilenames::for_repo(&config, "org", "other"),
        OwnersFilenames::default()
    );
    let files: BTreeMap<String, String> = [(
        "a/CODEOWNERS_PROW".to_string(),
        "approvers: [zed]\n".to_string(),
    )]
    .into();
    let owners = RepoOwners::from_files(&files, &names);
    assert_eq!(owners.approvers("a/b.go").set(), set(&["zed"]));
}

#[test]
fn approval_needs_every_owners_file() {
    let owners = owners();
    let files = vec![
        "pkg/util/strings.go".to_string(),
        "pkg/api/types.go".to_string(),
        "docs/guide.md".to_string(),
    ];
    let change = ChangeOwners::new(files.clone(), &owners, 7);
    // pkg/api has no_parent_owners, so it is not folded into pkg.
    assert_eq!(change.owners_set(), set(&["docs", "pkg", "pkg/api"]));

    let mut ap = Approvers::new(ChangeOwners::new(files.clone(), &owners, 7));
    ap.add_approver("pkg-pat", "https://c/1", false);
    assert_eq!(ap.unapproved_files(), set(&["docs", "pkg/api"]));
    assert!(!ap.is_approved());
    // A root approver covers pkg and docs, not pkg/api.
    ap.add_approver("Alice", "https://c/2", false);
    assert_eq!(ap.unapproved_files(), set(&["pkg/api"]));
    ap.add_approver("api-ann", "https://c/3", false);
    assert!(ap.is_approved());
    ap.remove_approver("api-ann");
    assert!(!ap.is_approved());

    // Suggestions cover what is left with the closest approvers.
    let ccs = ap.ccs();
    assert_eq!(ccs, ["api-ann"]);

    let links = MessageLinks {
        link_url: "https://github.com",
        command_help_link: "https://go.k8s.io/bot-commands",
        pr_process_link: "https://proc",
        org: "org",
        repo: "repo",
        branch: "main",
    };
    let message = approval_message(&ap, &links);
    assert!(message.starts_with("[APPROVALNOTIFIER] This PR is **NOT APPROVED**\n\nThis pull-request has been approved by: *<a href=\"https://c/2\" title=\"Approved\">Alice</a>*, *<a href=\"https://c/1\" title=\"Approved\">pkg-pat</a>*\n**Once this PR has been reviewed and has the lgtm label**, please assign [api-ann](https://github.com/api-ann) for approval."), "{message}");
    assert!(message.contains("- ~~[docs/OWNERS](https://github.com/org/repo/blob/main/docs/OWNERS)~~ [Alice]\n- ~~[pkg/OWNERS](https://github.com/org/repo/blob/main/pkg/OWNERS)~~ [Alice,pkg-pat]\n- **[pkg/api/OWNERS](https://github.com/org/repo/blob/main/pkg/api/OWNERS)**\n"), "{message}");
    assert!(
        message.ends_with("<!-- META={\"approvers\":[\"api-ann\"]} -->"),
        "{message}"
    );
}

#[test]
fn issue_requirement_and_no_issue() {
    let owners = owners();
    let files = vec!["main.go".to_string()];
    let mut ap = Approvers::new(ChangeOwners::new(files, &owners, 1));
    ap.require_issue = true;
    ap.add_approver("bob", "https://c/1", false);
    assert!(ap.are_files_approved());
    assert!(!ap.is_approved(), "an issue is required");
    ap.add_approver("bob", "https://c/2", true);
    assert!(ap.is_approved(), "no-issue by an approver bypasses it");
    // A later plain approval keeps the earlier no-issue one.
    ap.add_approver("bob", "https://c/3", false);
    assert!(ap.is_approved());
    let mut other = Approvers::new(ChangeOwners::new(vec!["main.go".into()], &owners, 1));
    other.require_issue = true;
    other.associated_issue = 42;
    other.add_approver("alice", "https://c/4", false);
    assert!(other.is_approved());
}

#[test]
fn no_files_is_never_approved() {
    let owners = owners();
    let mut ap = Approvers::new(ChangeOwners::new(Vec::new(), &owners, 1));
    ap.add_approver("alice", "https://c/1", false);
    assert!(!ap.is_approved());
}
