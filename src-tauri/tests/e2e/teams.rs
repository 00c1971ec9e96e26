//! Teams in the real window, with other data folders acting as the members: the facilitator (the window)
//! signs in, creates a team and invites; five people in their own data folders (each its own account) join,
//! share and answer the round the facilitator starts, and sync. The facilitator sees "3 of 5 needed", then
//! the results, and the heatmap across rounds.

use crate::devices::{person, Device};
use crate::window::{screenshot, until, Window};
use compilar_core::api::{ConsentRequest, JoinRequest};

/// A member answers the round `round` with every question `v`, completes it and syncs.
async fn answer(d: &Device, round: &str, v: i64) {
    let a = crate::devices::assessment_for(&d.app, "grpprosp", &[], Some(round)).await;
    for q in &a.questions {
        crate::devices::answer(&d.app, &a.id, &q.id, v).await;
    }
    d.app.assessments().complete(&a.id).await.unwrap();
    d.app.sync().sync_now().await.unwrap();
}

async fn reopen_round(w: &Window) {
    w.nav("teams").await;
    w.click("[data-testid=team-item]").await;
    w.click("[data-testid=round-item]").await;
}

#[tokio::test]
async fn members_in_other_data_folders_answer_a_round_and_the_facilitator_sees_the_threshold_then_results(
) {
    let Some(s) = crate::supabase::start() else {
        return;
    };
    s.add_user("fac@example.test", "a good password");
    let Some(w) = Window::open_with_keyring("teams", |_| {}).await else {
        return;
    };
    w.c.set_window_rect(0, 0, 1280, 900).await.unwrap();
    w.nav("account").await;
    w.fill("[data-testid=account-url]", &s.url).await;
    w.fill("[data-testid=account-key]", crate::supabase::ANON_KEY)
        .await;
    w.fill("[data-testid=account-email]", "fac@example.test")
        .await;
    w.fill("[data-testid=account-password]", "a good password")
        .await;
    w.click("[data-testid=sign-in]").await;
    w.css("[data-testid=account-signed-in]").await;

    // A team, from the Teams page.
    w.nav("teams").await;
    w.css("[data-testid=teams-empty]").await;
    w.fill("[data-testid=team-name]", "Product team").await;
    w.click("[data-testid=create-team]").await;
    w.css("[data-testid=team-consent]").await;
    w.click("[data-testid=make-invite]").await;
    let code = w
        .until_text("[data-testid=invite-code]", |t| t.len() == 14)
        .await;
    screenshot("teams-invite").await;

    // A round of Group Prospects.
    w.c.execute(
        "const s = document.querySelector('[data-testid=round-pillar]'); s.value = 'grpprosp'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    w.click("[data-testid=start-round]").await;
    w.until_count("[data-testid=round-item]", 1).await;

    // Five people in their own data folders join with the code and share their results.
    let mut members = Vec::new();
    for i in 1..=5 {
        let d = person(&s, &format!("member{i}@example.test")).await;
        let t = d
            .app
            .teams()
            .join(JoinRequest { code: code.clone() })
            .await
            .unwrap();
        d.app
            .teams()
            .set_consent(ConsentRequest {
                team_id: t.id,
                consent: true,
            })
            .await
            .unwrap();
        members.push(d);
    }
    let round = members[0].app.teams().open_rounds().await.unwrap()[0]
        .id
        .clone();
    for (i, d) in members.iter().take(3).enumerate() {
        answer(d, &round, 2 + i as i64).await;
    }

    // The facilitator: "3 of 5 needed", no figures.
    reopen_round(&w).await;
    let t = w.text("[data-testid=round-threshold]").await;
    assert!(t.contains("3 of 5 needed"), "{t}");
    assert_eq!(w.count("[data-testid=round-results]").await, 0);
    let p = w.text("[data-testid=round-progress]").await;
    assert!(p.contains("3 of 6 responded"), "{p}");
    screenshot("teams-round-threshold").await;

    for d in members.iter().skip(3) {
        answer(d, &round, 4).await;
    }
    reopen_round(&w).await;
    let label = w
        .until_text("[data-testid=round-results-label]", |t| {
            t.contains("5 responses")
        })
        .await;
    assert!(label.starts_with("5 responses"), "{label}");
    screenshot("teams-round-results").await;
    // At the smallest window the figures reflow and nothing scrolls sideways.
    w.c.set_window_rect(0, 0, 880, 600).await.unwrap();
    until("no sideways scrolling at 880 px", || async {
        let r =
            w.c.execute(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .ok()?;
        r.as_bool().filter(|ok| *ok)
    })
    .await;
    screenshot("teams-round-results-880").await;
    w.c.set_window_rect(0, 0, 1280, 900).await.unwrap();
    w.nav("teams").await;
    w.click("[data-testid=team-item]").await;
    w.css("[data-testid=team-heatmap]").await;
    w.scroll_to("[data-testid=team-heatmap]").await;
    screenshot("teams-heatmap").await;
    until("the facilitator's member list", || async {
        (w.count("[data-testid=member-list] li").await == 6).then_some(())
    })
    .await;
    // The last facilitator cannot leave: the reason shows next to the button.
    w.scroll_to("[data-testid=leave-team]").await;
    w.click("[data-testid=leave-team]").await;
    let why = w
        .until_text(".danger-zone + [data-testid=error]", |t| {
            t.contains("last facilitator")
        })
        .await;
    assert!(why.contains("last facilitator"), "{why}");
    w.close().await;
}
