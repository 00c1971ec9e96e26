-- Team integrity (issue 25): what a hostile member or a curious facilitator can do with their own token and
-- ordinary requests. Checked data, coarse figures counted in people, the chained release rule (three-set and
-- cross-round differencing), accounts that can always go, pushes that cannot hurt others, least privilege, and
-- the read-then-write rules under two connections held open at once (dblink; those parts commit, and clean up).
-- Run with pg_prove (see tests/sync.rs).
\set ON_ERROR_STOP 1
create extension if not exists pgtap;
create extension if not exists dblink;
begin;
select plan(58);

insert into auth.users (id, email)
select ('20000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, 'i' || n || '@example.test'
  from generate_series(0, 19) n;
create function pg_temp.u(n int) returns uuid language sql as $$
  select ('20000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid $$;
create function pg_temp.act_as(n int) returns void language sql as $$
  select set_config('request.jwt.claims', json_build_object('sub', pg_temp.u(n), 'role', 'authenticated')::text, true)
$$;
create table pg_temp.bank as select id, pillar, force, reverse from public.framework_questions;
grant select on pg_temp.bank to authenticated;

-- An assessment of `pillar` (all its bank questions), answered v on every item (reverse items too, so its
-- force scores vary), with the results the app would send (or `results` when given), as one push.
create function pg_temp.assessment(pillar text, round uuid, v int, results jsonb default null,
                                   aid uuid default gen_random_uuid()) returns jsonb language sql as $$
  select jsonb_build_object(
    'assessments', jsonb_build_array(jsonb_build_object('id', assessment.aid, 'pillar', pillar,
      'mode', (select case when pillar in ('grpprosp', 'indrecip', 'popularity', 'divsexp', 'outresp')
                           then 'egalitarian' else 'hierarchical' end),
      'stage', 'completed', 'question_ids', (select jsonb_agg(b.id order by b.id) from pg_temp.bank b where b.pillar = assessment.pillar),
      'answered', 12, 'total', 12, 'bank_version', 1, 'round_id', round,
      'results', coalesce(results, jsonb_build_object('pillar', pillar, 'pillar_score', 50, 'forces',
        (select jsonb_agg(distinct jsonb_build_object('force', b.force, 'score', 50)) from pg_temp.bank b where b.pillar = assessment.pillar))),
      'completed_at', clock_timestamp(), 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev')),
    'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', assessment.aid, 'question_id', b.id,
      'value', v, 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev'))
      from pg_temp.bank b where b.pillar = assessment.pillar))
$$;
create function pg_temp.push(changes jsonb) returns jsonb language sql as $$
  select public.push_changes(gen_random_uuid(), 'dev', changes) $$;
create function pg_temp.answer_as(n int, round uuid, v int) returns jsonb language plpgsql as $$
begin perform pg_temp.act_as(n); return pg_temp.push(pg_temp.assessment('divsexp', round, v)); end $$;
create function pg_temp.join_as(n int, code text) returns uuid language plpgsql as $$
begin perform pg_temp.act_as(n); return public.join_team(code); end $$;
create function pg_temp.consent_as(n int, team uuid, yes boolean) returns void language plpgsql as $$
begin perform pg_temp.act_as(n); perform public.set_consent(team, yes); end $$;
create function pg_temp.results_as(n int, round uuid) returns jsonb language plpgsql as $$
begin perform pg_temp.act_as(n); return public.round_results(round); end $$;
create function pg_temp.reason(r jsonb, i int default 0) returns text language sql as $$
  select (r -> 'rejected' -> i ->> 'code') || ' ' || (r -> 'rejected' -> i ->> 'message') $$;

set local role authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Checked data: what a member sends is validated, and nothing they send reaches a team figure but answers.
select pg_temp.act_as(1);
create function pg_temp.with_results(r jsonb) returns text language sql as $$
  select pg_temp.reason(pg_temp.push(pg_temp.assessment('divsexp', null, 3, r))) $$;
create function pg_temp.forces(score jsonb) returns jsonb language sql as $$
  select jsonb_agg(jsonb_build_object('force', f, 'score', score))
    from unnest(array['voice_safety', 'change_capacity', 'decision_speed', 'norm_pressure']) f $$;
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', -5, 'forces', pg_temp.forces('50'))),
  '22023 results.pillar_score must be a number from 0 to 100', 'a pillar score of -5 is refused');
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', 1000, 'forces', pg_temp.forces('50'))),
  '22023 %', 'so is 1000');
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', 1e308, 'forces', pg_temp.forces('50'))),
  '22023 %', 'and 1e308');
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', 'NaN', 'forces', pg_temp.forces('50'))),
  '22023 %', 'and the string "NaN"');
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', 50, 'forces', pg_temp.forces('"Infinity"'))),
  '22023 each of results.forces%', 'a force scored "Infinity" is refused');
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', 50, 'forces', pg_temp.forces('"abc"'))),
  '22023 %', 'and one scored "abc"');
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', 50, 'forces',
    pg_temp.forces('50') || '[{"force": "Our lead never listens to anyone", "score": 10}]'::jsonb)),
  '22023 results.forces must be the pillar''s four forces, each once', 'an invented force is refused');
select alike(pg_temp.with_results(jsonb_build_object('pillar_score', 50, 'forces',
    pg_temp.forces('50') || '[{"force": "voice_safety", "score": 10}]'::jsonb)),
  '22023 results.forces must be%', 'a force twice is refused');
select alike(pg_temp.reason(pg_temp.push(jsonb_build_object('assessments', jsonb_build_array(
    pg_temp.assessment('divsexp', null, 3) -> 'assessments' -> 0 || '{"pillar": "made_up", "results": null, "stage": "quiz", "completed_at": null}'::jsonb)))),
  '22023 pillar is not a pillar of the mode', 'an unknown pillar is refused');
select alike(pg_temp.reason(pg_temp.push(jsonb_build_object('generated_questions', jsonb_build_array(jsonb_build_object(
    'id', gen_random_uuid(), 'pillar', 'divsexp', 'mode', 'egalitarian', 'force', 'the boss', 'text', 'Q?',
    'reverse', 0, 'provider', 'p', 'model', 'm', 'created_at', now(), 'client_updated_at', now(),
    'updated_by_device', 'dev'))))),
  '22023 pillar and force are not the framework%', 'a fresh question of an invented force is refused');
select alike(pg_temp.reason(pg_temp.push(jsonb_build_object('conversations', jsonb_build_array(jsonb_build_object(
    'id', gen_random_uuid(), 'title', 'deep', 'context', (select repeat('[', 70) || repeat(']', 70))::jsonb,
    'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev'))))),
  '22023 context is nested more than 64 deep', 'JSON nested deeper than the app reads is refused');

-- ---------------------------------------------------------------------------------------------------------------
-- A team with threshold 3. Figures: scored here from the answers (the results sent say 50 everywhere), whole
-- points, counted in people, never a minimum or maximum.
select pg_temp.act_as(0);
select public.create_team('Integrity', null, 3) as team \gset
select public.create_invite(:'team') ->> 'code' as code \gset
select is((select count(*)::int from generate_series(1, 9) n where pg_temp.join_as(n, :'code') = :'team'::uuid), 9,
  'nine members join');
select pg_temp.act_as(0);
select public.start_round(:'team', 'egalitarian', 'divsexp') as r1 \gset
select pg_temp.consent_as(n, :'team', true) from generate_series(1, 9) n;
select pg_temp.answer_as(n, :'r1', n + 2) from generate_series(1, 3) n;
-- Member 1 answers twice: one person is still one value.
select pg_temp.answer_as(1, :'r1', 3);
select pg_temp.results_as(0, :'r1') as s1 \gset
select is(:'s1'::jsonb ->> 'state', 'shown', 'three who share: shown');
select is((:'s1'::jsonb ->> 'counted')::int, 3, 'over three people (one answered twice)');
select is((select array_agg(distinct k order by k) from jsonb_array_elements(:'s1'::jsonb -> 'results') g, jsonb_object_keys(g) k),
  array['force', 'histogram', 'mean', 'n', 'pillar', 'sd'], 'figures are means, spreads and bands: no minimum, no maximum');
select is((select g - 'pillar' - 'force' from jsonb_array_elements(:'s1'::jsonb -> 'results') g where g ->> 'force' is null),
  '{"n": 3, "mean": 58, "sd": 7, "histogram": [0, 0, 2, 1, 0]}'::jsonb,
  'the pillar from the answers (every item 3, 4, 5, reverse items too: 50, 58.3, 66.7; never the 50 sent), in people and whole points');
select is((:'s1'::jsonb ->> 'number')::int, 1, 'the round is numbered');

-- ---------------------------------------------------------------------------------------------------------------
-- Differencing. Within a round the shown sets form a chain, each adding at least t people.
select pg_temp.answer_as(n, :'r1', 3) from generate_series(4, 5) n;
select pg_temp.results_as(0, :'r1') as s2 \gset
select is((:'s2'::jsonb ->> 'state') || ' ' || (:'s2'::jsonb ->> 'counted'), 'shown_earlier 3',
  'two more (fewer than t) are held back');
select is(:'s2'::jsonb -> 'results', :'s1'::jsonb -> 'results', 'with the earlier figures, unchanged');
select pg_temp.answer_as(6, :'r1', 5);
select is((pg_temp.results_as(0, :'r1') ->> 'state') || ' ' || (pg_temp.results_as(0, :'r1') ->> 'counted'), 'shown 6',
  'a third one makes t more: the six are shown');
select pg_temp.consent_as(1, :'team', false);
select is(pg_temp.results_as(0, :'r1') ->> 'state', 'held_back', 'one of the first three withdraws: nothing is shown');
select pg_temp.answer_as(7, :'r1', 4);
select is(pg_temp.results_as(0, :'r1') ->> 'state', 'held_back',
  'and one more answering does not bring the set 2..7 (the three-set attack: {1,2,3}, {1..6}, {2..7} isolates 7)');
select pg_temp.consent_as(1, :'team', true);
select is((pg_temp.results_as(0, :'r1') ->> 'state') || ' ' || (pg_temp.results_as(0, :'r1') ->> 'counted'), 'shown_earlier 6',
  'back in, the six are shown again (seven would add one)');
reset role;
select is((select count(*)::int from public.round_releases where round_id = :'r1'), 2,
  'the round released exactly two sets');
set local role authenticated;

-- Across rounds and teams: the same pillar and mode answered by the same people but one is not shown.
select pg_temp.act_as(0);
select public.start_round(:'team', 'egalitarian', 'divsexp') as r2 \gset
select pg_temp.answer_as(n, :'r2', 4) from generate_series(2, 6) n;
select is(pg_temp.results_as(0, :'r2') ->> 'state', 'held_back',
  'a second round answered by 2..6, after {1..6} was shown: held back');
select pg_temp.answer_as(1, :'r2', 4);
select is(pg_temp.results_as(0, :'r2') ->> 'state', 'shown', 'with 1 as well (the same six people): shown');
select is((pg_temp.results_as(0, :'r2') ->> 'number')::int, 2, 'the second round is number 2');
select pg_temp.act_as(1);
select public.create_team('Shadow', null, 3) as shadow \gset
select public.create_invite(:'shadow') ->> 'code' as shadow_code \gset
select count(*) from generate_series(2, 5) n where pg_temp.join_as(n, :'shadow_code') is not null;
select pg_temp.consent_as(n, :'shadow', true) from generate_series(1, 5) n;
select pg_temp.act_as(1);
select public.start_round(:'shadow', 'egalitarian', 'divsexp') as r3 \gset
select pg_temp.answer_as(n, :'r3', 2) from generate_series(1, 5) n;
select is(pg_temp.results_as(1, :'r3') ->> 'state', 'held_back',
  'a second team of five of the six, on the same pillar: held back');
select pg_temp.act_as(1);
select public.start_round(:'shadow', 'egalitarian', 'indrecip') as r4 \gset
select pg_temp.act_as(n), pg_temp.push(pg_temp.assessment('indrecip', :'r4', 3)) from generate_series(1, 3) n;
select is(pg_temp.results_as(1, :'r4') ->> 'state', 'shown', 'another pillar is another measure: shown');

-- ---------------------------------------------------------------------------------------------------------------
-- Accounts can always go; teams and rounds stay; release records forget.
select pg_temp.act_as(1);
select public.set_role(:'shadow', pg_temp.u(2), 'facilitator');
select pg_temp.act_as(2);
select public.remove_member(:'shadow', pg_temp.u(1));
select pg_temp.act_as(1);
select throws_ok(format($$ select public.team_rounds(%L) $$, :'shadow'), 'P0002', null,
  'a creator removed from their team reads none of its rounds');
select throws_ok(format($$ select public.round_results(%L) $$, :'r4'), 'P0002', null, 'nor its results');
select is((select count(*)::int from jsonb_array_elements(public.my_teams()) t where t ->> 'id' = :'shadow'), 0,
  'nor lists the team');
reset role;
select lives_ok(format($$ delete from auth.users where id = %L $$, pg_temp.u(0)),
  'the creator and only facilitator of a team with members deletes their account');
select lives_ok(format($$ delete from auth.users where id = %L $$, pg_temp.u(3)),
  'a member counted in shown sets deletes theirs');
select is((select count(*)::int from public.rounds where team_id = :'team'), 2, 'the team''s rounds stay');
select is((select count(*)::int from public.round_releases where pg_temp.u(3) = any (members) or pg_temp.u(0) = any (members)), 0,
  'release records no longer hold the deleted people');
select is((select array_agg(cardinality(members) order by cardinality(members)) from public.round_releases where round_id = :'r1'),
  array[3, 6], 'and keep their sizes');
set local role authenticated;
select pg_temp.act_as(4);
select is((select count(*)::int from jsonb_array_elements(public.team_members(:'team')) m where m ->> 'role' = 'facilitator'),
  1, 'a member (the one there longest; here all joined at once) now facilitates the team');
select is(pg_temp.results_as(4, :'r1') ->> 'state', 'held_back',
  'a deleted member''s contribution leaves every figure from then on');

-- ---------------------------------------------------------------------------------------------------------------
-- Pushes that cannot hurt others.
select pg_temp.act_as(8);
select pg_temp.push(pg_temp.assessment('divsexp', null, 3, null, '28000000-0000-4000-8000-000000000001'));
select pg_temp.act_as(9);
select pg_temp.push(jsonb_build_object('answers', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(),
  'assessment_id', '28000000-0000-4000-8000-000000000001', 'question_id', 'divsexp.voice_safety.9', 'value', 1,
  'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev')))) as attach \gset
select is(pg_temp.reason(:'attach'), '23503 assessment_id is not one of your assessments',
  'a row cannot be attached to another account''s assessment');
select pg_temp.act_as(8);
select is((pg_temp.push(jsonb_build_object('answers', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(),
  'assessment_id', '28000000-0000-4000-8000-000000000001', 'question_id', 'divsexp.voice_safety.9', 'value', 2,
  'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev')))) ->> 'applied')::int, 1,
  'and the owner''s own answer to that question is not blocked');
-- A refused parent takes its own children, each with its reason; the rest goes in.
select pg_temp.push(jsonb_build_object(
  'assessments', (pg_temp.assessment('divsexp', null, 3, null, '28000000-0000-4000-8000-000000000002') -> 'assessments')
              || (pg_temp.assessment('divsexp', null, 3, jsonb_build_object('pillar_score', 'NaN', 'forces', pg_temp.forces('50'))) -> 'assessments'),
  'answers', pg_temp.assessment('divsexp', null, 3, null, '28000000-0000-4000-8000-000000000002') -> 'answers')) as parent \gset
select is(:'parent'::jsonb ->> 'applied', '13', 'the good assessment and the answers go in');
select is(jsonb_array_length(:'parent'::jsonb -> 'rejected'), 1, 'the bad assessment alone is refused here');
select pg_temp.push(jsonb_build_object(
  'assessments', pg_temp.assessment('divsexp', null, 3, jsonb_build_object('pillar_score', 'NaN', 'forces', pg_temp.forces('50')),
                                    '28000000-0000-4000-8000-000000000003') -> 'assessments',
  'answers', pg_temp.assessment('divsexp', null, 3, null, '28000000-0000-4000-8000-000000000003') -> 'answers',
  'goals', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', '28000000-0000-4000-8000-000000000001',
    'pillar', 'divsexp', 'mode', 'egalitarian', 'force', 'voice_safety', 'title', 'Speak up', 'practice', 'Rounds',
    'practice_source', 'own', 'review_on', '2027-01-01', 'status', 'active', 'created_at', now(),
    'client_updated_at', now(), 'updated_by_device', 'dev')))) as orphans \gset
select is((:'orphans'::jsonb ->> 'applied')::int || ' ' || jsonb_array_length(:'orphans'::jsonb -> 'rejected'), '1 13',
  'a refused assessment takes its twelve answers with it, and only them (the goal on another assessment goes in)');
select is((select count(*)::int from jsonb_array_elements(:'orphans'::jsonb -> 'rejected') x
            where x ->> 'message' = 'its assessments row was refused in this batch'), 12, 'each child says why');
select is(pg_temp.reason(pg_temp.push(jsonb_build_object('goal_checkins', jsonb_build_array(
    jsonb_build_object('id', gen_random_uuid(), 'goal_id', gen_random_uuid(), 'rating', 3, 'created_at', '2026-02-30T10:00:00Z',
      'client_updated_at', now(), 'updated_by_device', 'dev'))))) like '22008 %', true,
  'a date the checks cannot foresee (30 February) is found and refused with PostgreSQL''s reason');
select throws_ok($$ select pg_temp.push(jsonb_build_object('conversations', jsonb_build_array(jsonb_build_object(
    'id', gen_random_uuid(), 'title', repeat('x', 17000000), 'context', '{}'::jsonb, 'created_at', now(),
    'client_updated_at', now(), 'updated_by_device', 'dev')))) $$, 'PT413', null,
  'a batch over 16 MB is refused (413) before any work');
select public.push_changes('29000000-0000-4000-8000-000000000001', 'dev', '{}');
select pg_temp.act_as(9);
select is(public.push_changes('29000000-0000-4000-8000-000000000001', 'dev', '{}') ->> 'status', 'applied',
  'batch ids are per account: another''s batch id is not a duplicate');

-- ---------------------------------------------------------------------------------------------------------------
-- Least privilege.
reset role;
select is((select count(*)::int from pg_class c, unnest(array['anon', 'authenticated']) r
            where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')
              and c.relname not like 'tap\_%' and c.relname not like 'pg\_all%'
              and (has_table_privilege(r, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))), 0,
  'no API role holds any privilege on any table of the project (a hosted project''s defaults taken back)');
select is((select count(*)::int from pg_proc p
            where p.pronamespace = 'public'::regnamespace and has_function_privilege('anon', p.oid, 'execute')
              and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')), 0,
  'anon may call none of the project''s functions');
select is((select count(*)::int from pg_proc p
            where p.pronamespace = 'public'::regnamespace and has_function_privilege('authenticated', p.oid, 'execute')
              and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')), 22,
  'a signed-in user may call the app''s 22 functions and nothing else');
select is((select count(*)::int from pg_extension e where e.extnamespace = 'public'::regnamespace and e.extname = 'pgcrypto'), 0,
  'no pgcrypto in public');
set local role authenticated;
select pg_temp.act_as(9);
select throws_ok($$ insert into public.sync_batches (batch_id, device, result) values (gen_random_uuid(), 'x', '{}') $$,
  '42501', null, 'sync_batches is not writable directly');
select throws_ok($$ select count(*) from public.assessments $$, '42501', null,
  'no table can be counted (Prefer: count=planned has nothing to count)');
-- An active member joining again uses nothing up.
select pg_temp.act_as(4);
select public.create_team('Once', null, 3) as once_team \gset
select public.create_invite(:'once_team', 1) ->> 'code' as once_code \gset
select is(public.join_team(:'once_code'), :'once_team'::uuid, 'the facilitator "joins" their own team with its code');
select is(pg_temp.join_as(5, :'once_code'), :'once_team'::uuid, 'and the single use is still there for a newcomer');
select is(pg_temp.join_as(5, :'once_code'), :'once_team'::uuid, 'who can use it again while a member');
select is(pg_temp.join_as(6, :'once_code'), null, 'but nobody else can');
reset role;
select * from finish();
rollback;
