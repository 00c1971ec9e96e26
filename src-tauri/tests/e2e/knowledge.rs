//! Knowledge: a search in everyday words finds the right passages (with the words marked), a mode filter
//! applies, and the framework explorer draws a mode's connection graph.

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
