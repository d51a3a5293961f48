//! A job's pod spec as the loaded configuration keeps it.
//!
//! Jobs are parsed into k8s-openapi's [`PodSpec`] (so presets can be merged and the spec
//! validated), then kept as compact JSON: the typed form is large (a `Volume` alone is over
//! 3 KB inline whatever it holds), and a long-running component holding thousands of jobs
//! only needs a job's spec when it starts that job.

use std::borrow::Cow;

use k8s_openapi::api::core::v1::PodSpec;

/// A job's pod spec: typed while the configuration loads, compact JSON afterwards.
#[derive(Clone, Debug)]
pub struct JobPodSpec {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    Typed(Box<PodSpec>),
    Compact(Box<str>),
}

impl JobPodSpec {
    /// Wraps a typed spec.
    pub fn new(spec: PodSpec) -> Self {
        JobPodSpec {
            repr: Repr::Typed(Box::new(spec)),
        }
    }

    /// Wraps a typed spec and stores it as compact JSON right away.
    pub fn compacted(spec: PodSpec) -> Self {
        let mut stored = JobPodSpec::new(spec);
        stored.compact();
        stored
    }

    /// The spec: borrowed while typed, decoded from its compact form otherwise.
    pub fn get(&self) -> Cow<'_, PodSpec> {
        match &self.repr {
            Repr::Typed(spec) => Cow::Borrowed(spec),
            Repr::Compact(json) => Cow::Owned(decode(json)),
        }
    }

    /// The spec, owned.
    pub fn to_pod_spec(&self) -> PodSpec {
        self.get().into_owned()
    }

    /// The typed spec for editing (decoded first when compact).
    pub fn typed_mut(&mut self) -> &mut PodSpec {
        if let Repr::Compact(json) = &self.repr {
            self.repr = Repr::Typed(Box::new(decode(json)));
        }
        match &mut self.repr {
            Repr::Typed(spec) => spec,
            Repr::Compact(_) => unreachable!("decoded just above"),
        }
    }

    /// Stores the spec as compact JSON (a no-op when it already is).
    pub fn compact(&mut self) {
        if let Repr::Typed(spec) = &self.repr {
            // A PodSpec holds only strings, numbers, maps and lists: it always serializes.
            if let Ok(json) = serde_json::to_string(spec) {
                self.repr = Repr::Compact(json.into_boxed_str());
            }
        }
    }

    /// Whether the spec is stored as compact JSON.
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Compact(_))
    }
}

impl From<PodSpec> for JobPodSpec {
    fn from(spec: PodSpec) -> Self {
        JobPodSpec::new(spec)
    }
}

impl PartialEq for JobPodSpec {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// Decodes JSON that [`JobPodSpec::compact`] wrote from a valid `PodSpec`.
fn decode(json: &str) -> PodSpec {
    serde_json::from_str(json)
        .unwrap_or_else(|e| unreachable!("a compacted pod spec always decodes ({e})"))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{Container, EnvVar, Volume};

    use super::*;

    fn spec() -> PodSpec {
        PodSpec {
            containers: vec![Container {
                name: "test".into(),
                image: Some("golang:1.26".into()),
                command: Some(vec!["make".into(), "test".into()]),
                env: Some(vec![EnvVar {
                    name: "GOFLAGS".into(),
                    value: Some("-mod=vendor".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            volumes: Some(vec![Volume {
                name: "cache".into(),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn compacting_keeps_the_spec_and_editing_decodes_it() {
        let mut stored = JobPodSpec::new(spec());
        assert!(!stored.is_compact());
        stored.compact();
        assert!(stored.is_compact());
        assert_eq!(stored.to_pod_spec(), spec());
        assert_eq!(stored, JobPodSpec::new(spec()));

        stored.typed_mut().containers[0].name = "renamed".into();
        assert!(!stored.is_compact());
        assert_eq!(stored.get().containers[0].name, "renamed");
        stored.compact();
        assert_eq!(stored.get().containers[0].name, "renamed");
    }
}
