//! The in-memory cache every page and API answer is served from: all ProwJobs of the ProwJob
//! namespace, and an immutable [`Snapshot`] of the visible ones, newest first, rebuilt after
//! changes and swapped behind an `Arc` (readers never wait for writers).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use prow_api::ProwJob;

use crate::job_query::JobQuery;
use crate::job_record::CachedJob;
use crate::visibility::Visibility;

/// The visible ProwJobs at one moment, newest first (start time, else creation time; then
/// name).
#[derive(Debug, Default)]
pub struct Snapshot {
    jobs: Vec<Arc<CachedJob>>,
    repos: Vec<String>,
    job_names: Vec<String>,
    generation: u64,
}

/// One page of a filtered list.
#[derive(Debug)]
pub struct JobPage {
    /// Jobs matching the filters, on every page.
    pub total: usize,
    /// This page, 1-based.
    pub page: usize,
    /// Rows per page.
    pub per_page: usize,
    /// The rows of this page.
    pub jobs: Vec<Arc<CachedJob>>,
}

impl JobPage {
    /// Number of pages (at least 1).
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page).max(1)
    }
}

impl Snapshot {
    fn build(
        all: &HashMap<String, Arc<CachedJob>>,
        visibility: &Visibility,
        generation: u64,
    ) -> Self {
        let mut jobs: Vec<Arc<CachedJob>> = all
            .values()
            .filter(|j| visibility.shows(&j.record))
            .cloned()
            .collect();
        // names are unique: an unstable sort gives the same order
        jobs.sort_unstable_by(|a, b| {
            b.record
                .start_or_created()
                .cmp(&a.record.start_or_created())
                .then_with(|| a.record.name.cmp(&b.record.name))
        });
        let repos: BTreeSet<(&str, &str)> = jobs
            .iter()
            .filter(|j| !j.record.org.is_empty())
            .map(|j| (j.record.org.as_str(), j.record.repo.as_str()))
            .collect();
        let repos = repos
            .into_iter()
            .map(|(org, repo)| format!("{org}/{repo}"))
            .collect();
        let job_names: BTreeSet<&str> = jobs.iter().map(|j| j.record.job.as_str()).collect();
        let job_names = job_names.into_iter().map(str::to_string).collect();
        Snapshot {
            jobs,
            repos,
            job_names,
            generation,
        }
    }

    /// Every visible job, newest first.
    pub fn jobs(&self) -> &[Arc<CachedJob>] {
        &self.jobs
    }

    /// Number of visible jobs.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether no job is visible.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Every `org/repo` of a visible job, sorted.
    pub fn repos(&self) -> &[String] {
        &self.repos
    }

    /// Every job name of a visible job, sorted.
    pub fn job_names(&self) -> &[String] {
        &self.job_names
    }

    /// Increases with every rebuild.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The page of jobs `query` asks for.
    pub fn page(&self, query: &JobQuery) -> JobPage {
        let skip = (query.page - 1).saturating_mul(query.per_page);
        let mut total = 0;
        let mut jobs = Vec::with_capacity(query.per_page.min(self.jobs.len()));
        for job in &self.jobs {
            if query.matches(&job.record) {
                if total >= skip && jobs.len() < query.per_page {
                    jobs.push(Arc::clone(job));
                }
                total += 1;
            }
        }
        JobPage {
            total,
            page: query.page,
            per_page: query.per_page,
            jobs,
        }
    }
}

#[derive(Debug, Default)]
struct Contents {
    all: HashMap<String, Arc<CachedJob>>,
    visibility: Visibility,
    dirty: bool,
    generation: u64,
}

#[derive(Debug, Default)]
struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    contents: Mutex<Contents>,
}

/// The cache; cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct JobCache {
    shared: Arc<Shared>,
}

impl JobCache {
    /// An empty cache applying `visibility`.
    pub fn new(visibility: Visibility) -> Self {
        let cache = JobCache::default();
        cache.contents().visibility = visibility;
        cache
    }

    /// A cache holding `jobs` (for tests, examples and benchmarks).
    pub fn with_jobs(visibility: Visibility, jobs: impl IntoIterator<Item = ProwJob>) -> Self {
        let cache = JobCache::new(visibility);
        cache.replace_all(jobs.into_iter().map(CachedJob::new));
        cache
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        let guard = self
            .shared
            .snapshot
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(&guard)
    }

    /// The visible ProwJob named `name`, as last published (a job changed since is seen in
    /// its newest version).
    pub fn get(&self, name: &str) -> Option<Arc<CachedJob>> {
        let contents = self.contents();
        contents
            .all
            .get(name)
            .filter(|j| contents.visibility.shows(&j.record))
            .cloned()
    }

    /// Replaces every job (a complete list) and publishes a new snapshot.
    pub fn replace_all(&self, jobs: impl IntoIterator<Item = CachedJob>) {
        let mut contents = self.contents();
        contents.all = jobs
            .into_iter()
            .map(|j| (j.record.name.clone(), Arc::new(j)))
            .collect();
        contents.dirty = true;
        self.publish_locked(&mut contents);
    }

    /// Adds or replaces one job; visible after the next [`JobCache::publish`].
    pub fn upsert(&self, job: CachedJob) {
        let mut contents = self.contents();
        contents.all.insert(job.record.name.clone(), Arc::new(job));
        contents.dirty = true;
    }

    /// Removes one job; gone after the next [`JobCache::publish`].
    pub fn remove(&self, name: &str) {
        let mut contents = self.contents();
        if contents.all.remove(name).is_some() {
            contents.dirty = true;
        }
    }

    /// Changes the hiding rules and publishes a new snapshot when they differ.
    pub fn set_visibility(&self, visibility: Visibility) {
        let mut contents = self.contents();
        if contents.visibility != visibility {
            contents.visibility = visibility;
            contents.dirty = true;
            self.publish_locked(&mut contents);
        }
    }

    /// Publishes a new snapshot if anything changed since the last one.
    pub fn publish(&self) {
        let mut contents = self.contents();
        self.publish_locked(&mut contents);
    }

    /// Number of cached ProwJobs, hidden ones included.
    pub fn cached_count(&self) -> usize {
        self.contents().all.len()
    }

    fn publish_locked(&self, contents: &mut Contents) {
        if !contents.dirty {
            return;
        }
        contents.dirty = false;
        contents.generation += 1;
        let snapshot = Arc::new(Snapshot::build(
            &contents.all,
            &contents.visibility,
            contents.generation,
        ));
        *self
            .shared
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = snapshot;
    }

    fn contents(&self) -> std::sync::MutexGuard<'_, Contents> {
        self.shared
            .contents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use prow_api::{ProwJobSpec, ProwJobState, ProwJobStatus, ProwJobType};

    fn job(name: &str, job: &str, started_secs: i64, hidden: bool) -> ProwJob {
        let mut spec = ProwJobSpec::new(ProwJobType::Periodic, job);
        spec.hidden = hidden;
        let mut pj = ProwJob::new(name, spec);
        let mut status = ProwJobStatus::new(ProwJobState::Success);
        status.start_time = Some(Time(
            jiff::Timestamp::from_second(1_700_000_000 + started_secs).expect("time"),
        ));
        pj.status = Some(status);
        pj
    }

    fn names(page: &JobPage) -> Vec<&str> {
        page.jobs.iter().map(|j| j.record.name.as_str()).collect()
    }

    #[test]
    fn newest_first_paged_and_hidden_left_out() {
        let cache = JobCache::with_jobs(
            Visibility::default(),
            [
                job("a", "ci-a", 10, false),
                job("b", "ci-b", 30, false),
                job("c", "ci-a", 20, false),
                job("h", "ci-a", 40, true),
                job("d", "ci-a", 20, false),
            ],
        );
        let snapshot = cache.snapshot();
        let query = |pairs: &[(&str, &str)]| {
            JobQuery::from_params(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
            .expect("query")
        };
        let all = snapshot.page(&query(&[]));
        assert_eq!(names(&all), ["b", "c", "d", "a"]);
        let page2 = snapshot.page(&query(&[("per_page", "3"), ("page", "2")]));
        assert_eq!(
            (names(&page2), page2.total, page2.pages()),
            (vec!["a"], 4, 2)
        );
        let filtered = snapshot.page(&query(&[("job", "ci-a"), ("per_page", "2")]));
        assert_eq!((names(&filtered), filtered.total), (vec!["c", "d"], 3));
        let beyond = snapshot.page(&query(&[("page", "9")]));
        assert_eq!((beyond.jobs.len(), beyond.total), (0, 4));
        assert!(cache.get("h").is_none(), "hidden job is not served");
        assert!(cache.get("a").is_some());
        assert_eq!(snapshot.repos().len(), 0);
        assert_eq!(snapshot.job_names(), ["ci-a", "ci-b"]);
        assert_eq!(cache.cached_count(), 5);
    }

    #[test]
    fn changes_appear_on_publish_only() {
        let cache = JobCache::with_jobs(Visibility::default(), [job("a", "ci-a", 1, false)]);
        let before = cache.snapshot();
        cache.upsert(CachedJob::new(job("b", "ci-b", 2, false)));
        cache.remove("a");
        assert_eq!(cache.snapshot().len(), 1);
        assert_eq!(cache.snapshot().jobs()[0].record.name, "a");
        cache.publish();
        let after = cache.snapshot();
        let names: Vec<&str> = after
            .jobs()
            .iter()
            .map(|j| j.record.name.as_str())
            .collect();
        assert_eq!(names, ["b"]);
        assert!(after.generation() > before.generation());
        assert_eq!(
            before.len(),
            1,
            "an old snapshot stays intact for its readers"
        );
    }

    #[test]
    fn visibility_change_republishes() {
        let mut hidden_repo = job("r", "pull", 1, false);
        hidden_repo.spec.refs = Some(prow_api::Refs {
            org: "secret".into(),
            repo: "x".into(),
            ..prow_api::Refs::default()
        });
        let cache = JobCache::with_jobs(Visibility::default(), [hidden_repo]);
        assert_eq!(cache.snapshot().len(), 1);
        cache.set_visibility(Visibility::new(["secret".to_string()]));
        assert_eq!(cache.snapshot().len(), 0);
    }
}
