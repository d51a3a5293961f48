//! The Pod status a kubelet would write, computed from what the node agent knows about each
//! container (pure, so it is unit-tested without a cluster).

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ContainerState as ApiContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The address every Pod and the node report.
pub const LOOPBACK_IP: &str = "127.0.0.1";

/// One container's lifecycle as the node agent sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum ContainerPhase {
    /// Not started; `reason` says why (`PodInitializing`, `ContainerCreating`, ...).
    Waiting {
        /// Why it waits.
        reason: String,
    },
    /// Its process runs.
    Running {
        /// When it started.
        started_at: Timestamp,
    },
    /// It ended.
    Terminated {
        /// Exit code (128+N for signal N).
        exit_code: i32,
        /// `Completed`, `Error`, `OOMKilled`, `StartError`, ...
        reason: String,
        /// Extra detail.
        message: Option<String>,
        /// When it started, if it did.
        started_at: Option<Timestamp>,
        /// When it ended.
        finished_at: Timestamp,
    },
}

impl ContainerPhase {
    /// `Terminated` with reason `Completed` (exit 0) or `Error`.
    pub fn exited(exit_code: i32, started_at: Timestamp, finished_at: Timestamp) -> Self {
        ContainerPhase::Terminated {
            exit_code,
            reason: if exit_code == 0 { "Completed" } else { "Error" }.into(),
            message: None,
            started_at: Some(started_at),
            finished_at,
        }
    }

    fn is_terminated(&self) -> bool {
        matches!(self, ContainerPhase::Terminated { .. })
    }

    fn succeeded(&self) -> bool {
        matches!(self, ContainerPhase::Terminated { exit_code: 0, .. })
    }
}

/// A container's name, image and phase.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerRun {
    /// The container name.
    pub name: String,
    /// The image from the spec (never pulled).
    pub image: String,
    /// Where it is in its life.
    pub phase: ContainerPhase,
}

/// Everything the Pod status is computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct PodRun {
    /// When the agent accepted the Pod.
    pub start_time: Timestamp,
    /// Init containers, in spec order.
    pub init_containers: Vec<ContainerRun>,
    /// Main containers, in spec order.
    pub containers: Vec<ContainerRun>,
    /// A pod-level failure (`DeadlineExceeded`, ...) with its message.
    pub failure: Option<(String, String)>,
    /// When each condition type last changed, and to what.
    pub condition_times: BTreeMap<String, (bool, Timestamp)>,
}

impl PodRun {
    /// A new run where every container waits.
    pub fn new(
        start_time: Timestamp,
        init: &[(String, String)],
        main: &[(String, String)],
    ) -> Self {
        let waiting = |reason: &'static str| {
            move |(name, image): &(String, String)| ContainerRun {
                name: name.clone(),
                image: image.clone(),
                phase: ContainerPhase::Waiting {
                    reason: reason.into(),
                },
            }
        };
        let main_reason = if init.is_empty() {
            "ContainerCreating"
        } else {
            "PodInitializing"
        };
        Self {
            start_time,
            init_containers: init.iter().map(waiting("PodInitializing")).collect(),
            containers: main.iter().map(waiting(main_reason)).collect(),
            failure: None,
            condition_times: BTreeMap::new(),
        }
    }

    /// `Pending`, `Running`, `Succeeded` or `Failed`, as a kubelet with `restartPolicy: Never`
    /// decides it.
    pub fn phase(&self) -> &'static str {
        let init_failed = self
            .init_containers
            .iter()
            .any(|c| c.phase.is_terminated() && !c.phase.succeeded());
        if self.failure.is_some() || init_failed {
            return "Failed";
        }
        let initialized = self.init_containers.iter().all(|c| c.phase.succeeded());
        if !initialized {
            return "Pending";
        }
        if self.containers.iter().all(|c| c.phase.is_terminated()) {
            if self.containers.iter().all(|c| c.phase.succeeded()) {
                return "Succeeded";
            }
            return "Failed";
        }
        if self
            .containers
            .iter()
            .any(|c| matches!(c.phase, ContainerPhase::Running { .. }) || c.phase.is_terminated())
        {
            return "Running";
        }
        "Pending"
    }

    /// Whether the phase is terminal.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase(), "Succeeded" | "Failed")
    }

    /// Records the current conditions' transition times (call before [`PodRun::status`]).
    pub fn touch_conditions(&mut self, now: Timestamp) {
        for (kind, value) in self.condition_values() {
            let entry = self
                .condition_times
                .entry(kind.to_owned())
                .or_insert((value, now));
            if entry.0 != value {
                *entry = (value, now);
            }
        }
    }

    fn condition_values(&self) -> [(&'static str, bool); 4] {
        let finished = self.is_finished();
        let initialized = self.init_containers.iter().all(|c| c.phase.succeeded());
        let all_running = !finished
            && self
                .containers
                .iter()
                .all(|c| matches!(c.phase, ContainerPhase::Running { .. }));
        [
            ("PodScheduled", true),
            ("Initialized", initialized),
            ("ContainersReady", all_running),
            ("Ready", all_running),
        ]
    }

    /// The full Pod status.
    pub fn status(&self) -> PodStatus {
        let finished = self.is_finished();
        let conditions = self
            .condition_values()
            .into_iter()
            .map(|(kind, value)| PodCondition {
                type_: kind.to_owned(),
                status: if value { "True" } else { "False" }.to_owned(),
                last_transition_time: self
                    .condition_times
                    .get(kind)
                    .map(|(_, at)| Time(*at))
                    .or(Some(Time(self.start_time))),
                reason: condition_reason(kind, value, finished),
                ..PodCondition::default()
            })
            .collect();
        let (reason, message) = match &self.failure {
            Some((reason, message)) => (Some(reason.clone()), Some(message.clone())),
            None => (None, None),
        };
        PodStatus {
            phase: Some(self.phase().to_owned()),
            conditions: Some(conditions),
            host_ip: Some(LOOPBACK_IP.to_owned()),
            host_ips: Some(vec![HostIP {
                ip: LOOPBACK_IP.to_owned(),
            }]),
            pod_ip: Some(LOOPBACK_IP.to_owned()),
            pod_ips: Some(vec![PodIP {
                ip: LOOPBACK_IP.to_owned(),
            }]),
            start_time: Some(Time(self.start_time)),
            reason,
            message,
            init_container_statuses: (!self.init_containers.is_empty())
                .then(|| self.init_containers.iter().map(container_status).collect()),
            container_statuses: Some(self.containers.iter().map(container_status).collect()),
            ..PodStatus::default()
        }
    }
}

fn condition_reason(kind: &str, value: bool, finished: bool) -> Option<String> {
    if value {
        return None;
    }
    match kind {
        "Initialized" => Some("ContainersNotInitialized".to_owned()),
        "ContainersReady" | "Ready" if finished => Some("PodCompleted".to_owned()),
        "ContainersReady" | "Ready" => Some("ContainersNotReady".to_owned()),
        _ => None,
    }
}

fn container_status(run: &ContainerRun) -> ContainerStatus {
    let state = match &run.phase {
        ContainerPhase::Waiting { reason } => ApiContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: None,
            }),
            ..ApiContainerState::default()
        },
        ContainerPhase::Running { started_at } => ApiContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(Time(*started_at)),
            }),
            ..ApiContainerState::default()
        },
        ContainerPhase::Terminated {
            exit_code,
            reason,
            message,
            started_at,
            finished_at,
        } => ApiContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: *exit_code,
                reason: Some(reason.clone()),
                message: message.clone(),
                started_at: started_at.map(Time),
                finished_at: Some(Time(*finished_at)),
                ..ContainerStateTerminated::default()
            }),
            ..ApiContainerState::default()
        },
    };
    let running = matches!(run.phase, ContainerPhase::Running { .. });
    ContainerStatus {
        name: run.name.clone(),
        image: run.image.clone(),
        image_id: String::new(),
        container_id: (!matches!(run.phase, ContainerPhase::Waiting { .. }))
            .then(|| format!("prow-testkit://{}", run.name)),
        ready: running,
        started: Some(running),
        restart_count: 0,
        state: Some(state),
        ..ContainerStatus::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).expect("timestamp")
    }

    fn pair(name: &str) -> (String, String) {
        (name.to_owned(), "busybox".to_owned())
    }

    fn with(init: &[ContainerPhase], main: &[ContainerPhase]) -> PodRun {
        let init_names: Vec<_> = (0..init.len()).map(|i| pair(&format!("init{i}"))).collect();
        let main_names: Vec<_> = (0..main.len()).map(|i| pair(&format!("main{i}"))).collect();
        let mut run = PodRun::new(at(0), &init_names, &main_names);
        for (c, phase) in run.init_containers.iter_mut().zip(init) {
            c.phase = phase.clone();
        }
        for (c, phase) in run.containers.iter_mut().zip(main) {
            c.phase = phase.clone();
        }
        run
    }

    #[test]
    fn phase_follows_container_states() {
        let waiting = ContainerPhase::Waiting {
            reason: "PodInitializing".into(),
        };
        let running = ContainerPhase::Running { started_at: at(1) };
        let ok = ContainerPhase::exited(0, at(1), at(2));
        let failed = ContainerPhase::exited(3, at(1), at(2));
        let cases: Vec<(&str, Vec<ContainerPhase>, Vec<ContainerPhase>, &str)> = vec![
            ("nothing started", vec![], vec![waiting.clone()], "Pending"),
            (
                "init running",
                vec![running.clone()],
                vec![waiting.clone()],
                "Pending",
            ),
            (
                "init failed",
                vec![failed.clone()],
                vec![waiting.clone()],
                "Failed",
            ),
            (
                "main running",
                vec![ok.clone()],
                vec![running.clone()],
                "Running",
            ),
            (
                "one of two done",
                vec![],
                vec![ok.clone(), running.clone()],
                "Running",
            ),
            (
                "all succeeded",
                vec![ok.clone()],
                vec![ok.clone(), ok.clone()],
                "Succeeded",
            ),
            (
                "one failed",
                vec![],
                vec![ok.clone(), failed.clone()],
                "Failed",
            ),
        ];
        for (name, init, main, want) in cases {
            assert_eq!(with(&init, &main).phase(), want, "{name}");
        }
    }

    #[test]
    fn status_reports_exit_codes_conditions_and_addresses() {
        let mut run = with(&[], &[ContainerPhase::exited(3, at(1), at(2))]);
        run.touch_conditions(at(3));
        let status = run.status();
        assert_eq!(status.phase.as_deref(), Some("Failed"));
        assert_eq!(status.pod_ip.as_deref(), Some(LOOPBACK_IP));
        let terminated = status.container_statuses.expect("statuses")[0]
            .state
            .clone()
            .and_then(|s| s.terminated)
            .expect("terminated");
        assert_eq!(
            (terminated.exit_code, terminated.reason.as_deref()),
            (3, Some("Error"))
        );
        let ready = status
            .conditions
            .expect("conditions")
            .into_iter()
            .find(|c| c.type_ == "Ready")
            .expect("Ready");
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_deref()),
            ("False", Some("PodCompleted"))
        );
    }

    #[test]
    fn pod_level_failure_wins() {
        let mut run = with(&[], &[ContainerPhase::Running { started_at: at(1) }]);
        run.failure = Some(("DeadlineExceeded".into(), "too slow".into()));
        assert_eq!(run.phase(), "Failed");
        assert_eq!(run.status().reason.as_deref(), Some("DeadlineExceeded"));
    }
}
