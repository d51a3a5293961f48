//! deck in a real headless browser (Debian's chromium driven through chromedriver) against
//! deck watching the real control plane: ProwJobs are created through the API server, deck
//! lists them from its watch cache, and every assertion is about what a user sees in the
//! browser. Without chromium these tests fail (install it with `hack/install-chromium.sh`).
//! Waits are failure bounds ([`BOUND`]), never timing assertions.

mod browser_support;

use std::collections::BTreeSet;

use browser_support::prowjobs::RunFixture;
use browser_support::webdriver::{Session, keys};
use browser_support::{BOUND, DeckWorld, HIDDEN_ORG};
use prow_api::ProwJobState;
use serde_json::{Value, json};

/// The job names in the list's rows, top to bottom. Read in one script, so a self-refresh
/// that replaces the rows meanwhile cannot leave stale element references.
async fn listed_jobs(browser: &Session) -> Vec<String> {
    let names = browser
        .execute(
            "return Array.from(document.querySelectorAll(\
             \"#job-rows tr[class^='row-'] td:nth-child(2) > a\")).map((a) => a.innerText.trim())",
            vec![],
        )
        .await
        .expect("job links");
    serde_json::from_value(names).expect("a list of names")
}

/// The rendered text of the list's rows (one script, see [`listed_jobs`]).
async fn rows_text(browser: &Session) -> String {
    let text = browser
        .execute(
            "return document.getElementById('job-rows').innerText",
            vec![],
        )
        .await
        .expect("rows text");
    text.as_str().expect("text").to_owned()
}

/// Waits until the list shows exactly `expected` (as a set) and returns it in page order.
async fn wait_for_listed(browser: &Session, expected: &[&str]) -> Vec<String> {
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    let result = browser
        .wait_until(BOUND, &format!("the list to show {expected:?}"), || async {
            let names = listed_jobs(browser).await;
            let set: BTreeSet<String> = names.iter().cloned().collect();
            Ok((set == expected).then_some(names))
        })
        .await;
    match result {
        Ok(names) => names,
        Err(e) => panic!("{e}; the list shows {:?}", listed_jobs(browser).await),
    }
}

fn visible_runs() -> Vec<RunFixture> {
    let mut unit = RunFixture::presubmit(
        "b1f0a7de-0001-4c52-8d5e-000000000001",
        "pull-widgets-unit",
        "acme",
        "widgets",
        101,
        "alice",
    );
    unit.state = ProwJobState::Failure;
    let mut lint = RunFixture::presubmit(
        "b1f0a7de-0002-4c52-8d5e-000000000002",
        "pull-widgets-lint",
        "acme",
        "widgets",
        102,
        "bob",
    );
    lint.started = unit.started - jiff::SignedDuration::from_mins(5);
    let mut nightly =
        RunFixture::periodic("b1f0a7de-0003-4c52-8d5e-000000000003", "ci-nightly-e2e");
    nightly.started = unit.started - jiff::SignedDuration::from_mins(30);
    let mut image = RunFixture::postsubmit(
        "b1f0a7de-0004-4c52-8d5e-000000000004",
        "post-widgets-image",
        "acme",
        "widgets",
    );
    image.state = ProwJobState::Pending;
    image.started = unit.started - jiff::SignedDuration::from_mins(1);
    vec![unit, lint, nightly, image]
}

fn hidden_runs() -> Vec<RunFixture> {
    let mut hidden = RunFixture::presubmit(
        "b1f0a7de-0005-4c52-8d5e-000000000005",
        "pull-widgets-hidden-secret",
        "acme",
        "widgets",
        103,
        "alice",
    );
    hidden.hidden = true;
    let private = RunFixture::presubmit(
        "b1f0a7de-0006-4c52-8d5e-000000000006",
        "pull-private-repo-unit",
        HIDDEN_ORG,
        "vault",
        7,
        "alice",
    );
    vec![hidden, private]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_shows_the_jobs_created_through_the_api_server_newest_first_without_hidden_ones() {
    let runs: Vec<RunFixture> = visible_runs().into_iter().chain(hidden_runs()).collect();
    let world = DeckWorld::start("deck-browser-list", &runs).await;
    world
        .browser
        .goto(&world.url("/"))
        .await
        .expect("open the list");

    let names = wait_for_listed(
        &world.browser,
        &[
            "pull-widgets-unit",
            "post-widgets-image",
            "pull-widgets-lint",
            "ci-nightly-e2e",
        ],
    )
    .await;
    assert_eq!(
        names,
        [
            "pull-widgets-unit",
            "post-widgets-image",
            "pull-widgets-lint",
            "ci-nightly-e2e"
        ],
        "newest first"
    );
    let source = world.browser.page_source().await.expect("page source");
    for absent in [
        "pull-widgets-hidden-secret",
        "pull-private-repo-unit",
        HIDDEN_ORG,
    ] {
        assert!(
            !source.contains(absent),
            "{absent} appears in the list page"
        );
    }
    // The state is visible per row (class and text), not only as a colour.
    let failed = world
        .browser
        .execute(
            "return Array.from(document.querySelectorAll('#job-rows tr.row-failure'))\
             .map((row) => row.innerText)",
            vec![],
        )
        .await
        .expect("failure rows");
    let failed: Vec<String> = serde_json::from_value(failed).expect("row texts");
    assert_eq!(failed.len(), 1, "one failed run: {failed:?}");
    assert!(
        failed[0].contains("pull-widgets-unit") && failed[0].to_lowercase().contains("fail"),
        "the row says it failed: {failed:?}"
    );

    // Searching for the hidden jobs by name through the filter finds nothing either.
    world
        .browser
        .goto(&world.url("/?job=pull-widgets-hidden-secret"))
        .await
        .expect("filtered list");
    assert!(listed_jobs(&world.browser).await.is_empty());
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_narrows_the_list_and_survives_a_reload_from_its_url() {
    let world = DeckWorld::start("deck-browser-filter", &visible_runs()).await;
    let browser = &world.browser;
    browser.goto(&world.url("/")).await.expect("open the list");
    wait_for_listed(
        browser,
        &[
            "pull-widgets-unit",
            "post-widgets-image",
            "pull-widgets-lint",
            "ci-nightly-e2e",
        ],
    )
    .await;

    // Pick "presubmit" in the type select and type an author, then submit like a user.
    let options = browser
        .find_all("form.filters select[name='type'] option")
        .await
        .expect("type options");
    let mut picked = false;
    for option in &options {
        if browser.text(option).await.expect("option text").trim() == "presubmit" {
            browser.click(option).await.expect("pick presubmit");
            picked = true;
            break;
        }
    }
    assert!(picked, "the type filter offers presubmit");
    let author = browser
        .find("form.filters input[name='author']")
        .await
        .expect("author field");
    browser
        .send_keys(&author, "bob")
        .await
        .expect("type author");
    browser
        .send_keys(&author, keys::ENTER)
        .await
        .expect("submit");

    let url = browser
        .wait_until(BOUND, "the filters in the URL", || async {
            let url = browser.current_url().await?;
            Ok((url.contains("author=bob") && url.contains("type=presubmit")).then_some(url))
        })
        .await
        .expect("filtered URL");
    wait_for_listed(browser, &["pull-widgets-lint"]).await;

    // A shared link: a fresh navigation to the URL shows the same rows and filter values.
    browser.goto("about:blank").await.expect("leave");
    browser.goto(&url).await.expect("open the shared link");
    wait_for_listed(browser, &["pull-widgets-lint"]).await;
    let author = browser
        .find("form.filters input[name='author']")
        .await
        .expect("author field");
    assert_eq!(
        browser.property(&author, "value").await.expect("value"),
        json!("bob")
    );
    let selected = browser
        .find("form.filters select[name='type']")
        .await
        .expect("type select");
    assert_eq!(
        browser.property(&selected, "value").await.expect("value"),
        json!("presubmit")
    );
    // And a reload keeps them too.
    browser.refresh().await.expect("reload");
    wait_for_listed(browser, &["pull-widgets-lint"]).await;
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_in_a_pr_title_renders_as_text_and_never_runs() {
    const TITLE: &str = "<script>window.__pwned=1</script>";
    const IMG: &str = "<img src=x onerror=\"window.__pwned=2\">";
    let mut evil = RunFixture::presubmit(
        "b1f0a7de-0007-4c52-8d5e-000000000007",
        "pull-widgets-unit",
        "acme",
        "widgets",
        666,
        "mallory",
    );
    evil.pull = Some((666, "mallory".into(), TITLE.into()));
    let mut evil_img = RunFixture::presubmit(
        "b1f0a7de-0008-4c52-8d5e-000000000008",
        "pull-widgets-lint",
        "acme",
        "widgets",
        667,
        "mallory",
    );
    evil_img.pull = Some((667, "mallory".into(), IMG.into()));
    let world = DeckWorld::start("deck-browser-xss", &[evil, evil_img]).await;
    let browser = &world.browser;
    browser.goto(&world.url("/")).await.expect("open the list");
    wait_for_listed(browser, &["pull-widgets-unit", "pull-widgets-lint"]).await;

    let shown = rows_text(browser).await;
    assert!(
        shown.contains(TITLE),
        "the title is shown as text: {shown:?}"
    );
    assert!(shown.contains(IMG), "the title is shown as text: {shown:?}");
    let scripts = browser
        .execute(
            "return Array.from(document.querySelectorAll('#job-rows script, #job-rows img')).length",
            vec![],
        )
        .await
        .expect("count injected elements");
    assert_eq!(scripts, json!(0), "no element was created from a title");
    let pwned = browser
        .execute("return typeof window.__pwned", vec![])
        .await
        .expect("read window.__pwned");
    assert_eq!(pwned, json!("undefined"));
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filter_form_is_reachable_and_usable_with_the_keyboard_alone() {
    let world = DeckWorld::start("deck-browser-keyboard", &visible_runs()).await;
    let browser = &world.browser;
    browser.goto(&world.url("/")).await.expect("open the list");
    wait_for_listed(
        browser,
        &[
            "pull-widgets-unit",
            "post-widgets-image",
            "pull-widgets-lint",
            "ci-nightly-e2e",
        ],
    )
    .await;

    // Tab from the top of the page until focus lands on the author field.
    let mut path = Vec::new();
    let mut reached = false;
    for _ in 0..40 {
        browser.press_keys(keys::TAB).await.expect("Tab");
        let focused: Value = browser
            .execute(
                "const e = document.activeElement; return {tag: e.tagName.toLowerCase(), \
                 name: e.getAttribute('name'), in_form: !!e.closest('form.filters')}",
                vec![],
            )
            .await
            .expect("focused element");
        path.push(format!("{}[{}]", focused["tag"], focused["name"]));
        if focused["in_form"] == json!(true) && focused["name"] == json!("author") {
            reached = true;
            break;
        }
    }
    assert!(
        reached,
        "Tab never reached the author filter; focus went {path:?}"
    );
    // Typing and Enter filter without touching the mouse.
    browser.press_keys("alice").await.expect("type");
    browser.press_keys(keys::ENTER).await.expect("Enter");
    browser
        .wait_until(BOUND, "author=alice in the URL", || async {
            Ok(browser
                .current_url()
                .await?
                .contains("author=alice")
                .then_some(()))
        })
        .await
        .expect("keyboard filter applied");
    wait_for_listed(browser, &["pull-widgets-unit"]).await;
    world.finish().await;
}

/// The visible text of the page's `<main>` (or body).
async fn page_text(browser: &Session) -> String {
    let main = match browser.find("main").await {
        Ok(main) => main,
        Err(_) => browser.find("body").await.expect("body"),
    };
    browser.text(&main).await.expect("page text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_jobs_page_shows_its_archived_build_log_and_a_hidden_jobs_page_shows_nothing() {
    const LOG: &str = "+ go test ./...\n\
\u{1b}[32mok\u{1b}[0m   acme/widgets/parse 0.42s\n\
\u{1b}[31m--- FAIL: TestWidgetSpin (0.01s)\u{1b}[0m\n\
    spin_test.go:17: <script>window.__pwned=3</script> expected 3 spins, got 2\n\
FAIL\tacme/widgets/spin\t0.02s\n";
    const SECRET_LOG: &str = "the hidden job's log: token-abc123\n";
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut failed = RunFixture::presubmit(
        "b1f0a7de-0009-4c52-8d5e-000000000009",
        "pull-widgets-unit",
        "acme",
        "widgets",
        101,
        "alice",
    );
    failed.state = ProwJobState::Failure;
    failed.build_id = "1790000000000000001".into();
    let started = failed.started.as_second();
    let finished = (failed.started + failed.duration).as_second();
    browser_support::store_run_files(
        dir.path(),
        &mut failed,
        &[
            ("build-log.txt", LOG),
            (
                "started.json",
                &format!(
                    r#"{{"timestamp":{started},"pull":"101","repos":{{"acme/widgets":"main:5a1d0c5e,101:9f8e7d6c"}}}}"#
                ),
            ),
            (
                "finished.json",
                &format!(r#"{{"timestamp":{finished},"passed":false,"result":"FAILURE"}}"#),
            ),
        ],
    );
    let mut hidden = hidden_runs().remove(0);
    hidden.build_id = "1790000000000000002".into();
    browser_support::store_run_files(dir.path(), &mut hidden, &[("build-log.txt", SECRET_LOG)]);
    let hidden_name = hidden.name.clone();
    let world = DeckWorld::start_in(dir, "deck-browser-job-page", &[failed, hidden]).await;
    let browser = &world.browser;

    // From the list, follow the job's link like a user.
    browser.goto(&world.url("/")).await.expect("open the list");
    wait_for_listed(browser, &["pull-widgets-unit"]).await;
    let link = browser
        .find("#job-rows tr[class^='row-'] td:nth-child(2) > a")
        .await
        .expect("job link");
    browser.click(&link).await.expect("open the job page");
    let text = match browser
        .wait_until(BOUND, "the build log on the job page", || async {
            let text = page_text(browser).await;
            Ok(text.contains("--- FAIL: TestWidgetSpin").then_some(text))
        })
        .await
    {
        Ok(text) => text,
        Err(e) => panic!("{e}; the page shows {:?}", page_text(browser).await),
    };
    assert!(text.contains("ok   acme/widgets/parse 0.42s"), "{text}");
    assert!(
        text.contains("<script>window.__pwned=3</script> expected 3 spins"),
        "a log line is text: {text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains("[31m") && !text.contains("[0m"),
        "ANSI codes are rendered, not shown: {text}"
    );
    assert!(text.contains("pull-widgets-unit"), "{text}");
    let pwned = browser
        .execute("return typeof window.__pwned", vec![])
        .await
        .expect("read window.__pwned");
    assert_eq!(pwned, json!("undefined"));
    // ANSI red becomes a colour: the failure line differs in colour from a plain line.
    let colours: Value = browser
        .execute(
            "const deepest = (text) => Array.from(document.querySelectorAll('main *'))\
               .filter((e) => e.textContent.includes(text)).pop();\
             const colour = (text) => { const e = deepest(text); \
               return e ? getComputedStyle(e).color : null; };\
             return [colour('--- FAIL: TestWidgetSpin'), colour('+ go test ./...')]",
            vec![],
        )
        .await
        .expect("colours of the log lines");
    assert!(
        colours[0].is_string() && colours[1].is_string() && colours[0] != colours[1],
        "the ANSI red line has its own colour: {colours}"
    );
    // Every line has a link to itself.
    let line_link = browser
        .find("main a[href='#L3']")
        .await
        .expect("a link to line 3");
    browser
        .click(&line_link)
        .await
        .expect("follow the line link");
    assert!(
        browser.current_url().await.expect("url").ends_with("#L3"),
        "the URL points at line 3"
    );

    // A hidden job's page exists for nobody, and its log never leaks.
    browser
        .goto(&world.url(&format!("/job/{hidden_name}")))
        .await
        .expect("open the hidden job's page");
    let text = page_text(browser).await;
    assert!(!text.contains("token-abc123"), "hidden log leaked: {text}");
    assert!(
        !text.contains("pull-widgets-hidden-secret"),
        "hidden job shown: {text}"
    );
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_picks_up_a_new_job_without_a_full_reload_and_keeps_its_title_inert() {
    const TITLE: &str = "<img src=x onerror=\"window.__pwned=4\"><script>window.__pwned=5</script>";
    let world = DeckWorld::start("deck-browser-refresh", &visible_runs()).await;
    let browser = &world.browser;
    browser.goto(&world.url("/")).await.expect("open the list");
    wait_for_listed(
        browser,
        &[
            "pull-widgets-unit",
            "post-widgets-image",
            "pull-widgets-lint",
            "ci-nightly-e2e",
        ],
    )
    .await;
    // A marker that a full page load would wipe out.
    browser
        .execute("window.__sameDocument = 'yes'; return null", vec![])
        .await
        .expect("set marker");

    let mut newer = RunFixture::presubmit(
        "b1f0a7de-0010-4c52-8d5e-000000000010",
        "pull-widgets-e2e",
        "acme",
        "widgets",
        104,
        "carol",
    );
    newer.pull = Some((104, "carol".into(), TITLE.into()));
    newer.state = ProwJobState::Pending;
    newer.started = jiff::Timestamp::now();
    newer
        .create(&world.prowjobs)
        .await
        .expect("create a new ProwJob");

    // The page refreshes on its own timer, and at once when the user comes back to the tab.
    let names = browser
        .wait_until(BOUND, "the new job in the list", || async {
            browser
                .execute(
                    "document.dispatchEvent(new Event('visibilitychange')); return null",
                    vec![],
                )
                .await?;
            let names = listed_jobs(browser).await;
            Ok(names
                .contains(&"pull-widgets-e2e".to_string())
                .then_some(names))
        })
        .await
        .expect("the list refreshed");
    assert_eq!(
        names.first().map(String::as_str),
        Some("pull-widgets-e2e"),
        "newest first"
    );
    let marker = browser
        .execute("return window.__sameDocument || null", vec![])
        .await
        .expect("read marker");
    assert_eq!(marker, json!("yes"), "the page was not reloaded");
    let shown = rows_text(browser).await;
    assert!(
        shown.contains(TITLE),
        "the refreshed title is text: {shown:?}"
    );
    let pwned = browser
        .execute("return typeof window.__pwned", vec![])
        .await
        .expect("read window.__pwned");
    assert_eq!(pwned, json!("undefined"));
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_width_screen_the_page_does_not_scroll_sideways_and_the_filters_fit() {
    let world = DeckWorld::start("deck-browser-phone", &visible_runs()).await;
    let browser = &world.browser;
    browser
        .set_window_size(390, 844)
        .await
        .expect("phone-sized window");
    browser.goto(&world.url("/")).await.expect("open the list");
    wait_for_listed(
        browser,
        &[
            "pull-widgets-unit",
            "post-widgets-image",
            "pull-widgets-lint",
            "ci-nightly-e2e",
        ],
    )
    .await;
    let layout: Value = browser
        .execute(
            "const form = document.querySelector('form.filters').getBoundingClientRect();\
             return {viewport: document.documentElement.clientWidth,\
                     page: document.documentElement.scrollWidth,\
                     form_right: Math.ceil(form.right)}",
            vec![],
        )
        .await
        .expect("layout");
    let viewport = layout["viewport"].as_f64().expect("viewport width");
    assert!(viewport <= 400.0, "the window is phone-sized: {layout}");
    assert!(
        layout["page"].as_f64().expect("page width") <= viewport,
        "the page scrolls sideways: {layout}"
    );
    assert!(
        layout["form_right"].as_f64().expect("form edge") <= viewport,
        "the filter form overflows: {layout}"
    );
    world.finish().await;
}
