//! Parsing throughput of `prow_config::yaml::parse` over the kubernetes instance of the corpus:
//! every `*.yaml` under `kubernetes/test-infra/config` (about 8 MB).
//!
//! Run with `cargo bench -p prow-config --bench yaml_parse`; the corpus location is
//! `$PROW_CORPUS_DIR` or `shared/corpus/prow-configs` beside the checkout.

#![allow(missing_docs)]

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("PROW_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/prow-configs"),
    }
}

fn yaml_texts(dir: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                texts.push(text);
            }
        }
    }
    texts
}

fn parse_kubernetes_corpus(c: &mut Criterion) {
    let texts = yaml_texts(&corpus_dir().join("kubernetes/test-infra/config"));
    assert!(!texts.is_empty(), "corpus missing: set PROW_CORPUS_DIR");
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("yaml_parse");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("kubernetes_{}_files", texts.len()), |b| {
        b.iter(|| {
            for text in &texts {
                let parsed = prow_config::yaml::parse(text).expect("corpus file parses");
                std::hint::black_box(parsed);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, parse_kubernetes_corpus);
criterion_main!(benches);
