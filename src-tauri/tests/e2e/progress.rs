//! Progress over time in the window: two completed assessments of one pillar about one group (written by the
//! core before the app starts) → the Progress page shows the change and the trend chart; the compare view
//! gives the force deltas; the figures across the assessments (modes, pillar averages, the last 30 days); a goal
//! set from the later result's form, then a check-in on the Progress page.

use compilar_core::api::{AboutRequest, CompareRequest};
use compilar_core::{App, AppOptions};

use crate::window::{screenshot, Window};

struct Prepared {
    change: f64,
    goal_clarity: (f64, f64),
}

/// Two assessments of Group Prospects about "Product team": goal clarity 2 then 4, the rest 3.
fn prepare(dir: &std::path::Path) -> Prepared {
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let app = App::open_with(AppOptions::for_tests(&dir)).await.unwrap();
            let mut ids = Vec::new();
            for v in [2, 4] {
                let a = crate::common::completed(
                    &app,
                    "grpprosp",
                    "egalitarian",
                    &[("goal_clarity", v)],
                )
                .await;
                app.assessments()
                    .set_about(AboutRequest {
                        assessment_id: a.id.clone(),
                        group_label: Some("Product team".into()),
                        note: None,
                    })
                    .await
                    .unwrap();
                ids.push(a.id);
            }
            let c = app
                .progress()
                .compare(CompareRequest {
                    first: ids[0].clone(),
                    second: ids[1].clone(),
                })
                .await
                .unwrap();
            let gc = c.forces.iter().find(|f| f.force == "goal_clarity").unwrap();
            Prepared {
                change: c.change,
                goal_clarity: (gc.before.unwrap(), gc.after.unwrap()),
            }
        })
    })
    .join()
    .unwrap()
}

#[tokio::test]
async fn progress_trend_compare_and_a_goal_with_a_check_in() {
    let mut prepared = None;
    let Some(w) = Window::open_prepared("progress", |dir| prepared = Some(prepare(dir))).await
    else {
        return;
    };
    let p = prepared.unwrap();
    assert_eq!(p.goal_clarity, (25.0, 75.0));

    // Progress: one track for Product team, the change since the previous, and the chart with two points.
    w.nav("progress").await;
    w.until_count("[data-testid=track]", 1).await;
    let change = w.text("[data-testid=track-change]").await;
    assert_eq!(
        change,
        format!("+{} since the previous", p.change.round() as i64)
    );
    w.until_attr("[data-testid=trend-chart]", "data-points", "2")
        .await;
    w.css("[data-testid=trend-chart] canvas").await;
    let totals = w.text("[data-testid=progress-totals]").await;
    let totals = totals.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        totals.starts_with("2 completed 0 in progress 1 of 10 pillars covered"),
        "{totals}"
    );
    assert!(w
        .text("[data-testid=milestones]")
        .await
        .contains("Goal clarity up 50 points"));
    w.scroll_to("[data-testid=track]").await;
    screenshot("progress").await;

    // Across the assessments: both egalitarian, Group Prospects' average between its two scores, both in the
    // last 30 days and a bar chart of them.
    w.scroll_to("[data-testid=progress-analytics]").await;
    let modes = w.text("[data-testid=analytics-modes]").await;
    let modes = modes.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(modes.contains("Egalitarian 2 · 100%"), "{modes}");
    assert!(modes.contains("Hierarchical 0 · 0%"), "{modes}");
    let recent = w.text("[data-testid=analytics-30]").await;
    assert!(recent.starts_with("2 completed, average"), "{recent}");
    let pillars = w.text("[data-testid=analytics-pillars] tbody").await;
    assert!(pillars.contains("Group Prospects"), "{pillars}");
    w.css("[data-testid=analytics-days] canvas").await;
    screenshot("progress-analytics").await;

    // Compare: before and after, force by force.
    w.click("[data-testid=compare-latest]").await;
    let forces = w
        .until_text("[data-testid=compare-forces]", |t| {
            t.contains("Goal clarity")
        })
        .await;
    let rows = w.all("[data-testid=compare-forces] tbody tr").await;
    let mut goal_clarity = String::new();
    for r in rows {
        let mut cells = Vec::new();
        for td in r.find_all(fantoccini::Locator::Css("td")).await.unwrap() {
            cells.push(td.text().await.unwrap());
        }
        if cells[0] == "Goal clarity" {
            goal_clarity = cells.join(" ");
        }
    }
    assert_eq!(goal_clarity, "Goal clarity 25 75 +50 Improved", "{forces}");
    let sides = w.all("[data-testid=compare-side]").await;
    assert_eq!(sides.len(), 2);
    screenshot("compare").await;

    // A goal from the later result (opened from the compare view): the form proposes the weakest force and
    // the result's recommendation for it.
    let open = w
        .all("[data-testid=compare-side] [data-testid=open-result]")
        .await;
    open[1].click().await.unwrap();
    w.until_text("[data-testid=results-title]", |t| {
        t.contains("Group Prospects")
    })
    .await;
    w.scroll_to("[data-testid=result-goals]").await;
    w.click("[data-testid=set-goal]").await;
    w.fill(
        "[data-testid=goal-title]",
        "Everyone can say where we are heading",
    )
    .await;
    w.click("[data-testid=goal-save]").await;
    w.until_count("[data-testid=result-goals] [data-testid=goal]", 1)
        .await;
    screenshot("result-goal").await;

    // On Progress: check in.
    w.nav("progress").await;
    w.until_count("[data-testid=goal]", 1).await;
    w.click("[data-testid=checkin]").await;
    w.click("[data-testid=rating-4]").await;
    w.fill("[data-testid=checkin-note]", "Two weekly check-ins done")
        .await;
    w.click("[data-testid=checkin-save]").await;
    let checkins = w
        .until_text("[data-testid=checkins]", |t| {
            t.contains("Two weekly check-ins done")
        })
        .await;
    assert!(checkins.contains("Well"), "{checkins}");
    screenshot("goal-checkin").await;

    // The goal's own words can be changed in the window.
    w.click("[data-testid=goal-edit]").await;
    w.fill(
        "[data-testid=goal-edit-title]",
        "Everyone can name our next milestone",
    )
    .await;
    w.click("[data-testid=goal-edit-save]").await;
    w.until_text("[data-testid=goal] h3", |t| {
        t == "Everyone can name our next milestone"
    })
    .await;
    w.close().await;
}
