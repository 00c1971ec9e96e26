//! A whole assessment: select a pillar and a mode, answer with mouse and keyboard, go back and change an
//! answer, finish, check the shown score against the core's scoring, read the offline coach's report (no
//! provider is set up) and open a cited passage, then delete and undo in History.

use std::collections::HashMap;

use compilar_core::domain::{score, Domain};
use fantoccini::Locator;

use crate::window::{screenshot, until, Window};

#[tokio::test]
async fn take_an_assessment() {
    let Some(w) = Window::open("take_an_assessment").await else {
        return;
    };

    // Home → pillar (Prospects) → mode (egalitarian: Group Prospects) → quiz.
    w.click("[data-testid=start]").await;
    w.click("[data-testid=letter-prospects]").await;
    w.click("[data-testid=mode-egalitarian]").await;
    screenshot("select").await;
    w.click("[data-testid=begin]").await;

    // Answer every question; the quiz moves on to the next unanswered one by itself.
    let mut given: HashMap<String, i64> = HashMap::new();
    for n in 1..=12 {
        let qid = until("an unanswered question", || async {
            let q =
                w.c.find(Locator::Css("[data-testid=question]"))
                    .await
                    .ok()?;
            let qid = q.attr("data-question-id").await.ok()??;
            (!given.contains_key(&qid)).then_some(qid)
        })
        .await;
        let value = (n % 5 + 1) as i64;
        if n == 6 {
            // Keyboard use: a digit answers the current question.
            w.c.active_element()
                .await
                .unwrap()
                .send_keys(&value.to_string())
                .await
                .unwrap();
        } else {
            w.click(&format!("[data-testid=answer-{value}]")).await;
        }
        given.insert(qid, value);
        let want = format!("{n} of 12 answered");
        w.until_text("[data-testid=progress-text]", |t| t == want)
            .await;
        if n == 7 {
            screenshot("quiz").await;
        }
    }

    // Go back one question and change its answer.
    w.click("[data-testid=prev]").await;
    let changed = w
        .attr("[data-testid=question]", "data-question-id")
        .await
        .unwrap();
    w.click("[data-testid=answer-1]").await;
    w.until_attr("[data-testid=answer-1]", "aria-checked", "true")
        .await;
    given.insert(changed, 1);
    assert_eq!(
        w.text("[data-testid=progress-text]").await,
        "12 of 12 answered"
    );

    // Finish → results, with the score the core's scoring gives for exactly these answers.
    w.click("[data-testid=finish]").await;
    let shown = w.text("[data-testid=pillar-score]").await;
    let domain = Domain::builtin().unwrap();
    let ids: Vec<String> = given.keys().cloned().collect();
    let expected = score(&domain, "grpprosp", &ids, &given).unwrap();
    assert_eq!(shown, format!("{}", expected.pillar_score.round() as i64));
    assert!(w
        .text("[data-testid=results-title]")
        .await
        .contains("Group Prospects"));
    assert_eq!(w.count("[data-testid=force-score]").await, 4);
    w.css("[data-testid=force-chart] canvas").await;
    // One block of next steps under the score; the page's length is printed.
    w.css("[data-testid=next-steps]").await;
    assert_eq!(
        w.count("[data-testid=next-steps] [data-testid=tips]").await,
        1
    );
    screenshot("results").await;

    // No provider is set up: the offline coach writes the report at once, labelled, with its citations.
    w.scroll_to("[data-testid=coach-report]").await;
    let by = w
        .until_text("[data-testid=report-writer]", |t| {
            t.starts_with("Written by")
        })
        .await;
    assert!(by.contains("the offline coach"), "{by}");
    assert!(w
        .text("[data-testid=report-notice]")
        .await
        .starts_with("No AI provider is set up"));
    // Folded to its summary; "Read the full report" unfolds the rest.
    let report = w.text("[data-testid=report-text]").await;
    let height =
        w.c.execute(
            "return Math.max(document.scrollingElement.scrollHeight, \
             document.querySelector('main')?.scrollHeight ?? 0);",
            vec![],
        )
        .await
        .unwrap();
    println!("e2e: the results page, report folded, is {height} px high");
    assert!(report.contains("Where to focus") && !report.contains("Questions to reflect on"));
    assert_eq!(
        w.count("[data-testid=source]").await,
        w.count("[data-testid=report-sources] li").await
    );
    w.click("[data-testid=report-unfold]").await;
    let report = w
        .until_text("[data-testid=report-text]", |t| {
            t.contains("Questions to reflect on")
        })
        .await;
    assert!(report.contains("Where to focus"));
    let cites = w.count("[data-testid=report-text] button.cite").await;
    assert!(cites >= 4, "{cites} citations");
    // Numbered in reading order: each new number is the next one.
    let mut first_seen: Vec<u32> = Vec::new();
    for b in w.all("[data-testid=report-text] button.cite").await {
        let n: u32 = b.attr("data-cite").await.unwrap().unwrap().parse().unwrap();
        if !first_seen.contains(&n) {
            first_seen.push(n);
        }
    }
    assert_eq!(
        first_seen,
        (1..=first_seen.len() as u32).collect::<Vec<_>>(),
        "citations in reading order"
    );
    assert_eq!(
        w.count("[data-testid=source]").await,
        w.count("[data-testid=report-sources] li").await
    );
    w.scroll_to("[data-testid=report-text] button.cite").await;
    w.click("[data-testid=report-text] button.cite").await;
    let passage = w.text("[data-testid=passage-text]").await;
    assert!(passage.len() > 100, "the cited passage in full: {passage}");
    screenshot("coach-passage").await;
    w.click("[data-testid=passage-close]").await;
    until("the passage closed", || async {
        (w.count("[data-testid=passage-dialog][open]").await == 0).then_some(())
    })
    .await;
    w.scroll_to("[data-testid=coach-report]").await;
    screenshot("coach-offline").await;

    // History: the assessment is listed; delete it, then undo.
    w.nav("history").await;
    w.css("[data-testid=history-item]").await;
    screenshot("history").await;
    w.click("[data-testid=delete]").await;
    w.css("[data-testid=undo-toast]").await;
    assert_eq!(w.count("[data-testid=history-item]").await, 0);
    w.click("[data-testid=undo]").await;
    w.css("[data-testid=history-item]").await;

    // Home lists it as a recent result.
    w.nav("home").await;
    w.css("[data-testid=recent-item]").await;
    screenshot("home").await;

    w.close().await;
    println!("e2e: completed an assessment in the real window (score {shown})");
}
