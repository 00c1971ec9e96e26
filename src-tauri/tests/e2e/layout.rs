//! Every page (18 views) in the real window at the smallest useful size (900×700, just above the 880 px minimum) and a
//! large one (1600×1000), in the light and the dark theme: no sideways scrolling, nothing pushed out of the
//! window or clipped, a screenshot of each for review, and an accessibility check (axe-core, WCAG 2 A and AA)
//! with no serious or critical violation. Then the keyboard alone takes an assessment from Ctrl+N to the
//! results.

use std::time::Duration;

use compilar_core::api::{AnswerRequest, StartProfileRequest};
use compilar_core::{App, AppOptions};
use fantoccini::key::Key;

use crate::window::{screenshot, until, Window};

/// A full profile with its first pillar done, two full results of one pillar (to compare), a first reading
/// (3 of 12 answered) and one in progress (created in that order: History lists them newest first).
fn prepare(dir: &std::path::Path) {
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let app = App::open_with(AppOptions::for_tests(&dir)).await.unwrap();
            let first = app
                .full_profiles()
                .start(StartProfileRequest {
                    mode: "hierarchical".into(),
                    group_label: Some("Leadership team".into()),
                    note: None,
                    round_id: None,
                })
                .await
                .unwrap();
            for q in &first.questions {
                app.assessments()
                    .answer(AnswerRequest {
                        assessment_id: first.id.clone(),
                        question_id: q.id.clone(),
                        value: 4,
                    })
                    .await
                    .unwrap();
            }
            app.assessments().complete(&first.id).await.unwrap();
            crate::common::completed(
                &app,
                "grpprosp",
                "egalitarian",
                &[("goal_clarity", 3), ("shared_vision", 2)],
            )
            .await;
            crate::common::completed(
                &app,
                "grpprosp",
                "egalitarian",
                &[
                    ("goal_clarity", 5),
                    ("shared_vision", 2),
                    ("future_confidence", 4),
                ],
            )
            .await;
            for (pillar, mode, n, complete) in [
                ("status", "hierarchical", 3, true),
                ("divsexp", "egalitarian", 4, false),
            ] {
                let a = crate::common::create(&app, pillar, mode).await;
                for q in a.questions.iter().take(n) {
                    app.assessments()
                        .answer(AnswerRequest {
                            assessment_id: a.id.clone(),
                            question_id: q.id.clone(),
                            value: 2,
                        })
                        .await
                        .unwrap();
                }
                if complete {
                    app.assessments().complete(&a.id).await.unwrap();
                }
            }
        })
    })
    .join()
    .unwrap();
}

/// What overflows: the page's scroll width against the window's, and up to ten elements that reach past
/// the window's edges or are cut off by their box (outside scroll containers, which scroll on purpose).
const LAYOUT_CHECK: &str = r#"
const vw = document.documentElement.clientWidth;
const sw = document.documentElement.scrollWidth;
const name = (el) => el.tagName.toLowerCase() + (el.dataset.testid ? `[${el.dataset.testid}]` : "") +
  (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
  ` "${(el.textContent || "").trim().slice(0, 40)}"`;
const scrolls = (el) => {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === "auto" || o === "scroll") return true;
  }
  return false;
};
const bad = [];
for (const el of document.querySelectorAll("main *")) {
  const r = el.getBoundingClientRect();
  if (r.width < 2 || r.height < 2 || el.closest("dialog:not([open])") || scrolls(el)) continue;
  if (r.right > vw + 1 || r.left < -1) bad.push("outside the window: " + name(el));
  const cs = getComputedStyle(el);
  if ((cs.overflowX === "hidden" || cs.overflowX === "clip") && cs.textOverflow !== "ellipsis" &&
      el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1 && (el.textContent || "").trim() !== "") {
    bad.push("text cut off: " + name(el));
  }
}
return { vw, sw, bad: bad.slice(0, 10) };
"#;

/// axe-core's WCAG 2 A/AA rules on the page as it is; the serious and critical violations.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] }, resultTypes: ["violations"] })
  .then((r) => done(r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`)))
  .catch((e) => done(["axe failed: " + e]));
"#;

async fn axe_loaded(w: &Window) -> bool {
    w.c.execute("return typeof axe !== 'undefined';", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false)
}

async fn inject_axe(w: &Window) {
    if axe_loaded(w).await {
        return;
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ui/node_modules/axe-core/axe.min.js"
    );
    let source =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e} (run npm ci in ui/)"));
    w.c.execute(&source, vec![]).await.unwrap();
    assert!(axe_loaded(w).await, "axe-core did not load");
}

/// Opens one page by what a user clicks; waits for its heading.
async fn open(w: &Window, page: &str) {
    match page {
        "quiz" => {
            w.nav("history").await;
            w.click("[data-testid=history-item]:nth-child(1) .open")
                .await;
            w.css("[data-testid=question]").await;
        }
        "results" | "results-first-reading" => {
            w.nav("history").await;
            let n = if page == "results" { 3 } else { 2 };
            w.click(&format!("[data-testid=history-item]:nth-child({n}) .open"))
                .await;
            w.css("[data-testid=results]").await;
        }
        "compare" => {
            w.nav("progress").await;
            w.click("[data-testid=compare-latest]").await;
            w.css("[data-testid=compare-side]").await;
        }
        "profile" => {
            w.nav("progress").await;
            w.click("[data-testid=full-profiles] button").await;
            w.css("[data-testid=profile-pillars]").await;
        }
        "knowledge" => {
            w.nav("knowledge").await;
            w.fill(
                "[data-testid=kb-query]",
                "people are afraid to disagree with the boss",
            )
            .await;
            w.click("[data-testid=kb-search]").await;
            w.css("[data-testid=kb-hit]").await;
        }
        "advanced-playground" | "advanced-usage" => {
            w.nav("advanced").await;
            w.click(&format!(
                "[data-testid=advanced-tab-{}]",
                page.trim_start_matches("advanced-")
            ))
            .await;
        }
        other => w.nav(other).await,
    }
    w.css("main h1").await;
    // Let lists and charts load and the page settle.
    tokio::time::sleep(Duration::from_millis(350)).await;
}

const PAGES: &[&str] = &[
    "home",
    "select",
    "quiz",
    "results",
    "results-first-reading",
    "history",
    "progress",
    "compare",
    "profile",
    "coach",
    "knowledge",
    "documents",
    "tools",
    "settings",
    "account",
    "teams",
    "advanced",
    "advanced-playground",
    "advanced-usage",
];

pub async fn set_theme(w: &Window, theme: &str) {
    w.nav("settings").await;
    w.click(&format!("[data-testid=theme-{theme}]")).await;
    until(&format!("the {theme} theme"), || async {
        let t =
            w.c.execute("return document.documentElement.dataset.theme;", vec![])
                .await
                .ok()?;
        (t.as_str() == Some(theme)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn every_page_at_two_sizes_in_both_themes_and_accessible() {
    let Some(w) = Window::open_prepared("layout", prepare).await else {
        return;
    };
    let mut problems = Vec::new();
    for theme in ["light", "dark"] {
        set_theme(&w, theme).await;
        for (width, height) in [(900u32, 700u32), (1600, 1000)] {
            w.c.set_window_rect(0, 0, width, height).await.unwrap();
            until("the new window size", || async {
                let vw =
                    w.c.execute("return window.innerWidth;", vec![])
                        .await
                        .ok()?;
                (vw.as_u64()? == u64::from(width)).then_some(())
            })
            .await;
            for page in PAGES {
                open(&w, page).await;
                let r = w.c.execute(LAYOUT_CHECK, vec![]).await.unwrap();
                let (vw, sw) = (r["vw"].as_u64().unwrap(), r["sw"].as_u64().unwrap());
                if sw > vw {
                    problems.push(format!(
                        "{page} at {width}×{height} ({theme}) scrolls sideways: {sw} px wide in {vw}"
                    ));
                }
                for b in r["bad"].as_array().unwrap() {
                    problems.push(format!("{page} at {width}×{height} ({theme}): {b}"));
                }
                screenshot(&format!("layout-{page}-{width}-{theme}")).await;
                if width == 900 {
                    inject_axe(&w).await;
                    let v = w.c.execute_async(AXE_RUN, vec![]).await.unwrap();
                    for x in v.as_array().unwrap() {
                        problems.push(format!(
                            "{page} ({theme}) accessibility: {}",
                            x.as_str().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    w.close().await;
}

fn k(key: Key) -> String {
    char::from(key).to_string()
}

/// Presses `key` on whatever has focus.
async fn press(w: &Window, key: &str) {
    w.c.active_element()
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
}

async fn focused_testid(w: &Window) -> String {
    w.c.execute(
        "return document.activeElement ? (document.activeElement.dataset.testid || document.activeElement.tagName) : '';",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Tab until the focused element's test id is `want`, or starts with it when it ends in `-` (at most 40
/// presses).
async fn tab_to(w: &Window, want: &str) -> String {
    for _ in 0..40 {
        let id = focused_testid(w).await;
        if id == want || (want.ends_with('-') && id.starts_with(want)) {
            return id;
        }
        press(w, &k(Key::Tab)).await;
    }
    panic!(
        "Tab never reached {want} (now on {})",
        focused_testid(w).await
    );
}

#[tokio::test]
async fn the_keyboard_alone_takes_an_assessment() {
    let Some(w) = Window::open("keyboard_assessment").await else {
        return;
    };
    w.css("main h1").await;
    // Ctrl+N: a new assessment; focus moves to the page's heading.
    press(&w, &format!("{}n", k(Key::Control))).await;
    w.css("[data-testid=letter-prospects]").await;
    until("focus on the heading", || async {
        (focused_testid(&w).await == "H1").then_some(())
    })
    .await;
    tab_to(&w, "letter-prospects").await;
    press(&w, &k(Key::Enter)).await;
    tab_to(&w, "mode-egalitarian").await;
    press(&w, &k(Key::Enter)).await;
    tab_to(&w, "begin").await;
    press(&w, &k(Key::Enter)).await;
    w.css("[data-testid=question]").await;

    // Each question's answers are one Tab stop; → chooses the next answer, Enter goes on, and on the last
    // question Enter finishes.
    let total = 12;
    for i in 0..total {
        let id = tab_to(&w, "answer-").await;
        assert_eq!(
            id,
            "answer-1",
            "question {}: the group's stop is its first answer",
            i + 1
        );
        let question = w.attr("[data-testid=question]", "data-question-id").await;
        press(&w, &k(Key::Right)).await;
        press(&w, &k(Key::Right)).await;
        until("the answer chosen", || async {
            let checked = w.attr("[data-testid=answer-3]", "aria-checked").await?;
            (checked == "true" && focused_testid(&w).await == "answer-3").then_some(())
        })
        .await;
        // Still on the same question: arrows choose, they do not move on.
        assert_eq!(
            w.attr("[data-testid=question]", "data-question-id").await,
            question
        );
        press(&w, &k(Key::Enter)).await;
        if i + 1 < total {
            until("the next question", || async {
                let now = w.attr("[data-testid=question]", "data-question-id").await;
                (now != question).then_some(())
            })
            .await;
        }
    }
    let score = w.text("[data-testid=pillar-score]").await;
    assert_eq!(score.trim(), "50");
    // Focus lands on the result's heading (not the page body) once it has loaded, and the sidebar still says
    // where the person is: a new assessment, just finished.
    until("the result's heading focused", || async {
        (focused_testid(&w).await == "results-title").then_some(())
    })
    .await;
    assert_eq!(
        w.attr("[data-testid=nav-select]", "aria-current")
            .await
            .as_deref(),
        Some("page")
    );
    screenshot("keyboard-results").await;
    w.close().await;
}
