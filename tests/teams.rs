//! Teams against the same real parts as the sync tests (`tests/support/supabase.rs`): a throwaway PostgreSQL with
//! the real `supabase/migrations`, the real PostgREST binary and the test auth gateway. Each person is their own
//! data folder and account. With `CI` set, missing PostgreSQL or PostgREST fails these tests.

use crate::supabase;

use crate::devices;

use crate::common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake_llm::{openai_stream, End, FakeServer};
use compilar_core::api::{ReportWriter, TeamReportRequest};
use compilar_core::llm::StreamEvent;

use compilar_core::api::{
    ConsentRequest, CreateTeamRequest, InviteRequest, JoinRequest, RoleRequest, RoundRequest,
    StartRoundRequest, TeamRequest, TeamResultsRequest,
};
use compilar_core::App;
use devices::{assessment_for, person, Device};

mod server;

/// Completes an assessment of the round's pillar with every question answered `v`, and syncs it.
async fn answer_round(app: &App, round: &str, v: i64) -> compilar_core::api::Assessment {
    let a = assessment_for(app, "grpprosp", &[], Some(round)).await;
    for q in &a.questions {
        devices::answer(app, &a.id, &q.id, v).await;
    }
    let done = app.assessments().complete(&a.id).await.unwrap();
    app.sync().sync_now().await.unwrap();
    done
}

/// Writes the team report of a round, collecting what was streamed.
async fn team_report(
    app: &App,
    team: &str,
    round: &str,
    offline: bool,
) -> compilar_core::error::Result<(Vec<StreamEvent>, compilar_core::api::ReportState)> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        move |e: StreamEvent| events.lock().unwrap().push(e)
    };
    let req = TeamReportRequest {
        team_id: team.into(),
        round_id: round.into(),
        offline: Some(offline),
        exclude: None,
    };
    let state = app.teams().report(req, sink).await?;
    let events = events.lock().unwrap().clone();
    Ok((events, state))
}

async fn consent(d: &Device, team: &str, yes: bool) {
    d.app
        .teams()
        .set_consent(ConsentRequest {
            team_id: team.into(),
            consent: yes,
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_shows_how_many_are_needed_then_the_results_and_never_one_member() {
    let Some(s) = supabase::start() else { return };
    let fac = person(&s, "fac@example.test").await;
    let members: Vec<Device> = {
        let mut v = Vec::new();
        for i in 1..=5 {
            v.push(person(&s, &format!("m{i}@example.test")).await);
        }
        v
    };
    let teams = fac.app.teams();

    // Bad input is refused here, before any request.
    let e = teams
        .create(CreateTeamRequest {
            name: "  ".into(),
            description: None,
            min_responses: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "empty_input");
    let e = teams
        .create(CreateTeamRequest {
            name: "Product team".into(),
            description: None,
            min_responses: Some(2),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "out_of_range", "{e}");
    assert!(teams.list().await.unwrap().is_empty());

    let team = teams
        .create(CreateTeamRequest {
            name: " Product team ".into(),
            description: Some("The five of us".into()),
            min_responses: None,
        })
        .await
        .unwrap();
    assert_eq!(
        (
            team.name.as_str(),
            team.role.as_str(),
            team.min_responses,
            team.members
        ),
        ("Product team", "facilitator", 5, 1)
    );
    let inv = teams
        .invite(InviteRequest {
            team_id: team.id.clone(),
            max_uses: None,
            valid_days: None,
        })
        .await
        .unwrap();
    assert_eq!(inv.code.len(), 14, "{}", inv.code);
    // Case and dashes do not matter.
    let typed = inv.code.replace('-', "").to_lowercase();
    for m in &members {
        let t = m
            .app
            .teams()
            .join(JoinRequest {
                code: typed.clone(),
            })
            .await
            .unwrap();
        assert_eq!((t.role.as_str(), t.consent), ("member", false));
    }
    let listed = teams.members(TeamRequest {
        team_id: team.id.clone(),
    });
    let listed = listed.await.unwrap();
    assert_eq!(listed.len(), 6);
    assert!(listed.iter().all(|m| m.consent == Some(false)));

    // Members cannot do what facilitators do; the last facilitator stays one.
    let e = members[0]
        .app
        .teams()
        .start_round(StartRoundRequest {
            team_id: team.id.clone(),
            mode: "egalitarian".into(),
            pillar: Some("grpprosp".into()),
            due_at: None,
            message: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_facilitator", "{e}");
    let e = teams
        .leave(TeamRequest {
            team_id: team.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "last_facilitator", "{e}");
    let me = listed.iter().find(|m| m.me).unwrap().user_id.clone();
    let e = teams
        .set_role(RoleRequest {
            team_id: team.id.clone(),
            user_id: me,
            role: compilar_core::api::TeamRole::Member,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "last_facilitator", "{e}");

    // A round; members see it among their open rounds.
    let round = teams
        .start_round(StartRoundRequest {
            team_id: team.id.clone(),
            mode: "egalitarian".into(),
            pillar: Some("grpprosp".into()),
            due_at: None,
            message: Some("How do we see our future?".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        (round.title.as_str(), round.responses, round.needed),
        ("Group Prospects", 0, 5)
    );
    let open = members[0].app.teams().open_rounds().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, round.id);
    assert_eq!(open[0].team_name, "Product team");
    assert!(open[0].mine.is_none());

    // Three answer and share: "3 of 5 needed", no figures.
    let mut scores = Vec::new();
    for (i, m) in members.iter().take(3).enumerate() {
        consent(m, &team.id, true).await;
        let a = answer_round(&m.app, &round.id, 1 + i as i64).await;
        scores.push(a.results.unwrap().pillar_score);
    }
    let rr = RoundRequest {
        round_id: round.id.clone(),
    };
    let r = teams.round_results(rr.clone()).await.unwrap();
    assert_eq!(r.state, compilar_core::api::RoundState::BelowThreshold);
    assert_eq!(r.label, "3 of 5 needed");
    assert!(r.figures.is_empty());
    // Nothing to write a team report on yet: refused, nothing kept.
    let err = team_report(&fac.app, &team.id, &round.id, true)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "team_results_hidden");
    assert_eq!(
        err.to_string(),
        "There are no team results to write about yet: 3 of 5 needed."
    );
    let st = teams.report_state(&round.id).await.unwrap();
    assert!(st.report.is_none() && st.last_attempt.is_none());
    let mine = members[0].app.teams().open_rounds().await.unwrap();
    let mine = mine[0].mine.as_ref().unwrap();
    assert!(mine.completed && !mine.waiting_to_sync);

    // A member who answers without sharing is never counted.
    answer_round(&members[3].app, &round.id, 5).await;
    assert_eq!(
        teams.round_results(rr.clone()).await.unwrap().label,
        "3 of 5 needed"
    );

    // The facilitator's own answer shows beside the team's, but counts only with consent (not given).
    let own = answer_round(&fac.app, &round.id, 2).await;
    // Two more share: the results, over the five who share.
    consent(&members[3], &team.id, true).await;
    consent(&members[4], &team.id, true).await;
    scores.push(
        members[3]
            .app
            .assessments()
            .list(Default::default())
            .await
            .unwrap()
            .items[0]
            .pillar_score
            .unwrap(),
    );
    // The last one answers while the project cannot be reached: Home keeps the list it read last, with when,
    // and the answer syncs once the project is back.
    let m4 = &members[4].app;
    let now = m4.teams().open_rounds_or_kept().await.unwrap();
    assert!(now.kept_from.is_none());
    assert_eq!(now.rounds[0].id, round.id);
    s.gateway.down.store(true, Ordering::Relaxed);
    let e = m4.teams().open_rounds().await.unwrap_err();
    assert_eq!(e.code(), "sync_unreachable");
    let kept = m4.teams().open_rounds_or_kept().await.unwrap();
    assert!(kept.kept_from.is_some());
    assert_eq!(
        (kept.rounds.len(), kept.rounds[0].id.as_str()),
        (1, round.id.as_str())
    );
    assert!(kept.rounds[0].mine.is_none());
    let a = assessment_for(m4, "grpprosp", &[], Some(&round.id)).await;
    for q in &a.questions {
        devices::answer(m4, &a.id, &q.id, 4).await;
    }
    let a = m4.assessments().complete(&a.id).await.unwrap();
    let kept = m4.teams().open_rounds_or_kept().await.unwrap();
    let mine = kept.rounds[0].mine.as_ref().unwrap();
    assert!(mine.completed && mine.waiting_to_sync);
    // Someone who never read the list on their computer gets the error itself.
    s.gateway.down.store(false, Ordering::Relaxed);
    let fresh = person(&s, "fresh@example.test").await;
    s.gateway.down.store(true, Ordering::Relaxed);
    assert_eq!(
        fresh
            .app
            .teams()
            .open_rounds_or_kept()
            .await
            .unwrap_err()
            .code(),
        "sync_unreachable"
    );
    s.gateway.down.store(false, Ordering::Relaxed);
    m4.sync().sync_now().await.unwrap();
    scores.push(a.results.unwrap().pillar_score);
    let r = teams.round_results(rr.clone()).await.unwrap();
    assert_eq!(
        (r.state.as_str(), r.responses, r.counted),
        ("shown", 5, Some(5))
    );
    let pillar = r.figures.iter().find(|f| f.force.is_none()).unwrap();
    let mean = scores.iter().sum::<f64>() / 5.0;
    // Whole points, computed on the server from the synced answers.
    assert_eq!(pillar.mean, mean.round(), "{} vs {mean}", pillar.mean);
    assert_eq!(pillar.mean.fract(), 0.0);
    assert_eq!(pillar.n, 5);
    assert_eq!(pillar.spread_label, pillar.spread_label.trim());
    assert!(pillar.spread_label.starts_with("Views "));
    assert_eq!(r.number, 1);
    assert!(
        r.round_label
            .starts_with("Round 1 \u{b7} Group Prospects \u{b7} "),
        "{}",
        r.round_label
    );
    // No figure carries anyone's own score: no minimum or maximum anywhere in what the window gets.
    let wire = serde_json::to_value(&r).unwrap();
    for f in wire["figures"].as_array().unwrap() {
        assert!(f.get("min").is_none() && f.get("max").is_none(), "{f}");
    }
    assert_eq!(pillar.histogram.iter().sum::<u32>(), 5);
    assert_eq!(pillar.mine, Some(own.results.unwrap().pillar_score));
    assert!(r.figures.iter().any(|f| f.force.is_some()));

    // The team coaching report, by the offline coach: on the five counted, cited, and kept on this computer.
    let people: Vec<compilar_core::api::Member> = teams
        .members(TeamRequest {
            team_id: team.id.clone(),
        })
        .await
        .unwrap();
    let (events, st) = team_report(&fac.app, &team.id, &round.id, true)
        .await
        .unwrap();
    assert!(matches!(events.last(), Some(StreamEvent::Done { .. })));
    let rep = st.report.clone().unwrap();
    assert_eq!(rep.writer, ReportWriter::Offline);
    assert_eq!(
        (
            rep.round_id.as_deref(),
            rep.assessment_id.as_deref(),
            rep.responses
        ),
        (Some(round.id.as_str()), None, Some(5))
    );
    assert!(
        rep.content
            .contains("5 members who answered Group Prospects"),
        "{}",
        rep.content
    );
    assert!(rep.content.contains("## Where views differ"));
    assert!(!rep.citations.is_empty(), "{}", rep.content);
    for m in &people {
        assert!(!rep.content.contains(&m.user_id));
        assert!(!rep.content.contains(m.email.as_deref().unwrap_or("@")));
    }
    // Kept here, read without the project; another member's computer has none.
    assert_eq!(
        teams.report_state(&round.id).await.unwrap().report,
        st.report
    );
    assert!(members[1]
        .app
        .teams()
        .report_state(&round.id)
        .await
        .unwrap()
        .report
        .is_none());
    let md = teams.export_report(&round.id).await.unwrap();
    assert!(
        md.starts_with(
            "# Team coaching report: Group Prospects\n\nOn the team results of 5 members."
        ),
        "{md}"
    );
    assert!(md.contains("## Sources"));
    // A round of another team is refused.
    let err = team_report(
        &fac.app,
        "00000000-0000-4000-8000-000000000001",
        &round.id,
        true,
    )
    .await
    .unwrap_err();
    assert!(
        ["team_not_found", "not_facilitator"].contains(&err.code()),
        "{err}"
    );

    // By a model through the provider chain: it is sent the aggregates only.
    let llm = FakeServer::start().await;
    common::configure(&fac.app, &[("openai", llm.url())]).await;
    llm.on(
        "/v1/chat/completions",
        openai_stream(
            &["## How the team sees itself\n\nThe team rates Group Prospects as mixed [1]."],
            "gpt-4o-mini",
            Duration::from_millis(5),
            End::Complete,
        ),
    );
    let (_, st) = team_report(&fac.app, &team.id, &round.id, false)
        .await
        .unwrap();
    let rep = st.report.unwrap();
    assert_eq!(rep.writer, ReportWriter::Model);
    assert_eq!(rep.citations, [1]);
    let body = llm.requests("/v1/chat/completions")[0].json();
    let system = body["messages"][0]["content"].as_str().unwrap();
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        system.contains("never any one member's answers"),
        "{system}"
    );
    assert!(user.contains("Pillar Group Prospects: mean"), "{user}");
    assert!(user.contains("5 people's results counted"), "{user}");
    for line in user.lines().filter(|l| l.contains(": mean ")) {
        assert!(
            line.contains("people per band") && !line.contains("range"),
            "{line}"
        );
    }
    for m in &people {
        assert!(!user.contains(&m.user_id));
        assert!(!user.contains(m.email.as_deref().unwrap_or("@")));
    }

    // The facilitator's sync brings none of the members' own rows.
    fac.app.sync().sync_now().await.unwrap();
    let here = fac
        .app
        .assessments()
        .list(Default::default())
        .await
        .unwrap();
    assert_eq!(here.items.len(), 1, "only the facilitator's own assessment");

    // The export holds aggregates only.
    let csv = teams
        .export_results(
            TeamResultsRequest {
                team_id: team.id.clone(),
                last: None,
            },
            "csv",
        )
        .await
        .unwrap();
    assert!(
        csv.starts_with("round_id,round_number,round_started,round,mode,state,responses,counted,needed,pillar,force,n,mean,sd,below_20,"),
        "{csv}"
    );
    assert!(csv.contains("Group Prospects"), "{csv}");
    for m in teams
        .members(TeamRequest {
            team_id: team.id.clone(),
        })
        .await
        .unwrap()
    {
        assert!(!csv.contains(&m.user_id) && !csv.contains(m.email.as_deref().unwrap_or("@")));
    }
    let json = teams
        .export_results(
            TeamResultsRequest {
                team_id: team.id.clone(),
                last: None,
            },
            "json",
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["rounds"][0]["state"], "shown");

    // One member withdraws: their contribution leaves with them (the subtraction cases are in pgTAP).
    consent(&members[0], &team.id, false).await;
    let r = teams.round_results(rr.clone()).await.unwrap();
    assert_eq!(
        (r.state.as_str(), r.label.as_str()),
        ("below_threshold", "4 of 5 needed")
    );
    assert!(r.figures.is_empty());

    // Closing the round takes it off Home; its history stays.
    teams.close_round(rr).await.unwrap();
    assert!(members[1]
        .app
        .teams()
        .open_rounds()
        .await
        .unwrap()
        .is_empty());
    let listed = members[1]
        .app
        .teams()
        .rounds(TeamRequest {
            team_id: team.id.clone(),
        })
        .await
        .unwrap();
    assert!(listed[0].closed_at.is_some());

    // "Delete all my data" deletes the open rounds kept for Home too.
    let m4 = &members[4].app;
    assert!(m4.teams().open_rounds().await.unwrap().is_empty());
    s.gateway.down.store(true, Ordering::Relaxed);
    let kept = m4.teams().open_rounds_or_kept().await.unwrap();
    assert!(kept.kept_from.is_some() && kept.rounds.is_empty());
    m4.data()
        .delete_everything(compilar_core::capabilities::data::dto::DELETE_CONFIRMATION)
        .await
        .unwrap();
    let e = m4.teams().open_rounds_or_kept().await.unwrap_err();
    assert_eq!(e.code(), "sync_unreachable");
    s.gateway.down.store(false, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_are_refused_then_guessing_stops_without_retries() {
    let Some(s) = supabase::start() else { return };
    let fac = person(&s, "fac@example.test").await;
    let guesser = person(&s, "guess@example.test").await;
    let team = fac
        .app
        .teams()
        .create(CreateTeamRequest {
            name: "Ops".into(),
            description: None,
            min_responses: Some(3),
        })
        .await
        .unwrap();
    let good = fac
        .app
        .teams()
        .invite(InviteRequest {
            team_id: team.id.clone(),
            max_uses: Some(1),
            valid_days: Some(1),
        })
        .await
        .unwrap();
    let e = fac
        .app
        .teams()
        .invite(InviteRequest {
            team_id: team.id.clone(),
            max_uses: None,
            valid_days: Some(91),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "out_of_range");
    // Rounds and results: past due dates, long messages and too many rounds are refused before any request.
    let start = |due: Option<&str>, message: Option<String>| StartRoundRequest {
        team_id: team.id.clone(),
        mode: "egalitarian".into(),
        pillar: Some("grpprosp".into()),
        due_at: due.map(str::to_owned),
        message,
    };
    let e = fac
        .app
        .teams()
        .start_round(start(Some("2020-01-01T00:00:00Z"), None))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument", "{e}");
    let e = fac
        .app
        .teams()
        .start_round(start(Some("next tuesday"), None))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument", "{e}");
    let e = fac
        .app
        .teams()
        .start_round(start(None, Some("x".repeat(2001))))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "payload_too_large", "{e}");
    let e = fac
        .app
        .teams()
        .start_round(StartRoundRequest {
            pillar: Some("ownprosp".into()),
            ..start(None, None)
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "pillar_mode_mismatch", "{e}");
    let e = fac
        .app
        .teams()
        .team_results(TeamResultsRequest {
            team_id: team.id.clone(),
            last: Some(51),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "out_of_range", "{e}");
    assert!(fac
        .app
        .teams()
        .rounds(TeamRequest {
            team_id: team.id.clone(),
        })
        .await
        .unwrap()
        .is_empty());
    let e = guesser
        .app
        .teams()
        .join(JoinRequest { code: " - ".into() })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "empty_input");
    let e = guesser
        .app
        .teams()
        .join(JoinRequest {
            code: "x".repeat(65),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "payload_too_large");

    let before = s.gateway.count("rest:/rpc/join_team");
    for i in 0..10 {
        let e = guesser
            .app
            .teams()
            .join(JoinRequest {
                code: format!("WRONG{i}"),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invite_invalid", "{e}");
    }
    let e = guesser
        .app
        .teams()
        .join(JoinRequest {
            code: good.code.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "too_many_tries", "{e}");
    assert!(e.payload().retryable);
    assert_eq!(
        s.gateway.count("rest:/rpc/join_team") - before,
        11,
        "a guessing limit is not a busy server: it is not tried again"
    );
    assert!(guesser.app.teams().list().await.unwrap().is_empty());

    // The single-use code still works for someone else, once.
    let other = person(&s, "other@example.test").await;
    other
        .app
        .teams()
        .join(JoinRequest {
            code: good.code.clone(),
        })
        .await
        .unwrap();
    let late = person(&s, "late@example.test").await;
    let e = late
        .app
        .teams()
        .join(JoinRequest { code: good.code })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invite_invalid");

    // Open invitations: a multi-use code made earlier is listed (never with its code) and stopped from the
    // list; the used-up one is not listed; a member cannot list them. A link to another site is not a code.
    let ta = TeamRequest {
        team_id: team.id.clone(),
    };
    let multi = fac
        .app
        .teams()
        .invite(InviteRequest {
            team_id: team.id.clone(),
            max_uses: None,
            valid_days: Some(30),
        })
        .await
        .unwrap();
    assert_eq!(multi.link, format!("compilar://join/{}", multi.code));
    let open = fac.app.teams().invites(ta.clone()).await.unwrap();
    assert_eq!(open.len(), 1, "the used-up code is not open");
    assert_eq!(
        (open[0].id.as_str(), open[0].uses_left, open[0].made_by_me),
        (multi.id.as_str(), None, true)
    );
    let e = other.app.teams().invites(ta.clone()).await.unwrap_err();
    assert_eq!(e.code(), "not_facilitator", "{e}");
    let e = late
        .app
        .teams()
        .join(JoinRequest {
            code: format!("https://example.org/join/{}", multi.code),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument", "{e}");
    fac.app
        .teams()
        .revoke_invite(compilar_core::api::RevokeInviteRequest {
            invite_id: open[0].id.clone(),
        })
        .await
        .unwrap();
    assert!(fac.app.teams().invites(ta).await.unwrap().is_empty());
    let e = late
        .app
        .teams()
        .join(JoinRequest { code: multi.link })
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        "invite_invalid",
        "a stopped code works for nobody"
    );

    // Deleting the team: members are told, and their own data stays.
    fac.app
        .teams()
        .delete(TeamRequest {
            team_id: team.id.clone(),
        })
        .await
        .unwrap();
    let seen = other.app.teams().list().await.unwrap();
    assert!(seen[0].deleted, "a member sees the team as deleted");
    let e = other
        .app
        .teams()
        .members(TeamRequest { team_id: team.id })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "team_not_found", "{e}");
}

/// One person's raw scores for Diverse Expression: (pillar, [the four forces in framework order]).
type Scores = (f64, [f64; 4]);
