-- The scores kept for releases (round_scores): after every kind of change a person can push (a round
-- assessment, an answer changed or withdrawn, a fresh question's force or direction changed, the assessment
-- withdrawn or moved out of the round) and after an account goes, they are exactly what scoring the answers now
-- gives; an assessment outside any round has none; no API role can read them. Run with pg_prove (see
-- tests/sync.rs).
\set ON_ERROR_STOP 1
create extension if not exists pgtap;
begin;
select plan(17);

insert into auth.users (id, email)
select ('30000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, 's' || n || '@example.test'
  from generate_series(0, 3) n;
create function pg_temp.u(n int) returns uuid language sql as $$
  select ('30000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid $$;
create function pg_temp.act_as(n int) returns void language sql as $$
  select set_config('request.jwt.claims', json_build_object('sub', pg_temp.u(n), 'role', 'authenticated')::text, true)
$$;
create function pg_temp.push(changes jsonb) returns jsonb language sql as $$
  select public.push_changes(gen_random_uuid(), 'dev', changes) $$;
create table pg_temp.bank as select id, pillar, force, reverse from public.framework_questions;
-- Rows of round_scores that differ from scoring now (either way), over every round assessment.
create function pg_temp.drift() returns bigint language sql security definer as $$
  with now as (
    select s.assessment_id, s.owner_id, s.pillar, s.force, s.score
      from public.assessment_scores(array(select a.id from public.assessments a
                                            where a.round_id is not null and a.stage = 'completed'
                                              and a.deleted_at is null)) s),
  kept as (select k.assessment_id, k.owner_id, k.pillar, k.force, k.score from public.round_scores k)
  select (select count(*) from (select * from now except all select * from kept) x)
       + (select count(*) from (select * from kept except all select * from now) y) $$;
create function pg_temp.kept(a uuid, f text default null) returns double precision language sql security definer as $$
  select k.score from public.round_scores k where k.assessment_id = a and k.force is not distinct from f $$;
create function pg_temp.rows_kept(a uuid) returns bigint language sql security definer as $$
  select count(*) from public.round_scores k where k.assessment_id = a $$;
create function pg_temp.answer_id(a uuid, q text) returns uuid language sql security definer as $$
  select x.id from public.answers x where x.assessment_id = a and x.question_id = q $$;
grant select on pg_temp.bank to authenticated;
-- The results the app would send (never read for a team; checked on the way in).
create function pg_temp.results() returns jsonb language sql as $$
  select jsonb_build_object('pillar', 'divsexp', 'pillar_score', 50, 'forces',
    (select jsonb_agg(jsonb_build_object('force', f, 'score', 50))
       from unnest(array['voice_safety', 'change_capacity', 'decision_speed', 'norm_pressure']) f)) $$;

set local role authenticated;
select pg_temp.act_as(0);
select public.create_team('Scores', null, 3) as team \gset
select public.create_invite(:'team') ->> 'code' as code \gset
select public.start_round(:'team', 'egalitarian', 'divsexp') as r \gset
select pg_temp.act_as(1);
select public.join_team(:'code');

-- A fresh question of member 1 (Diverse Expression, voice_safety, not reversed) and a round assessment with the
-- bank's twelve questions and the fresh one, every answer 4.
select gen_random_uuid() as fresh \gset
select gen_random_uuid() as a \gset
select is(pg_temp.push(jsonb_build_object(
  'generated_questions', jsonb_build_array(jsonb_build_object(
    'id', :'fresh', 'pillar', 'divsexp', 'mode', 'egalitarian', 'force', 'voice_safety', 'text', 'Fresh?',
    'reverse', 0, 'provider', 'p', 'model', 'm', 'created_at', now(), 'client_updated_at', now(),
    'updated_by_device', 'dev')),
  'assessments', jsonb_build_array(jsonb_build_object(
    'id', :'a', 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'completed',
    'question_ids', (select jsonb_agg(b.id order by b.id) from pg_temp.bank b where b.pillar = 'divsexp')
                    || jsonb_build_array('fresh.' || :'fresh'),
    'answered', 13, 'total', 13, 'bank_version', 1, 'round_id', :'r',
    'results', pg_temp.results(),
    'completed_at', now(), 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev')),
  'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', :'a',
      'question_id', q, 'value', 4, 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev'))
    from (select b.id as q from pg_temp.bank b where b.pillar = 'divsexp' union all select 'fresh.' || :'fresh') qs)
  )) -> 'rejected', '[]'::jsonb, 'a round assessment with a fresh question goes in');
reset role;
select is(pg_temp.rows_kept(:'a'), 5::bigint, 'its score is kept: four forces and the pillar');
select is(pg_temp.drift(), 0::bigint, 'and it is what scoring now gives');
select pg_temp.kept(:'a', 'voice_safety') as voice_before \gset

-- An answer changed (a later edit of the same row).
set local role authenticated;
select pg_temp.act_as(1);
select pg_temp.push(jsonb_build_object('answers', jsonb_build_array(jsonb_build_object(
  'id', pg_temp.answer_id(:'a', 'fresh.' || :'fresh'), 'assessment_id', :'a', 'question_id', 'fresh.' || :'fresh',
  'value', 1, 'created_at', now(), 'client_updated_at', now() + interval '1 second', 'updated_by_device', 'dev'))));
reset role;
select isnt(pg_temp.kept(:'a', 'voice_safety'), :'voice_before'::double precision,
  'an answer changed: the kept score moves');
select is(pg_temp.drift(), 0::bigint, 'to what scoring now gives');

-- The fresh question's direction changed.
select pg_temp.kept(:'a', 'voice_safety') as voice_before \gset
set local role authenticated;
select pg_temp.act_as(1);
select pg_temp.push(jsonb_build_object('generated_questions', jsonb_build_array(jsonb_build_object(
  'id', :'fresh', 'pillar', 'divsexp', 'mode', 'egalitarian', 'force', 'voice_safety', 'text', 'Fresh?',
  'reverse', 1, 'provider', 'p', 'model', 'm', 'created_at', now(),
  'client_updated_at', now() + interval '2 seconds', 'updated_by_device', 'dev'))));
reset role;
select isnt(pg_temp.kept(:'a', 'voice_safety'), :'voice_before'::double precision,
  'a fresh question reversed: the kept score moves');
select is(pg_temp.drift(), 0::bigint, 'to what scoring now gives');

-- An answer withdrawn (a tombstone).
select pg_temp.kept(:'a', 'voice_safety') as voice_before \gset
set local role authenticated;
select pg_temp.act_as(1);
select pg_temp.push(jsonb_build_object('answers', jsonb_build_array(jsonb_build_object(
  'id', pg_temp.answer_id(:'a', 'fresh.' || :'fresh'), 'assessment_id', :'a', 'question_id', 'fresh.' || :'fresh',
  'value', 1, 'created_at', now(), 'client_updated_at', now() + interval '3 seconds', 'updated_by_device', 'dev',
  'deleted_at', now()))));
reset role;
select isnt(pg_temp.kept(:'a', 'voice_safety'), :'voice_before'::double precision,
  'an answer withdrawn: the kept score moves');
select is(pg_temp.drift(), 0::bigint, 'to what scoring now gives');

-- An assessment outside any round keeps nothing.
select gen_random_uuid() as solo \gset
set local role authenticated;
select pg_temp.act_as(1);
select pg_temp.push(jsonb_build_object(
  'assessments', jsonb_build_array(jsonb_build_object(
    'id', :'solo', 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'completed',
    'question_ids', (select jsonb_agg(b.id order by b.id) from pg_temp.bank b where b.pillar = 'divsexp'),
    'answered', 12, 'total', 12, 'bank_version', 1,
    'results', pg_temp.results(),
    'completed_at', now(), 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev')),
  'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', :'solo',
      'question_id', b.id, 'value', 2, 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev'))
    from pg_temp.bank b where b.pillar = 'divsexp')));
reset role;
select is(pg_temp.rows_kept(:'solo'), 0::bigint, 'an assessment outside any round keeps no score');

-- No API role reads the kept scores.
set local role authenticated;
select throws_ok('select count(*) from public.round_scores', '42501', null,
  'a member cannot read the kept scores');
select throws_ok('select public.rescore(array[]::uuid[])', '42501', null, 'nor score again');
reset role;

-- The assessment withdrawn, and moved out of the round: nothing kept.
set local role authenticated;
select pg_temp.act_as(1);
select gen_random_uuid() as b \gset
select pg_temp.push(jsonb_build_object(
  'assessments', jsonb_build_array(jsonb_build_object(
    'id', :'b', 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'completed',
    'question_ids', (select jsonb_agg(b.id order by b.id) from pg_temp.bank b where b.pillar = 'divsexp'),
    'answered', 12, 'total', 12, 'bank_version', 1, 'round_id', :'r',
    'results', pg_temp.results(),
    'completed_at', now(), 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev')),
  'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', :'b',
      'question_id', b.id, 'value', 5, 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev'))
    from pg_temp.bank b where b.pillar = 'divsexp')));
select pg_temp.push(jsonb_build_object('assessments', jsonb_build_array(jsonb_build_object(
  'id', :'a', 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'completed',
  'question_ids', (select jsonb_agg(b.id order by b.id) from pg_temp.bank b where b.pillar = 'divsexp')
                  || jsonb_build_array('fresh.' || :'fresh'),
  'answered', 13, 'total', 13, 'bank_version', 1, 'round_id', :'r',
  'results', pg_temp.results(),
  'completed_at', now(), 'created_at', now(), 'client_updated_at', now() + interval '4 seconds',
  'updated_by_device', 'dev', 'deleted_at', now()))));
select pg_temp.push(jsonb_build_object('assessments', jsonb_build_array(jsonb_build_object(
  'id', :'b', 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'completed',
  'question_ids', (select jsonb_agg(b.id order by b.id) from pg_temp.bank b where b.pillar = 'divsexp'),
  'answered', 12, 'total', 12, 'bank_version', 1, 'round_id', null,
  'results', pg_temp.results(),
  'completed_at', now(), 'created_at', now(), 'client_updated_at', now() + interval '4 seconds',
  'updated_by_device', 'dev'))));
reset role;
select is(pg_temp.rows_kept(:'a'), 0::bigint, 'an assessment withdrawn keeps no score');
select is(pg_temp.rows_kept(:'b'), 0::bigint, 'nor one moved out of the round');
select is(pg_temp.drift(), 0::bigint, 'and what is kept is what scoring now gives');

-- An account that goes takes its kept scores with it.
set local role authenticated;
select pg_temp.act_as(2);
select public.join_team(:'code');
select gen_random_uuid() as c \gset
select pg_temp.push(jsonb_build_object(
  'assessments', jsonb_build_array(jsonb_build_object(
    'id', :'c', 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'completed',
    'question_ids', (select jsonb_agg(b.id order by b.id) from pg_temp.bank b where b.pillar = 'divsexp'),
    'answered', 12, 'total', 12, 'bank_version', 1, 'round_id', :'r',
    'results', pg_temp.results(),
    'completed_at', now(), 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev')),
  'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', :'c',
      'question_id', b.id, 'value', 3, 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev'))
    from pg_temp.bank b where b.pillar = 'divsexp')));
reset role;
select is(pg_temp.rows_kept(:'c'), 5::bigint, 'member 2''s round assessment is kept');
delete from auth.users where id = pg_temp.u(2);
select is((select count(*) from public.round_scores k where k.owner_id = pg_temp.u(2)), 0::bigint,
  'and goes with the account');

select * from finish();
rollback;
