-- pull_changes: paging by (server_xid, id) and the late-commit case. Not one transaction: the rows must be
-- committed by other sessions (dblink) for a pull to see them, and this session writes nothing while it pulls
-- (its own open transaction would hold the pull bound back).
\set ON_ERROR_STOP 1
create extension if not exists pgtap;
create extension if not exists dblink;
select dblink_connect('setup', format('host=127.0.0.1 port=%s dbname=%s user=postgres',
                                      current_setting('port'), current_database())) as connected \gset
select dblink_exec('setup', $$
  delete from auth.users where id = 'f0000000-0000-4000-8000-00000000000f';
  insert into auth.users (id, email) values ('f0000000-0000-4000-8000-00000000000f', 'pull@example.test');
$$) as ok \gset

create function pg_temp.push_as_puller(conn text, id uuid, finish boolean default true) returns text
language sql as $$
  select dblink_exec(conn, format($f$
    begin;
    set local role authenticated;
    select set_config('request.jwt.claims', '{"sub":"f0000000-0000-4000-8000-00000000000f","role":"authenticated"}', true);
    select public.push_changes(gen_random_uuid(), 'puller', jsonb_build_object('assessments', jsonb_build_array(
      jsonb_build_object('id', %L, 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'quiz',
        'question_ids', '[]'::jsonb, 'answered', 0, 'total', 1, 'bank_version', 1,
        'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'puller'))));
    %s
  $f$, id, case when finish then 'commit;' else 'set local application_name = ''held open'';' end));
$$;

-- A value of a pulled page's row by column name (rows are arrays in the order of the page's columns).
create function pg_temp.col(page json, i integer, name text) returns text
language sql as $$
  select page -> 'rows' -> i ->> (select (c.n - 1)::int from json_array_elements_text(page -> 'columns')
                                                            with ordinality c(v, n) where c.v = name);
$$;

select plan(18);

select pg_temp.push_as_puller('setup', ('f1000000-0000-4000-8000-00000000000' || n)::uuid) from generate_series(1, 5) n;

set role authenticated;
select set_config('request.jwt.claims', '{"sub":"f0000000-0000-4000-8000-00000000000f","role":"authenticated"}', false);

select public.pull_changes('assessments', '0', null, 2) as page1 \gset
select is(json_array_length(:'page1'::json -> 'rows'), 2, 'the first page holds 2 rows');
select ok((:'page1'::json ->> 'more')::boolean, 'and says there is more');
select pg_temp.col(:'page1', 1, 'server_xid') as xid1, pg_temp.col(:'page1', 1, 'id') as id1 \gset
select public.pull_changes('assessments', :'xid1', :'id1', 2) as page2 \gset
select pg_temp.col(:'page2', 1, 'server_xid') as xid2, pg_temp.col(:'page2', 1, 'id') as id2 \gset
select public.pull_changes('assessments', :'xid2', :'id2', 2) as page3 \gset
select is(json_array_length(:'page3'::json -> 'rows'), 1, 'the last page holds the fifth row');
select ok(not (:'page3'::json ->> 'more')::boolean, 'and says there is no more');
select is(
  (select count(distinct id)::int from (
     select pg_temp.col(:'page1', i, 'id') from generate_series(0, 1) i union all
     select pg_temp.col(:'page2', i, 'id') from generate_series(0, 1) i union all
     select pg_temp.col(:'page3', 0, 'id')) ids(id)),
  5, 'three pages hold the five rows once each');
select ok(not ((:'page1'::json -> 'columns')::jsonb ? 'owner_id'), 'pulled rows do not carry the owner');
select is(json_array_length(:'page1'::json -> 'rows' -> 0), json_array_length(:'page1'::json -> 'columns'),
  'a row holds a value for each column');
select pg_temp.col(:'page3', 0, 'server_xid') as xid3, pg_temp.col(:'page3', 0, 'id') as id3 \gset
select is(json_array_length(public.pull_changes('assessments', :'xid3', :'id3', 2) -> 'rows'), 0,
  'nothing after the last row');

-- Several tables in one call, each from its own cursor.
select public.pull_all(array['assessments', 'answers'],
                       jsonb_build_object('assessments', jsonb_build_object('after_xid', :'xid1', 'after_id', :'id1')),
                       100) as both \gset
select is(json_array_length(:'both'::json -> 'assessments' -> 'rows'), 3, 'pull_all pages each table from its cursor');
select is(json_array_length(:'both'::json -> 'answers' -> 'rows'), 0, 'and returns every table asked for');
select throws_ok($$ select public.pull_all(array['secrets'], '{}', 10) $$, '22023', null,
  'pull_all refuses an unknown table');
select throws_ok($$ select public.pull_all(array['answers', 'answers'], '{}', 10) $$, '22023', null,
  'pull_all refuses a table named twice');

-- A page stops at about 4 MB of rows: five messages of about 1 MB come as four, then one.
reset role;
select dblink_exec('setup', $f$
  begin;
  set local role authenticated;
  select set_config('request.jwt.claims', '{"sub":"f0000000-0000-4000-8000-00000000000f","role":"authenticated"}', true);
  select public.push_changes(gen_random_uuid(), 'puller', jsonb_build_object(
    'conversations', jsonb_build_array(jsonb_build_object('id', 'f3000000-0000-4000-8000-000000000000',
      'title', 'Long', 'context', '{}'::jsonb, 'created_at', now(), 'client_updated_at', now(),
      'updated_by_device', 'puller')),
    'messages', (select jsonb_agg(jsonb_build_object('id', ('f3000000-0000-4000-8000-00000000000' || n)::uuid,
      'conversation_id', 'f3000000-0000-4000-8000-000000000000', 'seq', n, 'role', 'assistant',
      'content', repeat('x', 999000), 'status', 'complete', 'passages', '[]'::jsonb, 'citations', '[]'::jsonb,
      'tokens_in', 0, 'tokens_out', 0, 'trimmed', 0, 'created_at', now(), 'client_updated_at', now(),
      'updated_by_device', 'puller')) from generate_series(1, 5) n)));
  commit;
$f$) as ok \gset
set role authenticated;
select public.pull_changes('messages', '0', null, 100) as long1 \gset
select is(json_array_length(:'long1'::json -> 'rows'), 4, 'a page of long rows stops at about 4 MB');
select ok((:'long1'::json ->> 'more')::boolean, 'and says there is more, though under the row limit');
select is(json_array_length(public.pull_changes('messages', pg_temp.col(:'long1', 3, 'server_xid'),
                                                 pg_temp.col(:'long1', 3, 'id')::uuid, 100) -> 'rows'), 1,
  'the next page holds the fifth');

-- The late commit. A pull never waits for anyone else's transaction: one account's pushes run one at a time
-- (a second is refused at once with 429 while one is open), so every row of theirs still to come belongs to a
-- transaction newer than every committed one, and the cursor can never pass it.
reset role;
select dblink_exec('setup', $$
  delete from auth.users where id = 'f0000000-0000-4000-8000-0000000000ee';
  insert into auth.users (id, email) values ('f0000000-0000-4000-8000-0000000000ee', 'other@example.test');
$$) as ok \gset
select dblink_connect('slow', format('host=127.0.0.1 port=%s dbname=%s user=postgres',
                                     current_setting('port'), current_database())) as connected \gset
select dblink_connect('fast', format('host=127.0.0.1 port=%s dbname=%s user=postgres',
                                     current_setting('port'), current_database())) as connected \gset
select pg_temp.push_as_puller('slow', 'f2000000-0000-4000-8000-000000000001', false) as ok \gset
select throws_ok($$ select pg_temp.push_as_puller('fast', 'f2000000-0000-4000-8000-000000000002') $$, 'PT429', null,
  'while one push of an account is open, a second is refused at once (429), not queued');
select dblink_exec('fast', 'rollback') as ok \gset
select dblink_exec('slow', 'commit') as ok \gset
set role authenticated;
select public.pull_changes('assessments', :'xid3', :'id3', 100) as late \gset
select is(json_array_length(:'late'::json -> 'rows'), 1, 'the first push arrives once it commits');
select pg_temp.col(:'late', 0, 'server_xid') as xid4, pg_temp.col(:'late', 0, 'id') as id4 \gset
reset role;
-- Someone else's push held open does not hold this account's pull back.
select dblink_exec('slow', $f$
  begin;
  set local role authenticated;
  select set_config('request.jwt.claims', '{"sub":"f0000000-0000-4000-8000-0000000000ee","role":"authenticated"}', true);
  select public.push_changes(gen_random_uuid(), 'other', jsonb_build_object('assessments', jsonb_build_array(
    jsonb_build_object('id', 'f2000000-0000-4000-8000-0000000000ee', 'pillar', 'divsexp', 'mode', 'egalitarian',
      'stage', 'quiz', 'question_ids', '[]'::jsonb, 'answered', 0, 'total', 1, 'bank_version', 1,
      'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'other'))));
  set local application_name = 'held open';
$f$) as ok \gset
select pg_temp.push_as_puller('fast', 'f2000000-0000-4000-8000-000000000002') as ok \gset
set role authenticated;
select public.pull_changes('assessments', :'xid4', :'id4', 100) as after \gset
select is(pg_temp.col(:'after', 0, 'id'), 'f2000000-0000-4000-8000-000000000002',
  'a row committed after another account''s transaction opened is pulled at once');
reset role;
select dblink_exec('slow', 'rollback') as ok \gset

reset role;
select * from finish();
select dblink_exec('setup', $$ delete from auth.users where id in ('f0000000-0000-4000-8000-00000000000f', 'f0000000-0000-4000-8000-0000000000ee') $$) as ok \gset
select dblink_disconnect('setup'), dblink_disconnect('slow'), dblink_disconnect('fast');
