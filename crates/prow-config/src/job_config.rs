//! The jobs of a Prow instance, indexed by repository.

use std::collections::BTreeMap;

use crate::jobs::{Periodic, Postsubmit, Preset, Presubmit};

/// Presets and jobs (Prow's `JobConfig`). Presubmits and postsubmits are keyed by `org/repo`
/// (or a Gerrit `host/repo`), so looking up one repository's jobs is a map lookup.
#[derive(Clone, Debug, Default)]
pub struct JobConfig {
    /// Presets, from every file, in load order.
    pub presets: Vec<Preset>,
    /// Presubmits per `org/repo`.
    pub presubmits: BTreeMap<String, Vec<Presubmit>>,
    /// Postsubmits per `org/repo`.
    pub postsubmits: BTreeMap<String, Vec<Postsubmit>>,
    /// Periodics.
    pub periodics: Vec<Periodic>,
    /// Decorate every job that does not set `decorate` itself.
    pub decorate_all_jobs: bool,
    pub(crate) periodic_index: std::collections::HashMap<String, usize>,
}

impl JobConfig {
    /// The presubmits of `org/repo` (empty when it has none).
    pub fn presubmits_for(&self, org_repo: &str) -> &[Presubmit] {
        self.presubmits.get(org_repo).map_or(&[], Vec::as_slice)
    }

    /// The postsubmits of `org/repo` (empty when it has none).
    pub fn postsubmits_for(&self, org_repo: &str) -> &[Postsubmit] {
        self.postsubmits.get(org_repo).map_or(&[], Vec::as_slice)
    }

    /// The periodic named `name`.
    pub fn periodic(&self, name: &str) -> Option<&Periodic> {
        // `periodics` is public and may have been edited since the index was built: trust the
        // index only when it still points at a job of that name.
        self.periodic_index
            .get(name)
            .and_then(|&i| self.periodics.get(i))
            .filter(|p| p.base.name == name)
            .or_else(|| self.periodics.iter().find(|p| p.base.name == name))
    }

    /// The presubmit of `org/repo` named `name`.
    pub fn presubmit(&self, org_repo: &str, name: &str) -> Option<&Presubmit> {
        self.presubmits_for(org_repo)
            .iter()
            .find(|p| p.base.name == name)
    }

    /// The postsubmit of `org/repo` named `name`.
    pub fn postsubmit(&self, org_repo: &str, name: &str) -> Option<&Postsubmit> {
        self.postsubmits_for(org_repo)
            .iter()
            .find(|p| p.base.name == name)
    }

    /// Periodics that clone `org/repo` through `extra_refs` (Prow's `PeriodicsMatchingExtraRefs`).
    pub fn periodics_with_extra_ref<'a>(
        &'a self,
        org: &'a str,
        repo: &'a str,
    ) -> impl Iterator<Item = &'a Periodic> + 'a {
        self.periodics.iter().filter(move |p| {
            p.base
                .utility_config
                .extra_refs
                .iter()
                .any(|r| r.org == org && r.repo == repo)
        })
    }

    /// Every presubmit with its `org/repo`.
    pub fn all_presubmits(&self) -> impl Iterator<Item = (&str, &Presubmit)> {
        self.presubmits
            .iter()
            .flat_map(|(repo, jobs)| jobs.iter().map(move |job| (repo.as_str(), job)))
    }

    /// Every postsubmit with its `org/repo`.
    pub fn all_postsubmits(&self) -> impl Iterator<Item = (&str, &Postsubmit)> {
        self.postsubmits
            .iter()
            .flat_map(|(repo, jobs)| jobs.iter().map(move |job| (repo.as_str(), job)))
    }

    pub(crate) fn rebuild_index(&mut self) {
        self.periodic_index = self
            .periodics
            .iter()
            .enumerate()
            .map(|(i, p)| (p.base.name.clone(), i))
            .collect();
    }
}
