//! Sign-in and sync against real parts on 127.0.0.1: a throwaway PostgreSQL with the real
//! `supabase/migrations`, the real PostgREST binary, and a gateway speaking GoTrue's endpoints with ES256
//! tokens (`tests/support/supabase.rs`). Data folders are real SQLite files in temp dirs; two folders signed
//! in to one account are two devices. With `CI` set, missing PostgreSQL or PostgREST fails these tests.

use crate::supabase;
use compilar_core::api::{SyncState, TokenStatus};

use crate::devices;

use std::sync::atomic::Ordering;

use compilar_core::api::{AboutRequest, SignInRequest};
use compilar_core::{App, Error};
use devices::{answer, assessment, device, sign_in_req};

mod batches;

#[test]
fn pgtap_suite_passes_against_the_real_migrations() {
    let Some(s) = supabase::start() else { return };
    let out = s.pg_prove();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "pg_prove failed:\n{text}");
    assert!(text.contains("All tests successful"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_checks_tokens_locally_refreshes_once_and_survives_an_ended_session() {
    let Some(s) = supabase::start() else { return };
    let user = s.add_user("ada@example.test", "correct horse");
    let d = device().await;

    // Bad input and a wrong password change nothing.
    let mut bad = sign_in_req(&s, "ada@example.test", "correct horse", false);
    bad.project_url = "ftp://example.test".into();
    let e = d.app.account().sign_in(bad).await.unwrap_err();
    assert_eq!(e.code(), "invalid_settings");
    assert_eq!(e.payload().field.as_deref(), Some("project_url"));
    let e = d
        .app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "wrong", false))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "sign_in_failed");
    assert!(e.to_string().contains("Invalid login credentials"), "{e}");
    assert!(!d.app.account().status().await.unwrap().linked);

    let st = d
        .app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "correct horse", false))
        .await
        .unwrap();
    assert!(st.signed_in && st.linked);
    assert_eq!(st.user_id.as_deref(), Some(user.as_str()));
    assert_eq!(st.token.state, TokenStatus::Valid);
    assert_eq!(st.token.verified.as_deref(), Some("local"));
    assert_eq!(s.gateway.count("jwks"), 1, "the key set is fetched once");

    // A valid token costs no network call, however often it is checked.
    let before = s.gateway.requests.load(Ordering::Relaxed);
    let auth_before = s.gateway.auth_requests();
    for _ in 0..1000 {
        d.app.sync().status().await.unwrap();
        d.app.account().status().await.unwrap();
    }
    let st = d.app.account().status().await.unwrap();
    assert_eq!(
        s.gateway.requests.load(Ordering::Relaxed),
        before,
        "status checks made requests"
    );
    // A sync's token checks are local too: only the RPCs reach the network.
    d.app.sync().sync_now().await.unwrap();
    assert_eq!(
        s.gateway.auth_requests(),
        auth_before,
        "a sync made auth requests"
    );
    let st2 = d.app.account().status().await.unwrap();
    assert!(st2.token.checks > st.token.checks);
    assert_eq!(st2.token.network_checks, 1);

    // Near expiry: three users of the token at once refresh exactly once (a second refresh with the same rotated token
    // would end the session).
    s.gateway.ttl.store(30, Ordering::Relaxed);
    d.app.account().invalidate().await.unwrap();
    // The token in hand is still valid for an hour: make the next one short-lived by refreshing through a
    // 401 — simpler: sign in again with the short lifetime.
    d.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "correct horse", false))
        .await
        .unwrap();
    assert_eq!(
        d.app.account().status().await.unwrap().token.state,
        TokenStatus::RefreshSoon
    );
    s.gateway.ttl.store(3600, Ordering::Relaxed);
    let refreshes = s.gateway.count("token:refresh_token");
    let (acct, sync) = (d.app.account(), d.app.sync());
    let (a, b, c) = tokio::join!(acct.check(), acct.check(), sync.sync_now());
    a.unwrap();
    b.unwrap();
    c.unwrap();
    assert_eq!(
        s.gateway.count("token:refresh_token") - refreshes,
        1,
        "one refresh for both"
    );
    assert_eq!(
        d.app.account().status().await.unwrap().token.state,
        TokenStatus::Valid
    );

    // The project rotates its signing key: the unknown key id makes the app fetch the key set once more.
    s.gateway.publish_second.store(true, Ordering::Relaxed);
    s.gateway.sign_with_second.store(true, Ordering::Relaxed);
    s.gateway.ttl.store(30, Ordering::Relaxed);
    d.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "correct horse", false))
        .await
        .unwrap();
    let st = d.app.account().status().await.unwrap();
    assert!(
        st.token.key_ids.contains(&supabase::KID_2.to_owned()),
        "{:?}",
        st.token.key_ids
    );
    s.gateway.ttl.store(3600, Ordering::Relaxed);

    // The session is revoked on the server (a used refresh token came back): the next refresh ends it.
    // Work done meanwhile stays queued and goes up after signing in again.
    let a = assessment(&d.app, "grpprosp", &[(0, 4)]).await;
    s.gateway.revoke_sessions("ada@example.test");
    let e = d.app.sync().sync_now().await.unwrap_err();
    assert_eq!(e.code(), "session_expired");
    let st = d.app.account().status().await.unwrap();
    assert!(!st.signed_in && st.session_ended && st.linked);
    let sync = d.app.sync().status().await.unwrap();
    assert_eq!(sync.state, SyncState::SignedOut);
    assert_eq!(sync.pending, 1);
    assert_eq!(d.app.assessments().get(&a.id).await.unwrap().answered, 1);
    d.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "correct horse", false))
        .await
        .unwrap();
    let r = d.app.sync().sync_now().await.unwrap();
    assert!(r.pushed >= 2, "{r:?}");
    assert_eq!(
        s.sql(&format!(
            "select count(*) from answers where assessment_id = '{}'",
            a.id
        )),
        "1"
    );

    // Another account in this data folder is refused.
    s.add_user("bo@example.test", "pw");
    let e = d
        .app
        .account()
        .sign_in(sign_in_req(&s, "bo@example.test", "pw", false))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "account_mismatch");

    // Signing out revokes the session and keeps the data readable (the sync state, read just before and
    // kept in memory, follows at once).
    assert_eq!(
        d.app.sync().status().await.unwrap().state,
        SyncState::Synced
    );
    let st = d.app.account().sign_out().await.unwrap();
    assert!(!st.signed_in && !st.session_ended);
    assert_eq!(s.gateway.count("logout"), 1);
    assert_eq!(d.app.assessments().get(&a.id).await.unwrap().answered, 1);
    assert_eq!(
        d.app.sync().sync_now().await.unwrap_err().code(),
        "not_signed_in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_merge_per_question_and_the_later_edit_wins() {
    let Some(s) = supabase::start() else { return };
    s.add_user("ada@example.test", "pw");
    let laptop = device().await;
    let phone = device().await;

    // The laptop has work from before sign-in: signing in asks first, then brings it along.
    let a = assessment(&laptop.app, "grpprosp", &[(0, 4), (1, 2)]).await;
    let local = laptop.app.account().local_data().await.unwrap();
    assert_eq!(local.assessments, 1);
    let e = laptop
        .app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", false))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "local_data_needs_consent");
    laptop
        .app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", true))
        .await
        .unwrap();
    let r = laptop.app.sync().sync_now().await.unwrap();
    assert_eq!(r.rejected, 0, "{r:?}");
    assert_eq!(s.sql("select count(*) from assessments"), "1");
    assert_eq!(s.sql("select count(*) from answers"), "2");
    assert_eq!(s.sql("select count(*) from profiles"), "1");
    assert_eq!(
        laptop.app.sync().status().await.unwrap().state,
        SyncState::Synced
    );

    // The phone starts empty and gets everything.
    phone
        .app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", false))
        .await
        .unwrap();
    let r = phone.app.sync().sync_now().await.unwrap();
    assert!(r.pulled >= 3, "{r:?}");
    let on_phone = phone.app.assessments().get(&a.id).await.unwrap();
    assert_eq!(on_phone.answers, a.answers);
    assert_eq!(on_phone.answered, 2);

    // Both devices answer different questions of the same assessment, offline, then sync in turn.
    let (q2, q3) = (a.questions[2].id.clone(), a.questions[3].id.clone());
    answer(&laptop.app, &a.id, &q2, 5).await;
    answer(&phone.app, &a.id, &q3, 1).await;
    // The phone also changes q0; it does so later than the laptop's answer, so it wins everywhere.
    answer(&phone.app, &a.id, &a.questions[0].id, 3).await;
    laptop.app.sync().sync_now().await.unwrap();
    phone.app.sync().sync_now().await.unwrap();
    laptop.app.sync().sync_now().await.unwrap();
    let l = laptop.app.assessments().get(&a.id).await.unwrap();
    let p = phone.app.assessments().get(&a.id).await.unwrap();
    assert_eq!(l.answers, p.answers, "both devices agree");
    assert_eq!(l.answers[&q2], 5);
    assert_eq!(l.answers[&q3], 1);
    assert_eq!(l.answers[&a.questions[0].id], 3);
    assert_eq!(l.answered, 4);
    assert_eq!(
        s.sql("select count(*) from answers"),
        "4",
        "one server row per question"
    );

    // A row edited on both: the later edit wins on both devices, the earlier one is ignored by the server.
    let about = |label: &str| AboutRequest {
        assessment_id: a.id.clone(),
        group_label: Some(label.into()),
        note: None,
    };
    phone
        .app
        .assessments()
        .set_about(about("Earlier"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    laptop
        .app
        .assessments()
        .set_about(about("Later"))
        .await
        .unwrap();
    laptop.app.sync().sync_now().await.unwrap();
    let r = phone.app.sync().sync_now().await.unwrap();
    assert!(r.ignored >= 1, "the phone's older edit is ignored: {r:?}");
    for d in [&laptop, &phone] {
        let got = d.app.assessments().get(&a.id).await.unwrap();
        assert_eq!(got.group_label.as_deref(), Some("Later"));
    }
    assert_eq!(s.sql("select group_label from assessments"), "Later");

    // A completed assessment arrives with its results.
    let done = assessment(
        &laptop.app,
        "grpprosp",
        &(0..12).map(|i| (i, 4)).collect::<Vec<_>>(),
    )
    .await;
    laptop.app.assessments().complete(&done.id).await.unwrap();
    laptop.app.sync().sync_now().await.unwrap();
    phone.app.sync().sync_now().await.unwrap();
    let got = phone.app.assessments().get(&done.id).await.unwrap();
    assert!(got.results.is_some());
    assert_eq!(got.answered, 12);

    // Coach conversations stay on the computer until their owner turns syncing on for one.
    let conv = laptop
        .app
        .chat()
        .create(compilar_core::api::NewConversationRequest {
            title: Some("Private thoughts".into()),
            context: Some(vec![done.id.clone()]),
        })
        .await
        .unwrap();
    assert!(!conv.synced);
    laptop.app.sync().sync_now().await.unwrap();
    assert_eq!(s.sql("select count(*) from conversations"), "0");
    let conv = laptop
        .app
        .chat()
        .set_synced(compilar_core::api::SyncConversationRequest {
            conversation_id: conv.id.clone(),
            synced: true,
        })
        .await
        .unwrap();
    assert!(conv.synced);
    laptop.app.sync().sync_now().await.unwrap();
    assert_eq!(s.sql("select title from conversations"), "Private thoughts");
    phone.app.sync().sync_now().await.unwrap();
    let there = phone.app.chat().open(&conv.id).await.unwrap();
    assert!(there.conversation.synced);
    assert_eq!(there.conversation.title, "Private thoughts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_resent_as_a_duplicate_and_a_down_server_only_delays() {
    let Some(s) = supabase::start() else { return };
    s.add_user("ada@example.test", "pw");
    let d = device().await;
    d.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", false))
        .await
        .unwrap();
    d.app.sync().sync_now().await.unwrap();

    // The server applies a batch but its answer is lost: the client keeps the batch and sends it again; the
    // server says "duplicate" and nothing is applied twice.
    let a = assessment(&d.app, "grpprosp", &[(0, 4), (1, 4)]).await;
    s.gateway
        .lose_next_push_answer
        .store(true, Ordering::Relaxed);
    let pushes = s.gateway.count("rest:/rpc/push_changes");
    let r = d.app.sync().sync_now().await.unwrap();
    assert_eq!(
        s.gateway.count("rest:/rpc/push_changes") - pushes,
        2,
        "sent, lost, sent again"
    );
    assert_eq!(r.batches, 1, "{r:?}");
    assert_eq!(
        s.sql("select count(*) from sync_batches where result->>'applied' = '3'"),
        "1"
    );
    assert_eq!(
        s.sql(&format!(
            "select count(*) from answers where assessment_id = '{}'",
            a.id
        )),
        "2"
    );
    assert_eq!(d.app.sync().status().await.unwrap().pending, 0);

    // The server is down: the sync fails as "offline", keeps everything queued, and drains when it is back.
    s.gateway.down.store(true, Ordering::Relaxed);
    answer(&d.app, &a.id, &a.questions[2].id, 2).await;
    let e = d.app.sync().sync_now().await.unwrap_err();
    assert_eq!(e.code(), "sync_unreachable");
    assert!(e.retryable());
    let st = d.app.sync().status().await.unwrap();
    assert_eq!((st.state, st.pending), (SyncState::Offline, 1), "{st:?}");
    // The server asked to wait (Retry-After: 1): the breaker holds calls back until then.
    assert_eq!(e.retry_after_ms(), Some(1000));
    s.gateway.down.store(false, Ordering::Relaxed);
    let e = d.app.sync().sync_now().await.unwrap_err();
    assert_eq!(
        e.code(),
        "sync_unreachable",
        "held back before the wait is over"
    );
    tokio::time::sleep(std::time::Duration::from_millis(
        e.retry_after_ms().unwrap() + 50,
    ))
    .await;
    d.app.sync().sync_now().await.unwrap();
    let st = d.app.sync().status().await.unwrap();
    assert_eq!((st.state, st.pending), (SyncState::Synced, 0));
    assert_eq!(
        s.sql(&format!(
            "select count(*) from answers where assessment_id = '{}'",
            a.id
        )),
        "3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_the_server_refuses_are_listed_and_do_not_block_the_rest() {
    let Some(s) = supabase::start() else { return };
    s.add_user("ada@example.test", "pw");
    s.add_user("bo@example.test", "pw");
    let ada = device().await;
    let a = assessment(&ada.app, "grpprosp", &[(0, 4)]).await;
    ada.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", true))
        .await
        .unwrap();
    ada.app.sync().sync_now().await.unwrap();

    // Bo's computer holds a copy of Ada's assessment (an export of hers, imported) and one of his own.
    let bo = device().await;
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("ada-export.zip");
    ada.app
        .data()
        .export(
            compilar_core::api::ExportRequest {
                path: archive.display().to_string(),
                format: None,
                request_id: "export".into(),
                overwrite: None,
            },
            |_| {},
        )
        .await
        .unwrap();
    bo.app
        .data()
        .import(compilar_core::api::ImportRequest {
            path: archive.display().to_string(),
            dry_run: false,
        })
        .await
        .unwrap();
    let mine = assessment(&bo.app, "grpprosp", &[(0, 2)]).await;
    bo.app
        .account()
        .sign_in(sign_in_req(&s, "bo@example.test", "pw", true))
        .await
        .unwrap();
    let r = bo.app.sync().sync_now().await.unwrap();
    assert!(r.rejected >= 1, "{r:?}");
    let refused = bo.app.sync().rejected().await.unwrap();
    assert!(
        refused
            .iter()
            .any(|x| x.row_id == a.id && x.code == "42501"),
        "{refused:?}"
    );
    assert!(
        refused[0].reason.contains("another account"),
        "{}",
        refused[0].reason
    );
    assert!(refused.iter().all(|x| x.row_id != mine.id));
    // His own assessment went up; Ada's row on the server is unchanged.
    assert_eq!(
        s.sql(&format!(
            "select count(*) from assessments where id = '{}'",
            mine.id
        )),
        "1"
    );
    assert_eq!(
        s.sql(&format!("select email from auth.users u join assessments x on x.owner_id = u.id where x.id = '{}'", a.id)),
        "ada@example.test"
    );
    let st = bo.app.sync().status().await.unwrap();
    assert_eq!((st.pending, st.rejected), (0, refused.len() as u64));

    // Retry puts it back in the queue (refused again); discard clears the list.
    bo.app
        .sync()
        .retry_rejected(compilar_core::api::RejectedRequest {
            table: "assessments".into(),
            row_id: a.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(bo.app.sync().status().await.unwrap().pending, 1);
    bo.app.sync().sync_now().await.unwrap();
    assert!(bo
        .app
        .sync()
        .rejected()
        .await
        .unwrap()
        .iter()
        .any(|x| x.row_id == a.id));
    // "Try all again" queues every refused row at once; refused again, they are listed again.
    let listed = bo.app.sync().rejected().await.unwrap().len() as u64;
    let st = bo.app.sync().retry_all_rejected().await.unwrap();
    assert_eq!((st.pending, st.rejected), (listed, 0));
    bo.app.sync().sync_now().await.unwrap();
    assert_eq!(bo.app.sync().status().await.unwrap().rejected, listed);
    for x in bo.app.sync().rejected().await.unwrap() {
        bo.app
            .sync()
            .discard_rejected(compilar_core::api::RejectedRequest {
                table: x.table,
                row_id: x.row_id,
            })
            .await
            .unwrap();
    }
    let st = bo.app.sync().status().await.unwrap();
    assert_eq!(
        (st.pending, st.rejected, st.state),
        (0, 0, SyncState::Synced)
    );
    let e = bo
        .app
        .sync()
        .discard_rejected(compilar_core::api::RejectedRequest {
            table: "assessments".into(),
            row_id: a.id.clone(),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
}

#[tokio::test]
async fn sign_in_input_past_its_bounds_is_refused_before_any_request() {
    let d = device().await;
    let ok = || SignInRequest {
        project_url: "https://abcd.supabase.co".into(),
        public_key: "sb_publishable_0123456789".into(),
        email: "ada@example.test".into(),
        password: "pw".into(),
        adopt_local: false,
    };
    let cases: Vec<(SignInRequest, &str)> = vec![
        (
            SignInRequest {
                project_url: format!("https://{}.co", "a".repeat(500)),
                ..ok()
            },
            "invalid_settings",
        ),
        (
            SignInRequest {
                public_key: "k".repeat(2001),
                ..ok()
            },
            "invalid_settings",
        ),
        (
            SignInRequest {
                public_key: "has spaces in it".into(),
                ..ok()
            },
            "invalid_settings",
        ),
        (
            SignInRequest {
                email: format!("{}@example.test", "a".repeat(250)),
                ..ok()
            },
            "invalid_argument",
        ),
        (
            SignInRequest {
                email: "no-at-sign".into(),
                ..ok()
            },
            "invalid_argument",
        ),
        (
            SignInRequest {
                password: "p".repeat(1025),
                ..ok()
            },
            "payload_too_large",
        ),
        (
            SignInRequest {
                password: String::new(),
                ..ok()
            },
            "empty_input",
        ),
    ];
    for (req, code) in cases {
        let e = d.app.account().sign_in(req).await.unwrap_err();
        assert_eq!(e.code(), code, "{e}");
    }
    let st = d.app.account().status().await.unwrap();
    assert!(!st.linked && !st.signed_in);
    assert_eq!(d.app.sync().status().await.unwrap().state, SyncState::Off);
}

/// "Delete all my data" deletes this computer's copy only, as its words say: the synced copy stays on the
/// server, the next sync does not bring it back, and only what changes on another device later comes here.
#[tokio::test]
async fn deleting_everything_here_leaves_the_synced_copy_and_does_not_download_it_again() {
    let Some(s) = supabase::start() else { return };
    s.add_user("ada@example.test", "pw");
    let laptop = device().await;
    let phone = device().await;
    let a = assessment(&laptop.app, "grpprosp", &[(0, 4), (1, 2)]).await;
    let b = assessment(&laptop.app, "grpprosp", &[(0, 1)]).await;
    for d in [&laptop, &phone] {
        d.app
            .account()
            .sign_in(sign_in_req(&s, "ada@example.test", "pw", true))
            .await
            .unwrap();
        d.app.sync().sync_now().await.unwrap();
    }
    let out = laptop
        .app
        .data()
        .delete_everything(compilar_core::capabilities::data::dto::DELETE_CONFIRMATION)
        .await
        .unwrap();
    assert_eq!(out.assessments, 2);
    let r = laptop.app.sync().sync_now().await.unwrap();
    assert_eq!((r.pushed, r.pulled), (0, 0), "{r:?}");
    assert_eq!(
        s.sql("select count(*) from assessments where deleted_at is null"),
        "2"
    );
    let here = laptop
        .app
        .assessments()
        .list(Default::default())
        .await
        .unwrap();
    assert_eq!(here.total, 0, "nothing came back");

    // The phone changes one answer of `a`: that assessment comes to the laptop again, `b` does not.
    answer(&phone.app, &a.id, &a.questions[2].id, 5).await;
    phone.app.sync().sync_now().await.unwrap();
    laptop.app.sync().sync_now().await.unwrap();
    let here = laptop
        .app
        .assessments()
        .list(Default::default())
        .await
        .unwrap();
    assert_eq!(here.total, 1);
    assert_eq!(here.items[0].id, a.id);
    assert!(laptop.app.assessments().get(&b.id).await.is_err());
}
