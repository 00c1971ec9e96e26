//! Sync benchmark against real parts on 127.0.0.1: a throwaway PostgreSQL 15 cluster with the real
//! `supabase/migrations`, the real PostgREST 12.0.2 and the GoTrue-speaking test gateway
//! (`tests/support/supabase.rs`; PostgreSQL is started with fsync off, as a test server).
//! - the first sync of 10,000 completed assessments with their answers (12 each): push, then the pull of
//!   the same into an empty second device;
//! - a local token check (a valid token, checked before: no network, no database);
//! - steady state: one changed answer, pushed by one device and pulled by the other;
//! - team results (`round_results`) of a round answered by 1,000 consenting members with 12 answers each,
//!   timed inside PostgreSQL (BENCH_TEAM members): a release (the members' scores, kept as their answers came
//!   in, summed into figures) and a figure shown again; and what keeping the scores costs one member's push;
//! - a push with one bad row in it, inside PostgreSQL: the largest batch the app sends (1,000 assessments with
//!   their 12,000 answers) and the server's cap (49,998 rows);
//! - the first push and the pushes with a bad row measured again on the schema as it was before
//!   `20261208000000_team_integrity.sql` (BENCH_OLD=0 skips it), in the same run.
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

/// A fresh device holding `n` completed assessments, signed in to `s`, and its first sync: the push timed to
/// the first pull progress event, then the whole sync.
struct FirstSync {
    app: App,
    _dir: tempfile::TempDir,
    push: Duration,
    whole: Duration,
    report: compilar_core::api::SyncReport,
}

async fn first_sync(s: &supabase::Supabase, n: usize) -> FirstSync {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .expect("open");
    let t = Instant::now();
    fill(&app, n).await;
    println!(
        "seeded {n} completed assessments in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    app.account()
        .sign_in(sign_in(s, true))
        .await
        .expect("sign in");
    let pushed_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let t = Instant::now();
    let report = {
        let pushed_at = Arc::clone(&pushed_at);
        app.sync()
            .sync_with(move |p| {
                if p.stage == "pull" {
                    if let Ok(mut at) = pushed_at.lock() {
                        at.get_or_insert_with(Instant::now);
                    }
                }
            })
            .await
            .expect("first sync")
    };
    let whole = t.elapsed();
    let push = pushed_at
        .lock()
        .ok()
        .and_then(|at| *at)
        .map_or(whole, |p| p - t);
    FirstSync {
        app,
        _dir: dir,
        push,
        whole,
        report,
    }
}

/// Pushes with one bad answer (a value of 9) among good rows, timed inside PostgreSQL as the signed-in user:
/// `assessments` assessments with 12 answers each, in the app's wire form (rows as arrays). Median of 3.
fn push_with_a_bad_row(s: &supabase::Supabase, assessments: usize) -> String {
    let user = s.sql("select id from auth.users where email = 'bench@example.test'");
    let domain = compilar_core::domain::Domain::builtin().expect("domain");
    let qs = domain
        .bank
        .for_pillar("divsexp")
        .map(|q| format!("'{}'", q.id))
        .collect::<Vec<_>>()
        .join(", ");
    let setup = format!(
        "select set_config('request.jwt.claims', json_build_object('sub', '{user}', 'role', 'authenticated')::text, false);
         create or replace function pg_temp.bench_batch(n int) returns jsonb language sql as $$
           with a as (select gen_random_uuid() as id, g from generate_series(1, n) g),
                q as (select x as qid, i from unnest(array[{qs}]::text[]) with ordinality u(x, i))
           select jsonb_build_object(
             'assessments', jsonb_build_object(
               'columns', jsonb_build_array('id', 'pillar', 'mode', 'stage', 'question_ids', 'answered', 'total',
                            'results', 'bank_version', 'completed_at', 'created_at', 'client_updated_at',
                            'updated_by_device'),
               'rows', (select jsonb_agg(jsonb_build_array(a.id, 'divsexp', 'egalitarian', 'completed',
                          (select jsonb_agg(q.qid order by q.i) from q), 12, 12,
                          jsonb_build_object('pillar', 'divsexp', 'pillar_score', 50, 'forces',
                            (select jsonb_agg(jsonb_build_object('force', f, 'score', 50))
                               from unnest(array['voice_safety', 'change_capacity', 'decision_speed', 'norm_pressure']) f)),
                          1, now(), now(), now(), 'bench')) from a)),
             'answers', jsonb_build_object(
               'columns', jsonb_build_array('id', 'assessment_id', 'question_id', 'value', 'created_at',
                            'client_updated_at', 'updated_by_device'),
               'rows', (select jsonb_agg(jsonb_build_array(gen_random_uuid(), a.id, q.qid,
                          case when a.g = n / 2 and q.i = 1 then 9 else 1 + (a.g + q.i) % 5 end, now(), now(), 'bench'))
                          from a, q)))
         $$;
         create or replace function pg_temp.bench_push(b jsonb) returns text language plpgsql as $$
         declare t timestamptz := clock_timestamp(); r jsonb;
         begin
           r := public.push_changes(gen_random_uuid(), 'bench', b);
           return format('%s|%s|%s', extract(epoch from clock_timestamp() - t) * 1000, r ->> 'applied',
                         jsonb_array_length(r -> 'rejected'));
         end $$;"
    );
    let mut times = Vec::new();
    let mut last = String::new();
    for _ in 0..3 {
        let out = s.sql(&format!(
            "{setup} set role authenticated; select pg_temp.bench_push(pg_temp.bench_batch({assessments}));"
        ));
        last = out.lines().last().unwrap_or_default().to_owned();
        times.push(
            last.split('|')
                .next()
                .and_then(|x| x.parse::<f64>().ok())
                .unwrap_or(f64::NAN),
        );
    }
    times.sort_by(|x, y| x.total_cmp(y));
    let parts: Vec<&str> = last.split('|').collect();
    format!(
        "median {:.0} ms of 3 ({:.0}–{:.0}; {} rows applied, {} refused)",
        times[1],
        times[0],
        times[2],
        parts.get(1).unwrap_or(&"?"),
        parts.get(2).unwrap_or(&"?")
    )
}

/// The same measures on the schema before this release's team-integrity migration.
async fn before_this_release(n: usize) {
    let Some(old) = supabase::start_before("20261208000000") else {
        return;
    };
    old.add_user("bench@example.test", "bench password");
    let first = first_sync(&old, n).await;
    println!(
        "before team integrity: first push of {n} assessments: {:.0} ms ({} rows in {} batches)",
        ms(first.push),
        first.report.pushed,
        first.report.batches
    );
    println!(
        "before team integrity: a push of the app's largest batch (13,000 rows) with one bad row: {}",
        push_with_a_bad_row(&old, 1_000)
    );
    println!(
        "before team integrity: a push of 49,998 rows with one bad row: {}",
        push_with_a_bad_row(&old, 3_846)
    );
}

async fn run(n: usize, rounds: usize) {
    if env("BENCH_OLD", 1) == 1 {
        before_this_release(n).await;
    }
    let s = supabase::start()
        .expect("the sync target needs PostgreSQL 15 and scripts/fetch-postgrest.sh");
    s.add_user("bench@example.test", "bench password");

    let FirstSync {
        app: a,
        _dir: _dir_a,
        push,
        whole,
        report,
    } = first_sync(&s, n).await;
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
    println!(
        "a push of the app's largest batch (13,000 rows) with one bad row, on the server: {}",
        push_with_a_bad_row(&s, 1_000)
    );
    println!(
        "a push of 49,998 rows (the server's cap is 50,000) with one bad row, on the server: {}",
        push_with_a_bad_row(&s, 3_846)
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
             {ANSWER_ROUND}
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
                 perform pg_temp.answer_round(r, t);
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

/// Every member of team `t` completes round `r` (Diverse Expression: its 12 bank questions, answered at random).
const ANSWER_ROUND: &str = "
  create or replace function pg_temp.answer_round(r uuid, t uuid) returns void language sql as $f$
    with m as (select gen_random_uuid() as a, owner_id from public.memberships where team_id = t and role = 'member'),
         ins as (
           insert into public.assessments (id, owner_id, pillar, mode, stage, question_ids, answered, total, results,
                                           bank_version, round_id, completed_at, created_at, client_updated_at,
                                           updated_by_device)
           select m.a, m.owner_id, 'divsexp', 'egalitarian', 'completed',
                  (select jsonb_agg(q.id order by q.id) from public.framework_questions q where q.pillar = 'divsexp'),
                  12, 12, '{}'::jsonb, 1, r, now(), now(), now(), 'bench'
             from m returning id, owner_id)
    insert into public.answers (id, owner_id, assessment_id, question_id, value, created_at, client_updated_at,
                                updated_by_device)
    select gen_random_uuid(), i.owner_id, i.id, q.id, 1 + (random() * 4)::int, now(), now(), 'bench'
      from ins i, public.framework_questions q where q.pillar = 'divsexp';
  $f$;";

/// A team of `n` consenting members who completed one round (Diverse Expression, its 12 bank questions), and
/// the facilitator's `round_results` timed inside PostgreSQL: a release (every member's answers scored, the
/// figures computed; median of 10, the release forgotten before each) and the figures shown again (median of
/// 20).
fn team_results(s: &supabase::Supabase, n: usize) {
    let facilitator = s.sql("select id from auth.users where email = 'bench@example.test'");
    let round = s.sql(&format!(
        "select set_config('request.jwt.claims', json_build_object('sub', '{facilitator}', 'role', 'authenticated')::text, false);
         {ANSWER_ROUND}
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
           perform pg_temp.answer_round(r, t);
           perform set_config('bench.round', r::text, false);
         end $$;
         analyze public.assessments; analyze public.memberships; analyze public.answers;
         select current_setting('bench.round');"
    ))
    .lines()
    .last()
    .unwrap_or_default()
    .to_owned();
    let out = s.sql(&format!(
        "select set_config('request.jwt.claims', json_build_object('sub', '{facilitator}', 'role', 'authenticated')::text, false);
         create function pg_temp.time_it(r uuid) returns text language plpgsql as $$
         declare t timestamptz; d float8[] := '{{}}'; e float8[] := '{{}}'; res jsonb;
         begin
           for i in 1..10 loop
             delete from public.round_releases p where p.round_id = r;
             t := clock_timestamp();
             res := public.round_results(r);
             e := e || (extract(epoch from clock_timestamp() - t) * 1000)::float8;
           end loop;
           for i in 1..20 loop
             t := clock_timestamp();
             res := public.round_results(r);
             d := d || (extract(epoch from clock_timestamp() - t) * 1000)::float8;
           end loop;
           return format('a release (the members'' kept scores summed) median %s ms of 10, shown again median %s ms of 20 (%s, %s people)',
                         round((select percentile_cont(0.5) within group (order by x) from unnest(e) x)::numeric, 1),
                         round((select percentile_cont(0.5) within group (order by x) from unnest(d) x)::numeric, 2),
                         res ->> 'state', res ->> 'counted');
         end $$;
         select pg_temp.time_it('{round}');"
    ))
    .lines()
    .last()
    .unwrap_or_default()
    .to_owned();
    println!("team results of a round answered by {n} consenting members (12 answers each), on the server: {out}");

    // What keeping the scores costs a member: one push of a completed assessment with its 12 answers, in the
    // round (scored and kept as it goes in) and outside any round.
    let member = s.sql("select id from auth.users where email = 'member1@bench.test'");
    let out = s.sql(&format!(
        "select set_config('request.jwt.claims', json_build_object('sub', '{member}', 'role', 'authenticated')::text, false);
         create function pg_temp.one(r uuid) returns jsonb language sql as $$
           with q as (select id from public.framework_questions where pillar = 'divsexp'), a as (select gen_random_uuid() as id)
           select jsonb_build_object(
             'assessments', jsonb_build_array(jsonb_build_object('id', a.id, 'pillar', 'divsexp', 'mode', 'egalitarian',
               'stage', 'completed', 'question_ids', (select jsonb_agg(q.id order by q.id) from q), 'answered', 12,
               'total', 12, 'bank_version', 1, 'round_id', r,
               'results', jsonb_build_object('pillar', 'divsexp', 'pillar_score', 50, 'forces',
                 (select jsonb_agg(jsonb_build_object('force', f, 'score', 50))
                    from unnest(array['voice_safety', 'change_capacity', 'decision_speed', 'norm_pressure']) f)),
               'completed_at', now(), 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'bench')),
             'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', a.id,
               'question_id', q.id, 'value', 3, 'created_at', now(), 'client_updated_at', now(),
               'updated_by_device', 'bench')) from q))
             from a $$;
         create function pg_temp.time_push(r uuid) returns float8 language plpgsql as $$
         declare t timestamptz; d float8[] := '{{}}'; c jsonb;
         begin
           for i in 1..20 loop
             c := pg_temp.one(r);
             t := clock_timestamp();
             if jsonb_array_length(public.push_changes(gen_random_uuid(), 'bench', c) -> 'rejected') > 0 then
               raise exception 'refused';
             end if;
             d := d || (extract(epoch from clock_timestamp() - t) * 1000)::float8;
           end loop;
           return (select percentile_cont(0.5) within group (order by x) from unnest(d) x);
         end $$;
         select format('%s ms in the round (scored and kept), %s ms outside any round',
                       round(pg_temp.time_push('{round}')::numeric, 2), round(pg_temp.time_push(null)::numeric, 2));"
    ))
    .lines()
    .last()
    .unwrap_or_default()
    .to_owned();
    println!("a member's push of one completed assessment with its 12 answers, on the server, medians of 20: {out}");
}
