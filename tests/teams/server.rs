//! What the server computes, held by property tests: its scoring equals the app's, and no history of joins, answers, withdrawals and reads lets anyone solve for one person's score.

use super::*;

/// `round1` as the app rounds displayed scores.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The server scores answers exactly as the app does: random answer sets (proptest) — any pillar, a subset of its
/// bank questions and of its sibling pillar's (the app accepts those when the force is the pillar's), fresh
/// questions of the same person, reverse items, unanswered questions, none answered — scored by
/// `domain::scoring` and by `assessment_scores` on the real PostgreSQL agree on every force and on the pillar,
/// and the scores kept for releases (`round_scores`) are the same.
#[test]
fn the_server_scores_answers_exactly_as_the_app_does() {
    use compilar_core::domain::{Domain, Question, FRESH_PREFIX};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use std::collections::HashMap;

    let Some(s) = supabase::start() else { return };
    let domain = Domain::builtin().unwrap();
    let owner = s.add_user("scorer@example.test", "a good password");
    let fw = &domain.framework;
    let strategy = (
        0..fw.pillars.len(),
        proptest::collection::vec((0usize..24, 0i64..=5), 1..20),
        proptest::collection::vec((0usize..4, any::<bool>(), 0i64..=5), 0..3),
    );
    let mut runner = TestRunner::new(Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(p, picks, fresh)| {
        let pillar = &fw.pillars[p];
        let sibling = fw
            .pillars
            .iter()
            .find(|x| x.letter == pillar.letter && x.id != pillar.id)
            .unwrap();
        let candidates: Vec<&Question> = domain
            .bank
            .for_pillar(&pillar.id)
            .chain(domain.bank.for_pillar(&sibling.id))
            .collect();
        let forces = fw.forces_of(pillar);
        let mut ids: Vec<String> = Vec::new();
        let mut answers: HashMap<String, i64> = HashMap::new();
        for (i, v) in &picks {
            let q = candidates[i % candidates.len()];
            if ids.contains(&q.id) {
                continue;
            }
            ids.push(q.id.clone());
            if *v > 0 {
                answers.insert(q.id.clone(), *v);
            }
        }
        let mut fresh_qs = Vec::new();
        for (f, reverse, v) in &fresh {
            let id = format!("{FRESH_PREFIX}{}", uuid::Uuid::now_v7());
            fresh_qs.push(Question {
                id: id.clone(),
                pillar: pillar.id.clone(),
                mode: pillar.mode.clone(),
                force: forces[*f].id.clone(),
                text: "A fresh question?".into(),
                reverse: *reverse,
                generated: true,
            });
            ids.push(id.clone());
            if *v > 0 {
                answers.insert(id, *v);
            }
        }
        let app = compilar_core::domain::score_with(&domain, &pillar.id, &ids, &answers, &fresh_qs);

        let a = uuid::Uuid::now_v7();
        let mut sql = format!(
            "insert into public.assessments (id, owner_id, pillar, mode, stage, question_ids, answered, total,
               bank_version, round_id, results, completed_at, created_at, client_updated_at, updated_by_device)
             values ('{a}', '{owner}', '{}', '{}', 'completed', '{}', {}, {}, 1, gen_random_uuid(), '{{}}', now(),
                     now(), now(), 'prop');",
            pillar.id,
            pillar.mode,
            serde_json::to_string(&ids).unwrap(),
            answers.len(),
            ids.len()
        );
        for q in &fresh_qs {
            sql.push_str(&format!(
                "insert into public.generated_questions (id, owner_id, pillar, mode, force, text, reverse, provider,
                   model, created_at, client_updated_at, updated_by_device)
                 values ('{}', '{owner}', '{}', '{}', '{}', 'Q?', {}, 'p', 'm', now(), now(), 'prop');",
                &q.id[FRESH_PREFIX.len()..],
                q.pillar,
                q.mode,
                q.force,
                i32::from(q.reverse)
            ));
        }
        for (qid, v) in &answers {
            sql.push_str(&format!(
                "insert into public.answers (id, owner_id, assessment_id, question_id, value, created_at,
                   client_updated_at, updated_by_device)
                 values (gen_random_uuid(), '{owner}', '{a}', '{qid}', {v}, now(), now(), 'prop');"
            ));
        }
        // The scores kept for a release (round_scores, written by triggers as the assessment, then its fresh
        // questions, then its answers went in) must be what scoring now gives.
        sql.push_str(&format!(
            "with now as (select s.owner_id, s.pillar, s.force, s.score
                            from public.assessment_scores(array['{a}'::uuid]) s),
                  kept as (select k.owner_id, k.pillar, k.force, k.score from public.round_scores k
                            where k.assessment_id = '{a}')
             select json_build_object(
               'scores', (select coalesce(json_object_agg(coalesce(force, '-'), score), '{{}}') from now),
               'drift', (select count(*) from (select * from now except all select * from kept) x)
                      + (select count(*) from (select * from kept except all select * from now) y));"
        ));
        let printed = s.sql(&sql);
        let last: serde_json::Value =
            serde_json::from_str(printed.lines().last().unwrap_or_default()).unwrap();
        prop_assert_eq!(&last["drift"], &serde_json::json!(0), "round_scores differs from scoring now");
        let out: HashMap<String, Option<f64>> =
            serde_json::from_value(last["scores"].clone()).unwrap();
        match app {
            Err(e) => {
                prop_assert_eq!(e.code(), "no_answers");
                prop_assert!(out.is_empty(), "the server scored what the app refuses: {:?}", out);
            }
            Ok(r) => {
                let pillar_sql = out.get("-").copied().flatten();
                prop_assert_eq!(pillar_sql.map(round1), Some(r.pillar_score));
                prop_assert_eq!(out.len(), r.forces.len() + 1);
                for f in &r.forces {
                    let got = out
                        .get(&f.force)
                        .ok_or_else(|| TestCaseError::fail(format!("no {}", f.force)))?;
                    prop_assert_eq!(got.map(round1), f.score, "force {}", f.force);
                }
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Whether `target` is a combination of `rows` (0/1 vectors over the same people): Gaussian elimination.
fn in_span(rows: &[Vec<f64>], target: &[f64]) -> bool {
    fn rank(mut m: Vec<Vec<f64>>) -> usize {
        let cols = m.first().map_or(0, Vec::len);
        let mut r = 0;
        for c in 0..cols {
            let Some(p) = (r..m.len()).find(|&i| m[i][c].abs() > 1e-9) else {
                continue;
            };
            m.swap(r, p);
            let pivot = m[r].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != r && row[c].abs() > 1e-9 {
                    let k = row[c] / pivot[c];
                    for (x, y) in row.iter_mut().zip(&pivot) {
                        *x -= k * y;
                    }
                }
            }
            r += 1;
        }
        r
    }
    let mut with = rows.to_vec();
    with.push(target.to_vec());
    rank(rows.to_vec()) == rank(with)
}

/// The release rule as a property, on the real PostgreSQL. 1,000 random histories (seeded, so a failure names
/// its seed): twelve people, a team A with a round of Diverse Expression (threshold 3) and later a second one, a
/// team B of some of the same people with a round of the same pillar; people join, consent, answer, withdraw,
/// leave, are removed and delete their accounts, while their facilitators read the results after every step and
/// a third connection reads every round all the while. Over everything that was ever returned:
/// - for each round (one measure per pillar and force, over the same sets), no person's indicator vector is in
///   the span of the member sets whose figures were shown, so nobody can be solved for;
/// - across the rounds of one history (same pillar, mode and period) no two shown sets differ by 1 or 2 people;
/// - every figure is over its set: n people, the mean and standard deviation of their scores in whole points,
///   their bands.
#[test]
fn no_history_lets_anyone_solve_for_one_person() {
    use compilar_core::domain::questions::SplitMix64;
    use std::collections::{BTreeSet, HashMap};
    use std::fmt::Write as _;

    let Some(s) = supabase::start() else { return };
    const SEEDS: u64 = 1000;
    const PEOPLE: u64 = 12;
    const T: usize = 3;
    let domain = compilar_core::domain::Domain::builtin().unwrap();
    let pillar = domain.framework.pillar("divsexp").unwrap();
    let forces: Vec<String> = domain
        .framework
        .forces_of(pillar)
        .iter()
        .map(|f| f.id.clone())
        .collect();
    let questions: Vec<(String, usize, bool)> = domain
        .bank
        .for_pillar("divsexp")
        .map(|q| {
            let f = forces.iter().position(|x| *x == q.force).unwrap();
            (q.id.clone(), f, q.reverse)
        })
        .collect();
    let user = |seed: u64, n: u64| format!("7e570000-{seed:04x}-4000-8000-{n:012x}");
    s.sql(&format!(
        "insert into auth.users (id, email) select ('7e570000-' || lpad(to_hex(s), 4, '0') || '-4000-8000-' ||
           lpad(to_hex(n), 12, '0'))::uuid, 'p' || s || '-' || n || '@example.test'
           from generate_series(0, {}) s, generate_series(0, {}) n;
         create unlogged table prop_log (seed integer, tag text, round uuid, result jsonb, members uuid[]);",
        SEEDS - 1,
        PEOPLE - 1
    ));

    // The histories, as psql scripts (two, of alternate seeds, run at once), and what each person answered.
    let mut expected: HashMap<(u64, String, String), Scores> = HashMap::new();
    let mut scripts = [String::new(), String::new()];
    for seed in 0..SEEDS {
        let mut rng = SplitMix64(seed.wrapping_mul(0x9E37_79B9) ^ 0x5EED);
        let mut pick = |n: u64| rng.next_u64() % n;
        let sc = &mut scripts[(seed % 2) as usize];
        let claims = |n: u64| {
            format!(
                "select set_config('request.jwt.claims', '{{\"sub\":\"{}\",\"role\":\"authenticated\"}}', false);\n",
                user(seed, n)
            )
        };
        let _ = write!(
            sc,
            "{}select public.create_team('prop-{seed}-a', null, 3) as ta \\gset\n\
             select public.create_invite(:'ta') ->> 'code' as ca \\gset\n\
             select public.start_round(:'ta', 'egalitarian', 'divsexp') as r1 \\gset\n\
             {}select public.create_team('prop-{seed}-b', null, 3) as tb \\gset\n\
             select public.create_invite(:'tb') ->> 'code' as cb \\gset\n\
             select public.start_round(:'tb', 'egalitarian', 'divsexp') as r3 \\gset\n",
            claims(0),
            claims(1)
        );
        // In Rust: who is in which team (0 facilitates A, 1 facilitates B; neither leaves or goes).
        let mut member = [BTreeSet::from([0u64]), BTreeSet::from([1u64])];
        let mut gone: BTreeSet<u64> = BTreeSet::new();
        let mut answered: BTreeSet<(u64, &str)> = BTreeSet::new();
        let mut rounds: Vec<(&str, usize)> = vec![("r1", 0), ("r3", 1)];
        let read = |sc: &mut String, tag: &str, team: usize| {
            let _ = write!(
                sc,
                "{}select public.round_results(:'{tag}') as res \\gset
                 insert into prop_log select {seed}, '{tag}', (:'res'::jsonb ->> 'round')::uuid, :'res'::jsonb,
                   (select p.members from public.round_releases p where p.id = (:'res'::jsonb ->> 'release')::uuid);\n",
                claims(team as u64)
            );
        };
        // Most people join A at first, some join B as well; most of them share their results.
        for n in 2..PEOPLE {
            for (team, (tvar, cvar), odds) in [(0usize, ("ta", "ca"), 5u64), (1, ("tb", "cb"), 2)] {
                if pick(6) < odds {
                    let _ = writeln!(sc, "{}select public.join_team(:'{cvar}');", claims(n));
                    member[team].insert(n);
                    if pick(5) != 0 {
                        let _ = writeln!(sc, "select public.set_consent(:'{tvar}', true);");
                    }
                }
            }
        }
        for _step in 0..30 {
            let n = 2 + pick(PEOPLE - 2);
            let team = usize::from(pick(3) == 0);
            let (tvar, cvar) = if team == 0 {
                ("ta", "ca")
            } else {
                ("tb", "cb")
            };
            if gone.contains(&n) {
                continue;
            }
            match pick(12) {
                0..=2 if !member[team].contains(&n) => {
                    let _ = writeln!(sc, "{}select public.join_team(:'{cvar}');", claims(n));
                    member[team].insert(n);
                    if pick(4) != 0 {
                        let _ = writeln!(sc, "select public.set_consent(:'{tvar}', true);");
                    }
                }
                0..=2 => {
                    let _ = writeln!(
                        sc,
                        "{}select public.set_consent(:'{tvar}', true);",
                        claims(n)
                    );
                }
                3..=8 => {
                    // Mostly a round of a team they are in.
                    let theirs: Vec<&str> = rounds
                        .iter()
                        .filter(|(_, t)| member[*t].contains(&n))
                        .map(|(r, _)| *r)
                        .collect();
                    let tag = if !theirs.is_empty() && pick(4) != 0 {
                        theirs[pick(theirs.len() as u64) as usize]
                    } else {
                        rounds[pick(rounds.len() as u64) as usize].0
                    };
                    if answered.insert((n, tag)) {
                        let a = uuid::Uuid::now_v7();
                        let values: Vec<i64> =
                            questions.iter().map(|_| 1 + pick(5) as i64).collect();
                        let mut sums = [(0.0, 0u32); 4];
                        for ((_, f, reverse), v) in questions.iter().zip(&values) {
                            let v = if *reverse { 6 - v } else { *v };
                            sums[*f].0 += (v - 1) as f64 / 4.0 * 100.0;
                            sums[*f].1 += 1;
                        }
                        let fs = sums.map(|(sum, k)| sum / k as f64);
                        let pillar_score = fs.iter().sum::<f64>() / 4.0;
                        expected.insert((seed, tag.to_owned(), user(seed, n)), (pillar_score, fs));
                        let ids: Vec<&String> = questions.iter().map(|q| &q.0).collect();
                        let _ = writeln!(
                            sc,
                            "insert into public.assessments (id, owner_id, pillar, mode, stage, question_ids, answered,
                               total, results, bank_version, round_id, completed_at, created_at, client_updated_at,
                               updated_by_device)
                             values ('{a}', '{}', 'divsexp', 'egalitarian', 'completed', '{}', 12, 12, '{{}}', 1,
                               :'{tag}', now(), now(), now(), 'prop');
                             insert into public.answers (id, owner_id, assessment_id, question_id, value, created_at,
                               client_updated_at, updated_by_device)
                             select gen_random_uuid(), '{}', '{a}', q, v, now(), now(), 'prop'
                               from unnest(array[{}]::text[], array[{}]::int[]) x(q, v);",
                            user(seed, n),
                            serde_json::to_string(&ids).unwrap(),
                            user(seed, n),
                            ids.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(","),
                            values.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
                        );
                    }
                }
                9 if member[team].contains(&n) => {
                    let _ = writeln!(
                        sc,
                        "{}select public.set_consent(:'{tvar}', false);",
                        claims(n)
                    );
                }
                10 if member[team].contains(&n) && pick(2) == 0 => {
                    let _ = writeln!(sc, "{}select public.leave_team(:'{tvar}');", claims(n));
                    member[team].remove(&n);
                }
                10 if member[team].contains(&n) => {
                    let _ = writeln!(
                        sc,
                        "{}select public.remove_member(:'{tvar}', '{}');",
                        claims(team as u64),
                        user(seed, n)
                    );
                    member[team].remove(&n);
                }
                11 if pick(3) == 0 => {
                    let _ = writeln!(sc, "delete from auth.users where id = '{}';", user(seed, n));
                    gone.insert(n);
                    member[0].remove(&n);
                    member[1].remove(&n);
                }
                11 if rounds.len() == 2 => {
                    let _ = writeln!(
                        sc,
                        "{}select public.start_round(:'ta', 'egalitarian', 'divsexp') as r2 \\gset",
                        claims(0)
                    );
                    rounds.push(("r2", 0));
                }
                _ => continue,
            }
            let (tag, t) = rounds[pick(rounds.len() as u64) as usize];
            read(sc, tag, t);
        }
        for (tag, t) in rounds.clone() {
            read(sc, tag, t);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut running = Vec::new();
    for (i, sc) in scripts.iter().enumerate() {
        let p = dir.path().join(format!("history-{i}.sql"));
        std::fs::write(&p, sc).unwrap();
        running.push(
            s.psql_file(&p)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    // A third connection reads the newest rounds all the while, as a member of their team would.
    let reader = dir.path().join("reader.sql");
    let mut r = String::from(
        "create function pg_temp.read_newest() returns void language plpgsql as $f$
         declare x record; q jsonb;
         begin
           for x in select r.id, m.owner_id from public.rounds r
                      join public.teams t on t.id = r.team_id and t.name like 'prop-%'
                      join public.memberships m on m.team_id = r.team_id and m.role = 'facilitator' and m.deleted_at is null
                     order by r.created_at desc limit 4 loop
             perform set_config('request.jwt.claims', json_build_object('sub', x.owner_id, 'role', 'authenticated')::text, true);
             q := public.round_results(x.id);
             insert into prop_log select -1, null, x.id, q,
               (select p.members from public.round_releases p where p.id = (q ->> 'release')::uuid);
           end loop;
         end $f$;\n",
    );
    for _ in 0..1500 {
        r.push_str("select pg_temp.read_newest();\n");
    }
    std::fs::write(&reader, r).unwrap();
    let mut reader = s
        .psql_file(&reader)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for mut p in running {
        assert!(p.wait().unwrap().success(), "a history script failed");
    }
    let _ = reader.kill();
    let _ = reader.wait();

    // Everything that was returned.
    let rows = s.sql(
        "select coalesce(seed, -1) || '|' || coalesce(tag, '') || '|' || round || '|' || result::text || '|' ||
                coalesce(array_to_string(members, ','), '')
           from prop_log order by seed",
    );
    let mut tag_of: HashMap<String, (u64, String)> = HashMap::new();
    let mut shown: HashMap<String, BTreeSet<Vec<String>>> = HashMap::new();
    let (mut reads, mut with_figures) = (0, 0);
    let mut figures: Vec<(String, Vec<String>, serde_json::Value)> = Vec::new();
    for line in rows.lines() {
        let parts: Vec<&str> = line.splitn(5, '|').collect();
        let (seed, tag, round, result, members) =
            (parts[0], parts[1], parts[2], parts[3], parts[4]);
        reads += 1;
        if seed != "-1" {
            tag_of.insert(round.to_owned(), (seed.parse().unwrap(), tag.to_owned()));
        }
        let v: serde_json::Value = serde_json::from_str(result).unwrap();
        if v["results"].is_null() {
            assert!(members.is_empty(), "{line}");
            continue;
        }
        with_figures += 1;
        let set: Vec<String> = members.split(',').map(str::to_owned).collect();
        assert_eq!(v["counted"].as_u64(), Some(set.len() as u64), "{line}");
        assert!(set.len() >= T, "{line}");
        shown
            .entry(round.to_owned())
            .or_default()
            .insert(set.clone());
        figures.push((round.to_owned(), set, v["results"].clone()));
    }
    assert!(reads > 10 * SEEDS as usize, "{reads} reads");
    assert!(
        with_figures > SEEDS as usize,
        "{with_figures} reads with figures"
    );

    // Nobody can be solved for, round by round.
    let mut chains = 0;
    for (round, sets) in &shown {
        let people: Vec<&String> = sets
            .iter()
            .flatten()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows: Vec<Vec<f64>> = sets
            .iter()
            .map(|s| {
                people
                    .iter()
                    .map(|p| f64::from(u8::from(s.contains(p))))
                    .collect()
            })
            .collect();
        for (i, p) in people.iter().enumerate() {
            let mut e = vec![0.0; people.len()];
            e[i] = 1.0;
            assert!(
                !in_span(&rows, &e),
                "round {round} ({:?}): {p} can be solved for from {sets:?}",
                tag_of.get(round)
            );
        }
        chains += usize::from(sets.len() > 1);
    }
    assert!(chains > 50, "only {chains} rounds showed more than one set");
    // Across one history's rounds, no two shown sets differ by 1 or 2 people.
    let mut by_seed: HashMap<u64, Vec<(&String, &Vec<String>)>> = HashMap::new();
    for (round, sets) in &shown {
        let (seed, _) = &tag_of[round];
        for s in sets {
            by_seed.entry(*seed).or_default().push((round, s));
        }
    }
    for (seed, sets) in &by_seed {
        for (i, (ra, a)) in sets.iter().enumerate() {
            for (rb, b) in sets.iter().skip(i + 1) {
                if ra == rb {
                    continue;
                }
                let d = a.iter().filter(|x| !b.contains(x)).count()
                    + b.iter().filter(|x| !a.contains(x)).count();
                assert!(
                    d == 0 || d >= T,
                    "seed {seed}: {a:?} and {b:?} differ by {d}"
                );
            }
        }
    }
    // Each figure describes its set.
    for (round, set, results) in &figures {
        let (seed, tag) = &tag_of[round];
        let scores: Vec<Scores> = set
            .iter()
            .map(|u| {
                *expected.get(&(*seed, tag.clone(), u.clone())).unwrap_or_else(|| {
                    // What the model and the server hold for this person, to tell a model slip from a server one.
                    let theirs: Vec<_> = expected.keys().filter(|k| k.2 == *u).collect();
                    let held = s.sql(&format!(
                        "select string_agg(a.round_id || ' ' || a.stage || ' ' || coalesce(a.deleted_at::text, '-'), '; ')
                           from public.assessments a where a.owner_id = '{u}'"
                    ));
                    let rounds: Vec<_> = tag_of.iter().filter(|(_, v)| v.0 == *seed).collect();
                    panic!(
                        "round {round} (seed {seed}, {tag}) counts {u}, whose answers were {theirs:?}; the server \
                         holds {held}; the seed's rounds {rounds:?}; set {set:?}"
                    )
                })
            })
            .collect();
        for f in results.as_array().unwrap() {
            let values: Vec<f64> = match f["force"].as_str() {
                None => scores.iter().map(|s| s.0).collect(),
                Some(id) => {
                    let i = forces.iter().position(|x| x == id).unwrap();
                    scores.iter().map(|s| s.1[i]).collect()
                }
            };
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            let mut bands = [0u64; 5];
            for x in &values {
                bands[((x / 20.0).floor() as usize).min(4)] += 1;
            }
            assert_eq!(f["n"].as_u64(), Some(set.len() as u64));
            assert!(
                (f["mean"].as_f64().unwrap() - mean).abs() <= 0.5 + 1e-9,
                "{f} vs {mean}"
            );
            assert!(
                (f["sd"].as_f64().unwrap() - sd).abs() <= 0.5 + 1e-9,
                "{f} vs {sd}"
            );
            assert_eq!(f["histogram"], serde_json::json!(bands), "{f}");
            assert!(f.get("min").is_none() && f.get("max").is_none());
        }
    }
    eprintln!(
        "release rule: {SEEDS} histories, {reads} reads, {with_figures} with figures, {} rounds shown, {chains} with a chain",
        shown.len()
    );
}
