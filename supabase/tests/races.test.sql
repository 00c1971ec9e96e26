-- Team integrity (issue 25), the read-then-write rules under two connections held open at once: two reads of
-- round_results around a new answer, two facilitators leaving together, a wrong and a right code sent together.
-- Connections see only committed rows, so this file commits, under ids of its own, and removes them at the end.
-- Run with pg_prove (see tests/sync.rs).
\set ON_ERROR_STOP 1
create extension if not exists pgtap;
create extension if not exists dblink;
select plan(6);

select dblink_connect(c, format('host=127.0.0.1 port=%s dbname=%s user=postgres', current_setting('port'), current_database()))
  from unnest(array['a', 'b', 'c']) c;
select dblink_exec('c', $$ insert into auth.users (id, email)
  select ('2c000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, 'race' || n || '@example.test'
    from generate_series(0, 9) n $$);
create function pg_temp.ru(n int) returns text language sql as $$
  select '2c000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0') $$;
-- Opens a transaction on `conn` as the signed-in user `who` (as PostgREST does for a request).
create function pg_temp.open(conn text, who text) returns text language sql as $$
  select dblink_exec(conn, format('begin; select set_config(''request.jwt.claims'', %L, true); set local role authenticated',
                                  json_build_object('sub', who, 'role', 'authenticated')::text)) $$;
create function pg_temp.query(conn text, q text) returns text language sql as $$
  select v from dblink(conn, format('select (%s)::text', q)) as t(v text) $$;
create function pg_temp.commit_as(n int, q text) returns text language plpgsql as $$
declare v text;
begin
  perform pg_temp.open('c', pg_temp.ru(n));
  v := pg_temp.query('c', q);
  perform dblink_exec('c', 'commit');
  return v;
end $$;
-- A completed assessment of Diverse Expression with its twelve answers, pushed and committed.
create function pg_temp.answer_committed(n int, round text) returns text language plpgsql as $$
declare
  a uuid := gen_random_uuid();
  changes jsonb;
begin
  changes := jsonb_build_object(
    'assessments', jsonb_build_array(jsonb_build_object('id', a, 'pillar', 'divsexp', 'mode', 'egalitarian',
      'stage', 'completed',
      'question_ids', (select jsonb_agg(q.id order by q.id) from public.framework_questions q where q.pillar = 'divsexp'),
      'answered', 12, 'total', 12, 'bank_version', 1, 'round_id', round, 'completed_at', now(), 'created_at', now(),
      'client_updated_at', now(), 'updated_by_device', 'dev',
      'results', jsonb_build_object('pillar_score', 50, 'forces',
        (select jsonb_agg(distinct jsonb_build_object('force', q.force, 'score', 50))
           from public.framework_questions q where q.pillar = 'divsexp')))),
    'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', a, 'question_id', q.id,
      'value', 2 + n % 3, 'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'dev'))
      from public.framework_questions q where q.pillar = 'divsexp'));
  return pg_temp.commit_as(n, format($f$ public.push_changes(gen_random_uuid(), 'dev', %L::jsonb) ->> 'applied' $f$,
                                     changes));
end $$;

-- A team of six (threshold 3) and a round; three answer.
select pg_temp.commit_as(0, $$ public.create_team('Race', null, 3) $$) as rteam \gset
select pg_temp.commit_as(0, format($$ public.create_invite(%L) ->> 'code' $$, :'rteam')) as rcode \gset
select pg_temp.commit_as(n, format($$ public.join_team(%L) $$, :'rcode')) from generate_series(1, 5) n;
select pg_temp.commit_as(n, format($$ public.set_consent(%L, true) $$, :'rteam')) from generate_series(1, 5) n;
select pg_temp.commit_as(0, format($$ public.start_round(%L, 'egalitarian', 'divsexp') $$, :'rteam')) as rround \gset
select pg_temp.answer_committed(n, :'rround') from generate_series(1, 3) n;

-- Two reads of round_results at once, one before and one after a fourth answer: only one set is released.
select pg_temp.open('a', pg_temp.ru(1));
select is(pg_temp.query('a', format($$ public.round_results(%L) ->> 'state' $$, :'rround')), 'shown',
  'connection A releases the three, and holds its transaction open');
select pg_temp.answer_committed(4, :'rround');
select pg_temp.open('b', pg_temp.ru(2));
select dblink_send_query('b', format($$ select (public.round_results(%1$L) ->> 'state') || ' ' || (public.round_results(%1$L) ->> 'counted') $$, :'rround'));
select pg_sleep(0.3);
select is(dblink_is_busy('b'), 1, 'connection B, reading after the fourth answer, waits for the release lock');
select dblink_exec('a', 'commit');
select is((select v from dblink_get_result('b') as t(v text)), 'shown_earlier 3',
  'then finds the three released and holds the fourth back (without the lock, {1,2,3} and {1,2,3,4} both went out)');
select * from dblink_get_result('b') as t(v text);
select dblink_exec('b', 'commit');

-- Two facilitators leave at once: one of them stays.
select pg_temp.commit_as(0, format($$ public.set_role(%L, %L, 'facilitator') $$, :'rteam', pg_temp.ru(1)));
select pg_temp.open('a', pg_temp.ru(0));
select pg_temp.query('a', format($$ public.leave_team(%L) $$, :'rteam'));
select pg_temp.open('b', pg_temp.ru(1));
select dblink_send_query('b', format($$ select public.leave_team(%L)::text $$, :'rteam'));
select pg_sleep(0.3);
select dblink_exec('a', 'commit');
select throws_ok($$ select * from dblink_get_result('b') as t(v text) $$, '23514', null,
  'the second facilitator leaving at the same moment is refused: the team keeps a facilitator');
select * from dblink_get_result('b', false) as t(v text);
select dblink_exec('b', 'rollback');

-- Guessing at once: a tenth wrong code and a right one, sent together, cannot both get through.
select dblink_exec('c', format($$ insert into public.join_attempts (owner_id) select %L from generate_series(1, 9) $$, pg_temp.ru(9)));
select pg_temp.commit_as(1, format($$ public.create_invite(%L) ->> 'code' $$, :'rteam')) as rcode2 \gset
select pg_temp.open('a', pg_temp.ru(9));
select pg_temp.query('a', $$ public.join_team('WRONG-WRONG') $$);
select pg_temp.open('b', pg_temp.ru(9));
select dblink_send_query('b', format($$ select public.join_team(%L)::text $$, :'rcode2'));
select pg_sleep(0.3);
select is(dblink_is_busy('b'), 1, 'the right code waits for the wrong one');
select dblink_exec('a', 'commit');
select throws_ok($$ select * from dblink_get_result('b') as t(v text) $$, 'PT429', null,
  'and is refused, as the eleventh try');
select * from dblink_get_result('b', false) as t(v text);
select dblink_exec('b', 'rollback');

select * from finish();
select dblink_exec('c', format($$ begin;
  delete from auth.users where email like 'race%%@example.test';
  delete from public.rounds where team_id = %1$L;
  delete from public.teams where id = %1$L;
  commit $$, :'rteam'));
select dblink_disconnect(c) from unnest(array['a', 'b', 'c']) c;
