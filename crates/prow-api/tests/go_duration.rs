//! `GoDuration` formats and parses exactly like Go's `time` package, checked against a table
//! that Go itself produced (tests/fixtures/go-durations.tsv, from gen-go-durations.go).

use prow_api::GoDuration;

#[test]
fn matches_go_time_package() {
    let table = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/go-durations.tsv"
    ))
    .expect("read go-durations.tsv");
    let (mut formats, mut parses) = (0, 0);
    for line in table.lines().filter(|line| !line.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["format", nanos, want] => {
                let nanos: i64 = nanos.parse().expect("nanoseconds");
                let duration = GoDuration::from_nanos(nanos);
                assert_eq!(duration.to_string(), *want, "format {nanos}");
                // What Go writes, Go (and we) read back to the same value.
                assert_eq!(GoDuration::parse(want).ok(), Some(duration), "parse {want}");
                formats += 1;
            }
            ["parse", input, "error"] => {
                assert!(
                    GoDuration::parse(input).is_err(),
                    "{input:?} must be rejected"
                );
                parses += 1;
            }
            ["parse", input, nanos] => {
                let nanos: i64 = nanos.parse().expect("nanoseconds");
                assert_eq!(
                    GoDuration::parse(input).map(GoDuration::as_nanos).ok(),
                    Some(nanos),
                    "parse {input:?}"
                );
                parses += 1;
            }
            other => panic!("malformed line {other:?}"),
        }
    }
    assert!(
        formats > 200 && parses > 20,
        "table too small: {formats} formats, {parses} parses"
    );
}
