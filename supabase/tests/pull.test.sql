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

select plan(14);

select pg_temp.push_as_puller('setup', ('f1000000-0000-4000-8000-00000000000' || n)::uuid) from generate_series(1, 5) n;

set role authenticated;
select set_config('request.jwt.claims', '{"sub":"f0000000-0000-4000-8000-00000000000f","role":"authenticated"}', false);

select public.pull_changes('assessments', '0', null, 2) as page1 \gset
select is(jsonb_array_length(:'page1'::jsonb -> 'rows'), 2, 'the first page holds 2 rows');
select ok((:'page1'::jsonb ->> 'more')::boolean, 'and says there is more');
select :'page1'::jsonb -> 'rows' -> 1 ->> 'server_xid' as xid1, :'page1'::jsonb -> 'rows' -> 1 ->> 'id' as id1 \gset
select public.pull_changes('assessments', :'xid1', :'id1', 2) as page2 \gset
select :'page2'::jsonb -> 'rows' -> 1 ->> 'server_xid' as xid2, :'page2'::jsonb -> 'rows' -> 1 ->> 'id' as id2 \gset
select public.pull_changes('assessments', :'xid2', :'id2', 2) as page3 \gset
select is(jsonb_array_length(:'page3'::jsonb -> 'rows'), 1, 'the last page holds the fifth row');
select ok(not (:'page3'::jsonb ->> 'more')::boolean, 'and says there is no more');
select is(
  (select count(distinct r ->> 'id')::int from jsonb_array_elements(
     (:'page1'::jsonb -> 'rows') || (:'page2'::jsonb -> 'rows') || (:'page3'::jsonb -> 'rows')) r),
  5, 'three pages hold the five rows once each');
select ok(not (:'page1'::jsonb -> 'rows' -> 0 ? 'owner_id'), 'pulled rows do not carry the owner');
select :'page3'::jsonb -> 'rows' -> 0 ->> 'server_xid' as xid3, :'page3'::jsonb -> 'rows' -> 0 ->> 'id' as id3 \gset
select is(jsonb_array_length(public.pull_changes('assessments', :'xid3', :'id3', 2) -> 'rows'), 0,
  'nothing after the last row');

-- Several tables in one call, each from its own cursor.
select public.pull_all(array['assessments', 'answers'],
                       jsonb_build_object('assessments', jsonb_build_object('after_xid', :'xid1', 'after_id', :'id1')),
                       100) as both \gset
select is(jsonb_array_length(:'both'::jsonb -> 'assessments' -> 'rows'), 3, 'pull_all pages each table from its cursor');
select is(jsonb_array_length(:'both'::jsonb -> 'answers' -> 'rows'), 0, 'and returns every table asked for');
select throws_ok($$ select public.pull_all(array['secrets'], '{}', 10) $$, '22023', null,
  'pull_all refuses an unknown table');

-- The late commit: "slow" starts writing first and commits after "fast".
reset role;
select dblink_connect('slow', format('host=127.0.0.1 port=%s dbname=%s user=postgres',
                                     current_setting('port'), current_database())) as connected \gset
select dblink_connect('fast', format('host=127.0.0.1 port=%s dbname=%s user=postgres',
                                     current_setting('port'), current_database())) as connected \gset
select pg_temp.push_as_puller('slow', 'f2000000-0000-4000-8000-000000000001', false) as ok \gset
select pg_temp.push_as_puller('fast', 'f2000000-0000-4000-8000-000000000002') as ok \gset
set role authenticated;
select is(jsonb_array_length(public.pull_changes('assessments', :'xid3', :'id3', 100) -> 'rows'), 0,
  'while an older transaction is open, the newer committed row is held back');
select is((select count(*)::int from public.assessments where id = 'f2000000-0000-4000-8000-000000000002'), 1,
  '(a cursor by time would have taken it and moved past the open one)');
reset role;
select dblink_exec('slow', 'commit') as ok \gset
set role authenticated;
select public.pull_changes('assessments', :'xid3', :'id3', 100) as late \gset
select is(jsonb_array_length(:'late'::jsonb -> 'rows'), 2, 'after the commit both rows come');
select is(:'late'::jsonb -> 'rows' -> 0 ->> 'id', 'f2000000-0000-4000-8000-000000000001',
  'the late one first, in commit-independent xid order');

reset role;
select * from finish();
select dblink_exec('setup', $$ delete from auth.users where id = 'f0000000-0000-4000-8000-00000000000f' $$) as ok \gset
select dblink_disconnect('setup'), dblink_disconnect('slow'), dblink_disconnect('fast');
