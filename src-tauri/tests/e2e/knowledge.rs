//! Knowledge: a search in everyday words finds the right passages (with the words marked and an honest
//! match label), a result opens in full with related passages, the search survives leaving the page,
//! gibberish gets "no good match", a mode filter applies, and the framework explorer draws a mode's graph.

use crate::window::{screenshot, until, Window};

#[tokio::test]
async fn search_and_explorer() {
    let Some(w) = Window::open("search_and_explorer").await else {
        return;
    };
    w.nav("knowledge").await;
    w.fill(
        "[data-testid=kb-query]",
        "people are afraid to disagree with the boss",
    )
    .await;
    w.click("[data-testid=kb-search]").await;
    w.css("[data-testid=kb-hit]").await;
    let hits = w.all("[data-testid=kb-hit]").await;
    assert_eq!(hits.len(), 10);
    let mut top = Vec::new();
    for h in hits.iter().take(5) {
        top.push(h.attr("data-passage").await.unwrap().unwrap_or_default());
    }
    assert!(
        top.iter()
            .any(|p| p.starts_with("force.voice_safety.hierarchical")),
        "{top:?}"
    );
    assert!(w.count("[data-testid=kb-hit] mark").await > 0);
    // The labels tell the hits apart: a strong match near the top, not all ten strong.
    let mut labels = Vec::new();
    for l in w
        .all("[data-testid=kb-hit] [data-testid=kb-strength]")
        .await
    {
        labels.push(l.text().await.unwrap());
    }
    assert!(
        labels[..3].iter().any(|l| l == "Strong match"),
        "{labels:?}"
    );
    assert!(
        labels.iter().filter(|l| *l == "Strong match").count() <= 5,
        "{labels:?}"
    );
    assert_eq!(w.count("[data-testid=kb-no-match]").await, 0);

    // The first result opens in full, with passages close to it that open in turn.
    w.click("[data-testid=kb-open]").await;
    let text = w.text("[data-testid=reading-text]").await;
    assert!(text.len() > 100, "{text}");
    w.until_count("[data-testid=related-passage]", 4).await;
    w.click("[data-testid=related-passage]").await;
    w.until_text("[data-testid=reading-text]", |t| t != text)
        .await;
    w.click("[data-testid=reading-close]").await;
    w.until_count("[data-testid=reading-view]", 0).await;

    // Leaving the page and coming back finds the same search.
    w.nav("home").await;
    w.nav("knowledge").await;
    w.until_count("[data-testid=kb-hit]", 10).await;
    assert_eq!(
        w.css("[data-testid=kb-query]")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("people are afraid to disagree with the boss")
    );

    // Gibberish: no good match is said, the closest passages are marked weak.
    w.fill("[data-testid=kb-query]", "xkq zzvv plorb").await;
    w.click("[data-testid=kb-search]").await;
    w.css("[data-testid=kb-no-match]").await;
    assert_eq!(
        w.text("[data-testid=kb-hit] [data-testid=kb-strength]")
            .await,
        "Weak match"
    );
    w.fill(
        "[data-testid=kb-query]",
        "people are afraid to disagree with the boss",
    )
    .await;

    // Filters: hierarchical mode only.
    w.click("[data-testid=kb-mode] option[value=hierarchical]")
        .await;
    w.click("[data-testid=kb-search]").await;
    until("filtered results", || async {
        let hits = w.all("[data-testid=kb-hit]").await;
        let mut all = !hits.is_empty();
        for h in hits {
            let p = h.attr("data-passage").await.ok()??;
            all &= !p.contains(".egalitarian");
        }
        all.then_some(())
    })
    .await;
    w.css("[data-testid=force-graph] canvas").await;
    assert_eq!(w.count("[data-testid=explore-pillar]").await, 5);
    screenshot("knowledge").await;
    w.scroll_to("[data-testid=force-graph]").await;
    screenshot("explorer").await;
    w.close().await;
}
