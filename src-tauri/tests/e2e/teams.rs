//! Teams in the real window, with other data folders acting as the members: the facilitator (the window)
//! signs in, creates a team and invites; five people in their own data folders (each its own account) join,
//! share and answer the round the facilitator starts, and sync. The facilitator sees "3 of 5 needed", then
//! the results, the team's coaching report, a second round and the trend across rounds, the team in figures,
//! and the pages in the dark theme.

use std::sync::atomic::Ordering;

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

/// The facilitator starts a round of Group Prospects from the Teams page; the team then lists `rounds`.
async fn start_prospects_round(w: &Window, rounds: usize) {
    w.c.execute(
        "const s = document.querySelector('[data-testid=round-pillar]'); s.value = 'grpprosp'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    w.click("[data-testid=start-round]").await;
    w.until_count("[data-testid=round-item]", rounds).await;
}

async fn reopen_team(w: &Window) {
    w.nav("teams").await;
    w.click("[data-testid=team-item]").await;
    w.css("[data-testid=team-consent]").await;
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
    let link = w.text("[data-testid=invite-link]").await;
    assert_eq!(link, format!("compilar://join/{code}"));
    // Listed among the open invitations (never with its code), so it can be stopped later too.
    let listed = w.text("[data-testid=invite-list]").await;
    assert!(
        listed.contains("by you") && listed.contains("The code above"),
        "{listed}"
    );
    assert!(!listed.contains(&code), "{listed}");
    w.scroll_to("[data-testid=invite-list]").await;
    screenshot("teams-invite").await;

    // A round of Group Prospects.
    start_prospects_round(&w, 1).await;

    // Five people in their own data folders join with the code and share their results.
    let mut members = Vec::new();
    for i in 1..=5 {
        let d = person(&s, &format!("member{i}@example.test")).await;
        let t = d
            .app
            .teams()
            // The last one pastes the link rather than the code.
            .join(JoinRequest {
                code: if i == 5 { link.clone() } else { code.clone() },
            })
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

    // The team's coaching report on the figures: no model is set up, so the offline coach writes it at once.
    w.scroll_to("[data-testid=coach-report]").await;
    let h = w.text("[data-testid=coach-report] h2").await;
    assert_eq!(h, "Team coaching report");
    let report = w
        .until_text("[data-testid=report-text]", |t| {
            t.contains("How the team sees itself")
        })
        .await;
    assert!(report.contains("5 members"), "{report}");
    assert!(!report.contains("(you)"), "{report}");
    screenshot("teams-round-report").await;
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

    // A second round of the same pillar, answered by all five: the trend across the two rounds.
    reopen_team(&w).await;
    assert_eq!(w.count("[data-testid=team-trend]").await, 0);
    start_prospects_round(&w, 2).await;
    let open = members[0].app.teams().open_rounds().await.unwrap();
    let second = open
        .iter()
        .find(|r| r.id != round)
        .expect("the second round is open")
        .id
        .clone();
    for d in &members {
        answer(d, &second, 5).await;
    }
    reopen_team(&w).await;
    w.until_attr("[data-testid=team-trend]", "data-points", "2")
        .await;
    // The team in figures, for its facilitator.
    let counts = w.text("[data-testid=team-counts]").await;
    let counts = counts.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "6 members, 1 facilitator",
        "5 share results (at least 5 needed)",
        "2 rounds, 2 open",
        "10 shared responses (83% of those asked)",
        "2 rounds with results",
    ] {
        assert!(counts.contains(want), "{want:?} in {counts:?}");
    }
    w.scroll_to("[data-testid=team-heatmap]").await;
    screenshot("teams-heatmap").await;
    w.scroll_to("[data-testid=team-trend]").await;
    screenshot("teams-trend").await;

    // Both pages in the dark theme.
    crate::layout::set_theme(&w, "dark").await;
    reopen_team(&w).await;
    w.until_attr("[data-testid=team-trend]", "data-points", "2")
        .await;
    screenshot("teams-dark").await;
    w.scroll_to("[data-testid=team-trend]").await;
    screenshot("teams-trend-dark").await;
    reopen_round(&w).await;
    w.css("[data-testid=round-results-label]").await;
    screenshot("teams-round-results-dark").await;
    crate::layout::set_theme(&w, "light").await;

    reopen_team(&w).await;
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

    // Last, offline: Home keeps the open rounds it last read, says so, and a round is answered from there.
    w.nav("home").await;
    w.until_count("[data-testid=home-round]", 2).await;
    s.gateway.down.store(true, Ordering::Relaxed);
    w.nav("history").await;
    w.nav("home").await;
    let kept = w.text("[data-testid=home-rounds-kept]").await;
    assert!(kept.contains("cannot be reached"), "{kept}");
    assert_eq!(w.count("[data-testid=home-round]").await, 2);
    screenshot("teams-home-offline").await;
    w.click("[data-testid=home-round]").await;
    w.css("[data-testid=question]").await;
    w.close().await;
}

#[tokio::test]
async fn an_invitation_link_opens_the_teams_page_with_its_code_waiting() {
    // Not signed in yet: the code waits, and the page says what to do first.
    let Some(w) = Window::open_with_args("invite-link", &["compilar://join/abcd-efgh-jklm"]).await
    else {
        return;
    };
    let card = w
        .until_text("[data-testid=opened-invitation]", |t| {
            t.contains("ABCD-EFGH-JKLM")
        })
        .await;
    assert!(card.contains("sign in on the Account page"), "{card}");
    w.css("[data-testid=teams-signed-out]").await;
    screenshot("teams-opened-invitation").await;
    // Put aside, it is gone.
    w.click("[data-testid=opened-invitation] button").await;
    w.until_count("[data-testid=opened-invitation]", 0).await;
    w.close().await;

    // A compilar: link that is not an invitation says so, and nothing is filled in.
    let Some(w) = Window::open_with_args("other-link", &["compilar://settings"]).await else {
        return;
    };
    let e = w
        .until_text("[data-testid=error]", |t| t.contains("does not know"))
        .await;
    assert!(e.contains("compilar://join/"), "{e}");
    assert_eq!(w.count("[data-testid=opened-invitation]").await, 0);
    w.close().await;
}
