//! Sync benchmark against real parts on 127.0.0.1: a throwaway PostgreSQL 15 cluster with the real
//! `supabase/migrations`, the real PostgREST 12.0.2 and the GoTrue-speaking test gateway
//! (`tests/support/supabase.rs`; PostgreSQL is started with fsync off, as a test server).
//! - the first sync of 10,000 completed assessments with their answers (12 each): push, then the pull of
//!   the same into an empty second device;
//! - a local token check (a valid token, checked before: no network, no database);
//! - steady state: one changed answer, pushed by one device and pulled by the other;
//! - team results (`round_results`) of a round answered by 1,000 consenting members with 12 answers each,
//!   timed inside PostgreSQL (BENCH_TEAM members).
//! - The heatmap of a team with 20 rounds (BENCH_HEATMAP_MEMBERS members each, default 12), end to end.
//!
//! Run: `scripts/fetch-postgrest.sh && cargo bench -p compilar-core --bench sync`
//! Optional env: BENCH_SYNC (default 10,000 assessments), BENCH_ROUNDS (default 20 steady-state rounds),
//! BENCH_LOG=debug (the timing of each push batch and pull round).

#[path = "../../../tests/support/supabase.rs"]
mod supabase;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compilar_core::api::{AnswerRequest, CreateAssessmentRequest, SignInRequest};
use compilar_core::{App, AppOptions};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One completed assessment of each pillar, then `n` in all as copies with new ids and times.
async fn fill(app: &App, n: usize) {
    let fw = app.domain().framework.clone();
    let mut seeds = Vec::new();
    for (i, p) in fw.pillars.iter().enumerate() {
        let a = app
            .assessments()
            .create(CreateAssessmentRequest {
                pillar: p.id.clone(),
                mode: p.mode.clone(),
                include_fresh: None,
                group_label: None,
                note: None,
                round_id: None,
            })
            .await
            .expect("create");
        for (j, q) in a.questions.iter().enumerate() {
            app.assessments()
                .answer(AnswerRequest {
                    assessment_id: a.id.clone(),
                    question_id: q.id.clone(),
                    value: ((i + j) % 5 + 1) as i64,
                })
                .await
                .expect("answer");
        }
        app.assessments().complete(&a.id).await.expect("complete");
        seeds.push(a.id);
    }
    let extra = n.saturating_sub(seeds.len());
    app.store()
        .write(move |c| {
            let mut st = c.prepare(
                "INSERT INTO assessments (id, owner_id, pillar, mode, stage, question_ids, responses, answered,
                     total, results, bank_version, created_at, updated_at, completed_at)
                 SELECT ?1, owner_id, pillar, mode, stage, question_ids, responses, answered, total, results,
                     bank_version, ?2, ?2, ?2
                 FROM assessments WHERE id = ?3",
            )?;
            let start = chrono::Utc::now() - chrono::Duration::days(extra as i64 + 1);
            for i in 0..extra {
                let at = (start + chrono::Duration::seconds(i as i64))
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                st.execute(rusqlite::params![uuid::Uuid::now_v7().to_string(), at, seeds[i % seeds.len()]])?;
            }
            Ok(())
        })
        .await
        .expect("copies");
}

fn sign_in(s: &supabase::Supabase, adopt: bool) -> SignInRequest {
    SignInRequest {
        project_url: s.url.clone(),
        public_key: supabase::ANON_KEY.into(),
        email: "bench@example.test".into(),
        password: "bench password".into(),
        adopt_local: adopt,
    }
}

fn main() {
    // BENCH_LOG=debug prints the per-batch and per-round timings of the sync (`pushed a batch`, `pulled a round`).
    if let Ok(level) = std::env::var("BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
                "compilar_core::capabilities::sync={level}"
            )))
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(env("BENCH_SYNC", 10_000), env("BENCH_ROUNDS", 20)));
}

async fn run(n: usize, rounds: usize) {
    let s = supabase::start()
        .expect("the sync target needs PostgreSQL 15 and scripts/fetch-postgrest.sh");
    s.add_user("bench@example.test", "bench password");

    let dir_a = tempfile::tempdir().expect("tempdir");
    let a = App::open_with(AppOptions::for_tests(dir_a.path()))
        .await
        .expect("open");
    let t = Instant::now();
    fill(&a, n).await;
    println!(
        "seeded {n} completed assessments in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    a.account()
        .sign_in(sign_in(&s, true))
        .await
        .expect("sign in");

    // First push: everything, timed to the first pull progress event.
    let pushed_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let t = Instant::now();
    let report = {
        let pushed_at = Arc::clone(&pushed_at);
        a.sync()
            .sync_with(move |p| {
                if p.stage == "pull" {
                    pushed_at.lock().unwrap().get_or_insert_with(Instant::now);
                }
            })
            .await
            .expect("first sync")
    };
    let whole = t.elapsed();
    let push = pushed_at.lock().unwrap().map_or(whole, |p| p - t);
    let rows = s.sql("select (select count(*) from assessments) || ' assessments, ' || (select count(*) from answers) || ' answers'");
    println!(
        "first push of {n} assessments with their answers: {:.0} ms ({} rows in {} batches; server holds {rows})",
        ms(push),
        report.pushed,
        report.batches
    );
    println!(
        "  then the same device's pull of its own rows back (all kept): {:.0} ms",
        ms(whole - push)
    );

    // An empty second device pulls it all.
    let dir_b = tempfile::tempdir().expect("tempdir");
    let b = App::open_with(AppOptions::for_tests(dir_b.path()))
        .await
        .expect("open");
    b.account()
        .sign_in(sign_in(&s, false))
        .await
        .expect("sign in");
    let t = Instant::now();
    let r = b.sync().sync_now().await.expect("pull");
    println!(
        "pull into an empty device: {:.0} ms ({} rows applied, {} skipped)",
        ms(t.elapsed()),
        r.pulled,
        r.skipped
    );

    // Local token checks: a valid token checked before costs no network call and no database read.
    let before = s.gateway.requests.load(Ordering::Relaxed);
    let k = 100_000;
    let t = Instant::now();
    for _ in 0..k {
        a.account().ensure_token().await.expect("token");
    }
    let per = t.elapsed() / k;
    println!(
        "local token check: {:.2} µs each over {k} checks, {} network requests",
        per.as_secs_f64() * 1e6,
        s.gateway.requests.load(Ordering::Relaxed) - before
    );

    // Steady state: one answer changed on A, then A syncs (push + pull) and B syncs (pull).
    let first = b
        .assessments()
        .list(Default::default())
        .await
        .expect("list");
    let id = first.items[0].id.clone();
    let full = a.assessments().get(&id).await.expect("get");
    let q = full.questions[0].id.clone();
    let mut push_ms = Vec::new();
    let mut pull_ms = Vec::new();
    for i in 0..rounds {
        // A completed assessment's answers are fixed in the app; the bench changes one through the store as
        // an edit on a quiz would, so the same row travels each round.
        let (id2, q2) = (id.clone(), q.clone());
        let v = (i % 5 + 1) as i64;
        a.store()
            .write(move |c| {
                c.execute(
                    "UPDATE assessments SET responses = jsonb_set(responses, ?2, json_object('value', ?3, 'at', ?4)),
                            updated_at = ?4 WHERE id = ?1",
                    rusqlite::params![id2, format!("$.\"{q2}\""), v, compilar_core::util::now()],
                )?;
                Ok(())
            })
            .await
            .expect("change");
        let t = Instant::now();
        a.sync().sync_now().await.expect("push one");
        push_ms.push(ms(t.elapsed()));
        let t = Instant::now();
        let r = b.sync().sync_now().await.expect("pull one");
        pull_ms.push(ms(t.elapsed()));
        assert!(r.pulled >= 1, "{r:?}");
    }
    let got = b.assessments().get(&id).await.expect("get");
    assert_eq!(
        got.answers[&q],
        ((rounds - 1) % 5 + 1) as i64,
        "the last change arrived"
    );
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.total_cmp(y));
        v[v.len() / 2]
    };
    let (p, l) = (med(&mut push_ms), med(&mut pull_ms));
    println!(
        "one changed answer, median of {rounds}: {p:.1} ms to sync on the device that changed it, {l:.1} ms to \
         arrive on the other: {:.1} ms end to end",
        p + l
    );
    team_results(&s, env("BENCH_TEAM", 1_000));
    heatmap(&s, &a, env("BENCH_HEATMAP_MEMBERS", 12)).await;
}

/// A team of `n` consenting members (from those `team_results` made) with 20 rounds all of them answered,
/// and the heatmap across those rounds read end to end by its facilitator's app (`team_results` over
/// PostgREST, names and the facilitator's own scores added on this computer).
async fn heatmap(s: &supabase::Supabase, app: &App, n: usize) {
    let facilitator = s.sql("select id from auth.users where email = 'bench@example.test'");
    let team = s
        .sql(&format!(
            "select set_config('request.jwt.claims', json_build_object('sub', '{facilitator}', 'role', 'authenticated')::text, false);
             do $$
             declare t uuid; r uuid;
             begin
               t := public.create_team('Heatmap team');
               insert into public.memberships (id, owner_id, team_id, role, consent, created_at, client_updated_at,
                                               updated_by_device)
                 select gen_random_uuid(), u.id, t, 'member', true, now(), now(), 'bench'
                   from (select id from auth.users where email like 'member%@bench.test' order by email limit {n}) u;
               for i in 1..20 loop
                 r := public.start_round(t, 'egalitarian', 'divsexp');
                 insert into public.assessments (id, owner_id, pillar, mode, stage, question_ids, answered, total,
                                                 results, bank_version, round_id, completed_at, created_at,
                                                 client_updated_at, updated_by_device)
                   select gen_random_uuid(), m.owner_id, 'divsexp', 'egalitarian', 'completed', '[]', 12, 12,
                          jsonb_build_object('pillar', 'divsexp', 'pillar_score', random() * 100, 'forces',
                            (select jsonb_agg(jsonb_build_object('force', f, 'score', random() * 100))
                               from unnest(array['trust', 'voice', 'care', 'aims']) f)),
                          1, r, now(), now(), now(), 'bench'
                     from public.memberships m where m.team_id = t and m.role = 'member';
                 perform public.close_round(r);
               end loop;
               perform set_config('bench.team', t::text, false);
             end $$;
             analyze public.assessments;
             select current_setting('bench.team');"
        ))
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    let req = || compilar_core::api::TeamResultsRequest {
        team_id: team.clone(),
        last: Some(20),
    };
    let first = app.teams().team_results(req()).await.expect("heatmap");
    assert_eq!(first.rounds.len(), 20);
    let shown = first
        .rounds
        .iter()
        .filter(|r| !r.figures.is_empty())
        .count();
    let mut times = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        app.teams().team_results(req()).await.expect("heatmap");
        times.push(ms(t.elapsed()));
    }
    times.sort_by(|x, y| x.total_cmp(y));
    println!(
        "heatmap of a team with 20 rounds ({n} members answered each; {shown} shown), end to end on loopback: \
         median {:.1} ms, slowest {:.1} ms of {}",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );
}

/// A team of `n` consenting members who completed one round (a pillar of 4 forces, 12 answers each), and the
/// facilitator's `round_results` call timed inside PostgreSQL (median of 20, after one warm-up).
fn team_results(s: &supabase::Supabase, n: usize) {
    let facilitator = s.sql("select id from auth.users where email = 'bench@example.test'");
    let round = s.sql(&format!(
        "select set_config('request.jwt.claims', json_build_object('sub', '{facilitator}', 'role', 'authenticated')::text, false);
         do $$
         declare t uuid; r uuid;
         begin
           t := public.create_team('Bench team');
           r := public.start_round(t, 'egalitarian', 'divsexp');
           insert into auth.users (id, email)
             select gen_random_uuid(), 'member' || g || '@bench.test' from generate_series(1, {n}) g;
           insert into public.memberships (id, owner_id, team_id, role, consent, created_at, client_updated_at,
                                           updated_by_device)
             select gen_random_uuid(), u.id, t, 'member', true, now(), now(), 'bench'
               from auth.users u where u.email like 'member%@bench.test';
           insert into public.assessments (id, owner_id, pillar, mode, stage, question_ids, answered, total, results,
                                           bank_version, round_id, completed_at, created_at, client_updated_at,
                                           updated_by_device)
             select gen_random_uuid(), u.id, 'divsexp', 'egalitarian', 'completed', '[]', 12, 12,
                    jsonb_build_object('pillar', 'divsexp', 'pillar_score', random() * 100, 'forces',
                      (select jsonb_agg(jsonb_build_object('force', f, 'score', random() * 100))
                         from unnest(array['trust', 'voice', 'care', 'aims']) f)),
                    1, r, now(), now(), now(), 'bench'
               from auth.users u where u.email like 'member%@bench.test';
           insert into public.answers (id, owner_id, assessment_id, question_id, value, created_at, client_updated_at,
                                       updated_by_device)
             select gen_random_uuid(), a.owner_id, a.id, 'q' || q, 1 + (random() * 4)::int, now(), now(), 'bench'
               from public.assessments a, generate_series(1, 12) q where a.round_id = r;
           perform set_config('bench.round', r::text, false);
         end $$;
         analyze public.assessments; analyze public.memberships;
         select current_setting('bench.round');"
    ))
    .lines()
    .last()
    .unwrap_or_default()
    .to_owned();
    let out = s.sql(&format!(
        "select set_config('request.jwt.claims', json_build_object('sub', '{facilitator}', 'role', 'authenticated')::text, false);
         create function pg_temp.time_it(r uuid) returns text language plpgsql as $$
         declare t timestamptz; d float8[] := '{{}}'; res jsonb;
         begin
           res := public.round_results(r);
           for i in 1..20 loop
             t := clock_timestamp();
             res := public.round_results(r);
             d := d || (extract(epoch from clock_timestamp() - t) * 1000)::float8;
           end loop;
           return format('%s ms %s %s', round((select percentile_cont(0.5) within group (order by x) from unnest(d) x)::numeric, 2),
                         res ->> 'state', res ->> 'counted');
         end $$;
         select pg_temp.time_it('{round}');"
    ))
    .lines()
    .last()
    .unwrap_or_default()
    .to_owned();
    println!("team results of a round answered by {n} consenting members (12 answers each), on the server: {out}");
}
