//! Large syncs: many assessments go up in batches and come down in pages, a sync is a job that stops between batches and resumes, a batch over the byte cap goes up cut in parts.

use super::*;

/// `n` completed assessments: one of each pillar answered through the app, the rest copies with new ids.
async fn many(app: &App, n: usize) {
    let mut seeds = Vec::new();
    let pillars = app.domain().framework.pillars.clone();
    for p in pillars.iter().filter(|p| p.mode == "egalitarian") {
        let a = assessment(app, &p.id, &[]).await;
        for q in &a.questions {
            answer(app, &a.id, &q.id, 3).await;
        }
        app.assessments().complete(&a.id).await.unwrap();
        seeds.push(a.id);
        if seeds.len() >= n {
            break;
        }
    }
    let extra = n.saturating_sub(seeds.len());
    app.store()
        .write(move |c| {
            let mut st = c.prepare(
                "INSERT INTO assessments (id, owner_id, pillar, mode, stage, question_ids, responses, answered,
                     total, results, bank_version, created_at, updated_at, completed_at)
                 SELECT ?1, owner_id, pillar, mode, stage, question_ids, responses, answered, total, results,
                     bank_version, created_at, updated_at, completed_at FROM assessments WHERE id = ?2",
            )?;
            for i in 0..extra {
                st.execute(rusqlite::params![uuid::Uuid::now_v7().to_string(), seeds[i % seeds.len()]])?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_of_many_assessments_goes_up_in_batches_and_comes_down_in_pages() {
    let Some(s) = supabase::start() else { return };
    let n: usize = std::env::var("SYNC_TEST_ASSESSMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    s.add_user("ada@example.test", "pw");
    let a = device().await;
    many(&a.app, n).await;
    a.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", true))
        .await
        .unwrap();
    let t = std::time::Instant::now();
    let r = a.app.sync().sync_now().await.unwrap();
    println!(
        "first sync of {n} assessments (debug build): {:?}, {r:?}",
        t.elapsed()
    );
    assert_eq!(r.rejected, 0);
    assert_eq!(
        r.batches as usize,
        (n + 1).div_ceil(compilar_core::capabilities::sync::BATCH_ENTRIES),
        "{r:?}"
    );
    assert_eq!(s.sql("select count(*) from assessments"), n.to_string());
    assert_eq!(s.sql("select count(*) from answers"), (n * 12).to_string());

    let b = device().await;
    b.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", false))
        .await
        .unwrap();
    let pages = s.gateway.count("rest:/rpc/pull_all");
    let t = std::time::Instant::now();
    let r = b.app.sync().sync_now().await.unwrap();
    println!(
        "pull of {n} assessments into an empty device (debug build): {:?}, {r:?}",
        t.elapsed()
    );
    assert_eq!(r.pulled as usize, n * 13);
    assert_eq!(r.skipped, 0);
    // 12 answers each come in pages of PAGE_ROWS: at least one round per page (the parents' pages first).
    let per = compilar_core::capabilities::sync::PAGE_ROWS as usize;
    let asked = s.gateway.count("rest:/rpc/pull_all") - pages;
    assert!(
        asked as usize >= (n * 12).div_ceil(per) + n.div_ceil(per),
        "{asked} pull requests"
    );
    let page = b.app.assessments().list(Default::default()).await.unwrap();
    assert_eq!(page.total as usize, n);
    let one = b.app.assessments().get(&page.items[0].id).await.unwrap();
    assert_eq!((one.answered, one.results.is_some()), (12, true));
}

/// A sync is a job: listed while it runs (with its stage), and stopped by hand between batches with nothing
/// lost: the next sync sends the rest and the server holds everything once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_is_a_job_that_can_be_stopped_between_batches_and_resumed() {
    let Some(s) = supabase::start() else { return };
    s.add_user("ada@example.test", "pw");
    let a = device().await;
    let n = compilar_core::capabilities::sync::BATCH_ENTRIES + 200;
    many(&a.app, n).await;
    a.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", true))
        .await
        .unwrap();
    s.gateway.hold_pushes.store(true, Ordering::Relaxed);
    let app = a.app.clone();
    let running = tokio::spawn(async move { app.sync().sync_now().await });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.gateway.held.load(Ordering::Relaxed) == 0 {
        assert!(std::time::Instant::now() < deadline, "no push arrived");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let jobs = a.app.diagnostics().jobs().await.unwrap();
    let job = jobs
        .iter()
        .find(|j| j.id == "sync")
        .expect("the sync is listed as a job");
    assert_eq!(job.label, "Sync");
    assert!(a.app.sync().cancel(), "a running sync can be stopped");
    s.gateway.release();
    let stopped = running.await.unwrap();
    assert!(matches!(stopped, Err(Error::Cancelled)), "{stopped:?}");
    assert!(!a.app.sync().cancel(), "nothing runs after it stopped");
    let st = a.app.sync().status().await.unwrap();
    assert!(st.pending > 0, "the rest waits: {st:?}");
    assert_eq!(s.sql("select count(*) from sync_batches"), "1");

    let r = a.app.sync().sync_now().await.unwrap();
    assert_eq!(r.rejected, 0);
    assert_eq!(a.app.sync().status().await.unwrap().pending, 0);
    assert_eq!(s.sql("select count(*) from assessments"), n.to_string());
    assert_eq!(s.sql("select count(*) from answers"), (n * 12).to_string());
    assert!(a
        .app
        .diagnostics()
        .jobs()
        .await
        .unwrap()
        .iter()
        .all(|j| j.id != "sync"));
}

/// A batch over the byte cap is cut before it is sent (the server refuses one over 16 MB with 413): twelve coach
/// reports of 900,000 characters go up in several requests, all of them, nothing refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_byte_cap_goes_up_cut_in_parts() {
    let Some(s) = supabase::start() else { return };
    s.add_user("ada@example.test", "pw");
    let a = device().await;
    many(&a.app, 1).await;
    a.app
        .store()
        .write(|c| {
            let (owner, assessment): (String, String) =
                c.query_row("SELECT owner_id, id FROM assessments LIMIT 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let body = "A long report. ".repeat(60_000);
            for _ in 0..12 {
                c.execute(
                    "INSERT INTO coach_reports (id, owner_id, assessment_id, status, writer, content, passages,
                         citations, prompt_version, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'complete', 'offline', ?4, '[]', '[]', 1, ?5, ?5)",
                    rusqlite::params![
                        uuid::Uuid::now_v7().to_string(),
                        owner,
                        assessment,
                        body,
                        compilar_core::util::now()
                    ],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    a.app
        .account()
        .sign_in(sign_in_req(&s, "ada@example.test", "pw", true))
        .await
        .unwrap();
    let before = s.gateway.count("rest:/rpc/push_changes");
    let r = a.app.sync().sync_now().await.unwrap();
    assert_eq!(r.rejected, 0, "{r:?}");
    assert!(r.batches >= 2, "{r:?}");
    assert_eq!(
        s.gateway.count("rest:/rpc/push_changes") - before,
        r.batches as u64,
        "one request per batch: none refused for its size"
    );
    assert_eq!(s.sql("select count(*) from coach_reports"), "12");
}
