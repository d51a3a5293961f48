//! The `[APPROVALNOTIFIER]` comment, word for word as Prow's `approvers.GetMessage`.

use super::approvers::Approvers;

/// The notification's name as it appears in brackets.
pub const APPROVAL_NOTIFIER: &str = "APPROVALNOTIFIER";

/// Where the message's links point.
#[derive(Debug, Clone)]
pub struct MessageLinks<'a> {
    /// GitHub's web base (`github.link_url`, default `https://github.com`).
    pub link_url: &'a str,
    /// `commandHelpLink`.
    pub command_help_link: &'a str,
    /// `pr_process_link`.
    pub pr_process_link: &'a str,
    /// Repository owner.
    pub org: &'a str,
    /// Repository name.
    pub repo: &'a str,
    /// The PR's base branch.
    pub branch: &'a str,
}

fn github_links(logins: &[String]) -> String {
    logins
        .iter()
        .map(|l| format!("[{l}](https://github.com/{l})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn owners_file_lines(ap: &Approvers<'_>, links: &MessageLinks<'_>) -> String {
    let base = format!(
        "{}/{}/{}",
        links.link_url.trim_end_matches('/'),
        links.org,
        links.repo
    );
    let owners_name = &ap.owners().repo_owners().filenames().owners;
    let files_approvers = ap.files_approvers();
    let unapproved = ap.unapproved_files();
    let mut out = String::new();
    for dir in ap.owners().owners_set() {
        let full = if dir.ends_with(".md") {
            dir.clone()
        } else if dir.is_empty() {
            owners_name.clone()
        } else {
            format!("{dir}/{owners_name}")
        };
        let link = format!("{base}/blob/{}/{full}", links.branch);
        let approvers: Vec<String> = files_approvers
            .get(&dir)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        if unapproved.contains(&dir) {
            if approvers.is_empty() {
                out.push_str(&format!("- **[{full}]({link})**\n"));
            } else {
                out.push_str(&format!(
                    "- **[{full}]({link})** [{}]\n  > Need more approvers for rest parts.\n",
                    approvers.join(",")
                ));
            }
        } else {
            out.push_str(&format!(
                "- ~~[{full}]({link})~~ [{}]\n",
                approvers.join(",")
            ));
        }
    }
    out
}

/// The full comment body: `[APPROVALNOTIFIER] This PR is **[NOT ]APPROVED**`, the approvals,
/// suggestions, the issue requirement, the OWNERS files and the machine-readable footer.
pub fn approval_message(ap: &Approvers<'_>, links: &MessageLinks<'_>) -> String {
    let manual = ap.manually_approved;
    let files_approved = ap.are_files_approved();
    let mut m = String::new();
    if !ap.requirements_met() && manual {
        m.push_str("\nApproval requirements bypassed by manually added approval.\n\n");
    }
    m.push_str("This pull-request has been approved by:");
    for (i, approval) in ap.approvals().iter().enumerate() {
        m.push_str(if i == 0 { " " } else { ", " });
        m.push_str(&approval.link());
    }
    if !files_approved && !manual {
        m.push('\n');
        let suggested = ap.suggested_ccs();
        let assigned = ap.assigned_ccs();
        let process = format!(
            "For more information see [the Code Review Process]({}).",
            links.pr_process_link
        );
        let once = "**Once this PR has been reviewed and has the lgtm label**";
        if !suggested.is_empty() {
            if !assigned.is_empty() {
                m.push_str(&format!(
                    "{once}, please ask for approval from {} and additionally assign {} for approval. {process}",
                    github_links(&assigned),
                    github_links(&suggested)
                ));
            } else {
                m.push_str(&format!(
                    "{once}, please assign {} for approval. {process}",
                    github_links(&suggested)
                ));
            }
        } else if !assigned.is_empty() {
            m.push_str(&format!(
                "{once}, please ask for approval from {}. {process}",
                github_links(&assigned)
            ));
        }
    }
    m.push_str("\n\n");
    if ap.require_issue {
        let no_issue = ap.no_issue_approvals();
        if ap.associated_issue != 0 {
            m.push_str(&format!("Associated issue: *#{}*\n\n", ap.associated_issue));
        } else if !no_issue.is_empty() {
            m.push_str("Associated issue requirement bypassed by:");
            for (i, approval) in no_issue.iter().enumerate() {
                m.push_str(if i == 0 { " " } else { ", " });
                m.push_str(&approval.link());
            }
            m.push_str("\n\n");
        } else if manual {
            m.push_str(
                "*No associated issue*. Requirement bypassed by manually added approval.\n\n",
            );
        } else {
            m.push_str("*No associated issue*. Update pull-request body to add a reference to an issue, or get approval with `/approve no-issue`\n\n");
        }
    }
    m.push_str(&format!(
        "The full list of commands accepted by this bot can be found [here]({}?repo={}%2F{}).\n\n",
        links.command_help_link, links.org, links.repo
    ));
    if files_approved || manual {
        m.push_str(&format!(
            "The pull request process is described [here]({})\n\n",
            links.pr_process_link
        ));
    }
    m.push_str(if !files_approved && !manual {
        "<details open>"
    } else {
        "<details >"
    });
    m.push_str("\nNeeds approval from an approver in each of these files:\n\n");
    m.push_str(&owners_file_lines(ap, links));
    m.push_str("\nApprovers can indicate their approval by writing `/approve` in a comment\nApprovers can cancel approval by writing `/approve cancel` in a comment\n</details>");
    let ccs = serde_json::to_string(&serde_json::json!({ "approvers": ap.ccs() }))
        .unwrap_or_else(|_| "{}".into());
    m.push_str(&format!("\n<!-- META={ccs} -->"));

    let title = if ap.is_approved() {
        "This PR is **APPROVED**"
    } else {
        "This PR is **NOT APPROVED**"
    };
    format!("[{APPROVAL_NOTIFIER}] {title}\n\n{}", m.trim())
}
