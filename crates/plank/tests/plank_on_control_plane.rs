//! plank against the real control plane with the local node agent: ProwJobs become Pods
//! that really run, and their outcome becomes the ProwJob status.

mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use harness::{description, periodic, pod_names, presubmit, setup, state};
use kube::ResourceExt;
use kube::api::DeleteParams;
use prow_api::{ProwJobState, labels};
use prow_testkit::node_agent::{
    FAULT_ANNOTATION, FAULT_NEVER_BIND, FAULT_OOM_KILL, FAULT_STAY_PENDING,
};

#[tokio::test]
async fn jobs_run_as_pods_and_end_in_success_or_failure() {
    let setup = setup("plank-outcome", "").await;
    let plank = setup.start_plank();
    setup
        .create_job(
            "pass",
            presubmit(
                "pull-pass",
                7,
                "abc",
                "test \"$PULL_NUMBER\" = 7 && test \"$JOB_NAME\" = pull-pass",
            ),
            &[],
        )
        .await;
    setup
        .create_job("fail", periodic("ci-fail", "exit 3"), &[])
        .await;

    let pass = setup.wait_complete("pass").await;
    let fail = setup.wait_complete("fail").await;

    assert_eq!(
        state(&pass),
        Some(ProwJobState::Success),
        "{:?}",
        pass.status
    );
    assert_eq!(description(&pass), "Job succeeded.");
    assert_eq!(state(&fail), Some(ProwJobState::Failure));
    assert_eq!(description(&fail), "Job failed.");
    let status = pass.status.clone().expect("status");
    assert_eq!(status.pod_name, "pass");
    assert!(
        status.build_id.parse::<u64>().is_ok(),
        "{}",
        status.build_id
    );
    assert_eq!(
        status.url,
        format!(
            "https://prow.example.com/view/pull-pass/{}",
            status.build_id
        )
    );
    assert!(status.pending_time.is_some() && status.completion_time.is_some());
    let fail_id = fail.status.clone().expect("status").build_id;
    assert_ne!(fail_id, status.build_id);

    let pod = setup.pods.get("pass").await.expect("pod");
    let pod_labels = pod.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        pod_labels.get(labels::CREATED_BY_PROW).map(String::as_str),
        Some("true")
    );
    assert_eq!(
        pod_labels.get(labels::PROW_BUILD_ID),
        Some(&status.build_id)
    );
    assert_eq!(
        pod_labels.get(labels::REFS_PULL).map(String::as_str),
        Some("7")
    );
    let spec = pod.spec.expect("spec");
    assert_eq!(spec.containers[0].name, "test");
    assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
    assert_eq!(spec.automount_service_account_token, Some(false));

    let reasons = setup.event_reasons("pass").await;
    assert!(reasons.contains(&"PodCreated".to_owned()), "{reasons:?}");
    let reasons = setup.event_reasons("fail").await;
    assert!(reasons.contains(&"JobFailed".to_owned()), "{reasons:?}");
    let transitions = plank
        .metrics
        .transitions
        .get(&plank::metrics::TransitionLabels {
            from: "pending".into(),
            to: "success".into(),
        })
        .map_or(0, |c| c.get());
    assert_eq!(transitions, 1);
    plank.stop().await;
}

#[tokio::test]
async fn pods_that_never_schedule_or_start_hit_their_timeouts() {
    let plank_yaml =
        "  pod_unscheduled_timeout: 2s\n  pod_pending_timeout: 2s\n  pod_running_timeout: 3s\n";
    let setup = setup("plank-timeouts", plank_yaml).await;
    let plank = setup.start_plank();
    setup
        .create_job(
            "unscheduled",
            periodic("ci-a", "exit 0"),
            &[(FAULT_ANNOTATION, FAULT_NEVER_BIND)],
        )
        .await;
    setup
        .create_job(
            "stuck",
            periodic("ci-b", "exit 0"),
            &[(FAULT_ANNOTATION, FAULT_STAY_PENDING)],
        )
        .await;
    setup
        .create_job("slow", periodic("ci-c", "sleep 120"), &[])
        .await;

    // (job, state, description)
    let cases = [
        (
            "unscheduled",
            ProwJobState::Error,
            "Pod scheduling timeout.",
        ),
        ("stuck", ProwJobState::Error, "Pod pending timeout."),
        ("slow", ProwJobState::Aborted, "Pod running timeout."),
    ];
    for (name, want_state, want_description) in cases {
        let job = setup.wait_complete(name).await;
        assert_eq!(state(&job), Some(want_state), "{name}: {:?}", job.status);
        assert_eq!(description(&job), want_description, "{name}");
    }
    // timed-out Pods are deleted (the node agent kills their processes first)
    for _ in 0..300 {
        if setup.all_pods().await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pod_names(&setup.all_pods().await), Vec::<String>::new());
    plank.stop().await;
}

#[tokio::test]
async fn oom_kill_fails_the_job_with_an_event() {
    let setup = setup("plank-oom", "").await;
    let plank = setup.start_plank();
    setup
        .create_job(
            "oom",
            periodic("ci-oom", "exit 0"),
            &[(FAULT_ANNOTATION, FAULT_OOM_KILL)],
        )
        .await;
    let job = setup.wait_complete("oom").await;
    assert_eq!(state(&job), Some(ProwJobState::Failure));
    assert_eq!(description(&job), "Job failed.");
    let mut reasons = Vec::new();
    for _ in 0..100 {
        reasons = setup.event_reasons("oom").await;
        if reasons.contains(&"OOMKilled".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reasons.contains(&"OOMKilled".to_owned()), "{reasons:?}");
    plank.stop().await;
}

#[tokio::test]
async fn a_pod_deleted_under_a_running_job_errors_the_job() {
    let setup = setup("plank-deleted", "  max_revivals: 0\n").await;
    let plank = setup.start_plank();
    setup
        .create_job("victim", periodic("ci-victim", "sleep 120"), &[])
        .await;
    for _ in 0..600 {
        let running = setup
            .pods
            .get_opt("victim")
            .await
            .expect("get pod")
            .and_then(|p| p.status)
            .and_then(|s| s.phase)
            .is_some_and(|phase| phase == "Running");
        if running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    setup
        .pods
        .delete("victim", &DeleteParams::default())
        .await
        .expect("delete pod");
    let job = setup.wait_complete("victim").await;
    assert_eq!(state(&job), Some(ProwJobState::Error), "{:?}", job.status);
    assert!(
        description(&job).contains("deleted unexpectedly"),
        "{}",
        description(&job)
    );
    plank.stop().await;
}

/// Waits until the Pod `name` exists with a build id other than `not`, and returns it.
async fn wait_pod_build(setup: &harness::Setup, name: &str, not: &str) -> String {
    for _ in 0..600 {
        if let Some(pod) = setup.pods.get_opt(name).await.expect("get pod") {
            let build = pod
                .labels()
                .get(labels::PROW_BUILD_ID)
                .cloned()
                .unwrap_or_default();
            if build != not && pod.metadata.deletion_timestamp.is_none() {
                return build;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pod {name} did not appear");
}

#[tokio::test]
async fn a_vanished_pod_is_recreated_up_to_max_revivals() {
    let setup = setup("plank-revive", "  max_revivals: 1\n").await;
    let plank = setup.start_plank();
    // never bound, and deleted with grace period 0: the Pod is gone at once, without a
    // graceful-deletion phase, exactly like a Pod that vanished
    setup
        .create_job(
            "ghost",
            periodic("ci-ghost", "exit 0"),
            &[(FAULT_ANNOTATION, FAULT_NEVER_BIND)],
        )
        .await;
    let force = DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    };
    let first = wait_pod_build(&setup, "ghost", "").await;
    setup.pods.delete("ghost", &force).await.expect("delete");
    let second = wait_pod_build(&setup, "ghost", &first).await;
    let revived = setup.job("ghost").await.status.expect("status");
    assert_eq!(revived.state, ProwJobState::Pending);
    assert_eq!(revived.pod_revival_count, 1);
    assert_eq!(revived.build_id, second, "a new run gets a new build id");
    assert!(second.parse::<u64>().expect("id") > first.parse::<u64>().expect("id"));

    setup.pods.delete("ghost", &force).await.expect("delete");
    let job = setup.wait_complete("ghost").await;
    let status = job.status.clone().expect("status");
    assert_eq!(status.state, ProwJobState::Error, "{status:?}");
    assert_eq!(status.pod_revival_count, 1);
    assert!(
        status.description.contains("max_revivals: 1"),
        "{}",
        status.description
    );
    assert_eq!(plank.metrics.pods_created.get(), 2);
    plank.stop().await;
}

#[tokio::test]
async fn an_unknown_build_cluster_errors_the_job() {
    let setup = setup("plank-cluster", "").await;
    let plank = setup.start_plank();
    let mut spec = periodic("ci-elsewhere", "exit 0");
    spec.cluster = "build99".into();
    setup.create_job("elsewhere", spec, &[]).await;
    let job = setup.wait_complete("elsewhere").await;
    assert_eq!(state(&job), Some(ProwJobState::Error));
    assert!(
        description(&job).contains("unknown build cluster alias \"build99\""),
        "{}",
        description(&job)
    );
    assert!(setup.all_pods().await.is_empty());
    plank.stop().await;
}

/// Polls the jobs until all are complete, recording the most jobs pending at once.
async fn max_pending_until_done(setup: &harness::Setup, names: &[&str]) -> usize {
    let mut max_pending = 0;
    for _ in 0..1200 {
        let jobs = setup.all_jobs().await;
        let pending = jobs
            .iter()
            .filter(|j| state(j) == Some(ProwJobState::Pending))
            .count();
        max_pending = max_pending.max(pending);
        let done = names.iter().all(|name| {
            jobs.iter()
                .any(|j| j.name_any() == *name && j.is_complete())
        });
        if done {
            return max_pending;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("jobs did not finish");
}

#[tokio::test]
async fn max_concurrency_runs_one_at_a_time_oldest_first() {
    let setup = setup("plank-maxconc", "").await;
    let names = ["run-a", "run-b", "run-c"];
    for name in names {
        let mut spec = periodic("ci-serial", "sleep 1");
        spec.max_concurrency = 1;
        setup.create_job(name, spec, &[]).await;
        // distinct creation seconds: the order is by creation time
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let plank = setup.start_plank();
    let max_pending = max_pending_until_done(&setup, &names).await;
    assert_eq!(max_pending, 1);
    let mut started = Vec::new();
    for name in names {
        let job = setup.job(name).await;
        let status = job.status.expect("status");
        assert_eq!(status.state, ProwJobState::Success, "{name}");
        started.push((status.pending_time.expect("pending time").0, name));
    }
    started.sort();
    let order: Vec<&str> = started.iter().map(|(_, name)| *name).collect();
    assert_eq!(order, names);
    plank.stop().await;
}

#[tokio::test]
async fn a_job_queue_never_runs_more_than_its_capacity() {
    let setup = setup("plank-queue", "  job_queue_capacities:\n    gpu: 2\n").await;
    let names = ["q1", "q2", "q3", "q4", "q5"];
    for (index, name) in names.iter().enumerate() {
        let mut spec = periodic(&format!("ci-gpu-{index}"), "sleep 1");
        spec.job_queue_name = "gpu".into();
        setup.create_job(name, spec, &[]).await;
    }
    let plank = setup.start_plank();
    let max_pending = max_pending_until_done(&setup, &names).await;
    assert_eq!(max_pending, 2);
    for name in names {
        assert_eq!(
            state(&setup.job(name).await),
            Some(ProwJobState::Success),
            "{name}"
        );
    }
    plank.stop().await;
}

#[tokio::test]
async fn a_new_push_aborts_the_superseded_presubmit_without_a_report() {
    let setup = setup("plank-supersede", "").await;
    let plank = setup.start_plank();
    setup
        .create_job(
            "old-push",
            presubmit("pull-unit", 1, "aaa", "sleep 120"),
            &[],
        )
        .await;
    setup
        .wait_job("old-push", "pending", Duration::from_secs(60), |j| {
            state(j) == Some(ProwJobState::Pending)
        })
        .await;
    // same job, same PR, new head
    setup
        .create_job("new-push", presubmit("pull-unit", 1, "bbb", "exit 0"), &[])
        .await;
    // another PR is not affected
    setup
        .create_job("other-pr", presubmit("pull-unit", 2, "ccc", "exit 0"), &[])
        .await;

    let old = setup.wait_complete("old-push").await;
    let status = old.status.clone().expect("status");
    assert_eq!(status.state, ProwJobState::Aborted);
    assert_eq!(
        status.prev_report_states,
        BTreeMap::from([("github-reporter".to_owned(), ProwJobState::Aborted)])
    );
    for name in ["new-push", "other-pr"] {
        assert_eq!(
            state(&setup.wait_complete(name).await),
            Some(ProwJobState::Success),
            "{name}"
        );
    }
    for _ in 0..300 {
        if setup.pods.get_opt("old-push").await.expect("get").is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(setup.pods.get_opt("old-push").await.expect("get").is_none());
    plank.stop().await;
}

#[tokio::test]
async fn plank_killed_mid_burst_and_restarted_makes_no_duplicate_pod() {
    let setup = setup("plank-restart", "").await;
    let names: Vec<String> = (0..30).map(|i| format!("burst-{i:02}")).collect();
    for name in &names {
        setup
            .create_job(name, periodic("ci-burst", "sleep 1"), &[])
            .await;
    }
    let first = setup.start_plank();
    for _ in 0..600 {
        if setup.all_pods().await.len() >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();
    let second = setup.start_plank();
    for name in &names {
        let job = setup.wait_complete(name).await;
        let status = job.status.clone().expect("status");
        assert_eq!(status.state, ProwJobState::Success, "{name}: {status:?}");
        assert_eq!(status.pod_revival_count, 0, "{name}");
        let pod = setup.pods.get(name).await.expect("pod");
        assert_eq!(
            pod.labels().get(labels::PROW_BUILD_ID),
            Some(&status.build_id),
            "{name}: the job's build id is its only pod's"
        );
    }
    let pods = setup.all_pods().await;
    assert_eq!(pods.len(), names.len());
    let build_ids: BTreeSet<String> = setup
        .all_jobs()
        .await
        .iter()
        .filter_map(|j| j.status.as_ref().map(|s| s.build_id.clone()))
        .collect();
    assert_eq!(build_ids.len(), names.len(), "build ids are unique");
    second.stop().await;
}

#[tokio::test]
async fn only_the_leader_writes_and_a_new_leader_picks_up_every_job() {
    let setup = setup("plank-leader", "").await;
    let follower = setup.start_replica(false);
    setup
        .create_job("waiting", periodic("ci-wait", "exit 0"), &[])
        .await;
    // the follower's watches see the job, but it neither creates a Pod nor writes status
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(setup.all_pods().await.is_empty());
    assert_eq!(
        state(&setup.job("waiting").await),
        Some(ProwJobState::Triggered)
    );
    assert_eq!(follower.metrics.pods_created.get(), 0);

    follower.set_leading(true);
    let job = setup.wait_complete("waiting").await;
    assert_eq!(state(&job), Some(ProwJobState::Success));
    follower.stop().await;
}

#[tokio::test]
async fn an_existing_pod_of_the_job_is_adopted_not_duplicated() {
    let setup = setup("plank-adopt", "").await;
    setup
        .create_job("adoptee", periodic("ci-adopt", "exit 0"), &[])
        .await;
    // the Pod an earlier plank created before it could write the job's status
    let mut job = setup.job("adoptee").await;
    if let Some(status) = job.status.as_mut() {
        status.build_id = "1234567890".into();
    }
    let pod = plank::pod_builder::build_pod(&job, &setup.settings.prow, &Default::default())
        .expect("pod");
    setup
        .pods
        .create(&kube::api::PostParams::default(), &pod)
        .await
        .expect("create pod");

    let plank = setup.start_plank();
    let job = setup.wait_complete("adoptee").await;
    let status = job.status.expect("status");
    assert_eq!(status.state, ProwJobState::Success);
    assert_eq!(status.build_id, "1234567890");
    assert_eq!(plank.metrics.pods_created.get(), 0);
    plank.stop().await;
}

#[tokio::test]
async fn an_evicted_pod_is_revived_or_errors_the_job_with_error_on_eviction() {
    let setup = setup("plank-evict", "").await;
    let plank = setup.start_plank();
    let mut strict = periodic("ci-strict", "exit 0");
    strict.error_on_eviction = true;
    let never_bind = [(FAULT_ANNOTATION, FAULT_NEVER_BIND)];
    setup
        .create_job("evicted", periodic("ci-evicted", "exit 0"), &never_bind)
        .await;
    setup.create_job("strict", strict, &never_bind).await;
    let first = wait_pod_build(&setup, "evicted", "").await;
    wait_pod_build(&setup, "strict", "").await;
    // what the kubelet writes when it evicts a Pod
    let eviction = kube::api::Patch::Merge(serde_json::json!({
        "status": {"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}
    }));
    for name in ["evicted", "strict"] {
        setup
            .pods
            .patch_status(name, &kube::api::PatchParams::default(), &eviction)
            .await
            .expect("evict");
    }

    let job = setup.wait_complete("strict").await;
    assert_eq!(state(&job), Some(ProwJobState::Error));
    assert_eq!(description(&job), "Job pod was evicted by the cluster.");

    let second = wait_pod_build(&setup, "evicted", &first).await;
    let revived = setup
        .wait_job("evicted", "revived", Duration::from_secs(60), |j| {
            j.status.as_ref().is_some_and(|s| s.pod_revival_count == 1)
        })
        .await;
    let status = revived.status.expect("status");
    assert_eq!(status.state, ProwJobState::Pending);
    assert_eq!(status.build_id, second);
    plank.stop().await;
}
