-- Row-level security, the last-writer-wins guard and push_changes, for every synced table.
-- Run with pg_prove against a database with the migrations applied (see tests/sync.rs).
begin;
create extension if not exists pgtap;
select plan(47);

insert into auth.users (id, email) values
  ('a0000000-0000-4000-8000-000000000001', 'ada@example.test'),
  ('b0000000-0000-4000-8000-000000000002', 'bo@example.test');

create function pg_temp.act_as(who uuid) returns void
language sql as $$
  select set_config('request.jwt.claims', json_build_object('sub', who, 'role', 'authenticated')::text, true);
$$;

create function pg_temp.assessment(id uuid, at timestamptz, device text, note text default null) returns jsonb
language sql as $$
  select jsonb_build_object('id', id, 'pillar', 'divsexp', 'mode', 'egalitarian', 'stage', 'quiz',
    'question_ids', '["q1","q2"]'::jsonb, 'answered', 0, 'total', 2, 'results', null, 'bank_version', 1,
    'group_label', null, 'note', note, 'profile_id', null, 'round_id', null, 'completed_at', null,
    'created_at', '2026-12-01T10:00:00Z', 'client_updated_at', at, 'updated_by_device', device,
    'deleted_at', null);
$$;

-- Every synced table: RLS on, and no API role reaches any table at all (only the project's functions do).
select is(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname = any (public.sync_tables() || array['sync_batches'])
      and c.relrowsecurity),
  14, 'RLS is on for every synced table and for sync_batches');
select is(
  (select count(*)::int from information_schema.role_table_grants
    where table_schema = 'public' and grantee in ('anon', 'PUBLIC')
      and table_name = any (public.sync_tables() || array['sync_batches'])),
  0, 'anon gets no privilege on any synced table');
select is(
  (select count(*)::int from information_schema.role_table_grants
    where table_schema = 'public' and grantee = 'authenticated'
      and table_name in (select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r')),
  0, 'nor does a signed-in user, on any table (no read, write, delete, truncate, trigger or reference)');
select ok(not has_function_privilege('anon', 'public.push_changes(uuid, text, jsonb)', 'execute'),
  'anon cannot push');
select ok(not has_function_privilege('anon', 'public.pull_changes(text, text, uuid, integer)', 'execute'),
  'anon cannot pull');
select ok(has_function_privilege('authenticated', 'public.push_changes(uuid, text, jsonb)', 'execute'),
  'a signed-in user can push');
select is(
  (select count(*)::int from pg_trigger t join pg_class c on c.oid = t.tgrelid
    where t.tgname in ('sync_guard', 'sync_guard_insert') and c.relname = any (public.own_tables())),
  20, 'every table a person pushes has the last-writer-wins guard, for updates and for inserts');

-- anon: nothing.
set local role anon;
select throws_ok($$ select count(*) from public.assessments $$, '42501', null, 'anon cannot read assessments');
select throws_ok($$ select public.push_changes(gen_random_uuid(), 'd', '{}') $$, '42501', null,
  'anon cannot call push_changes');
reset role;

-- Ada pushes an assessment with one answer.
set local role authenticated;
select pg_temp.act_as('a0000000-0000-4000-8000-000000000001');
select is(
  public.push_changes('c0000000-0000-4000-8000-000000000001', 'ada-laptop', jsonb_build_object(
    'assessments', jsonb_build_array(pg_temp.assessment('d0000000-0000-4000-8000-000000000001',
                                                        '2026-12-01T10:00:00Z', 'ada-laptop')),
    'answers', jsonb_build_array(jsonb_build_object('id', 'e0000000-0000-4000-8000-000000000001',
      'assessment_id', 'd0000000-0000-4000-8000-000000000001', 'question_id', 'q1', 'value', 4,
      'created_at', '2026-12-01T10:01:00Z', 'client_updated_at', '2026-12-01T10:01:00Z',
      'updated_by_device', 'ada-laptop', 'deleted_at', null)))) ->> 'status',
  'applied', 'a first push is applied');
reset role;
select is((select owner_id from public.assessments where id = 'd0000000-0000-4000-8000-000000000001'),
  'a0000000-0000-4000-8000-000000000001'::uuid, 'the owner defaults to the signed-in user');
set local role authenticated;
reset role;
select ok((select server_xid = pg_current_xact_id() from public.answers
            where id = 'e0000000-0000-4000-8000-000000000001'), 'the guard stamps server_xid');
set local role authenticated;

-- The same batch again: duplicate, nothing changes.
select is(
  public.push_changes('c0000000-0000-4000-8000-000000000001', 'ada-laptop', jsonb_build_object(
    'assessments', jsonb_build_array(pg_temp.assessment('d0000000-0000-4000-8000-000000000001',
                                                        '2026-12-01T12:00:00Z', 'ada-laptop', 'replayed'))))
    ->> 'status',
  'duplicate', 'a replayed batch id is a duplicate');
reset role;
select is((select note from public.assessments where id = 'd0000000-0000-4000-8000-000000000001'), null,
  'a replayed batch changes nothing');
set local role authenticated;

-- Last writer wins by (client_updated_at, device).
select is(
  (public.push_changes(gen_random_uuid(), 'ada-phone', jsonb_build_object(
    'assessments', jsonb_build_array(pg_temp.assessment('d0000000-0000-4000-8000-000000000001',
                                                        '2026-12-01T09:00:00Z', 'ada-phone', 'stale'))))
    ->> 'ignored')::int,
  1, 'an older write is counted as ignored');
reset role;
select is((select note from public.assessments where id = 'd0000000-0000-4000-8000-000000000001'), null,
  'an older write leaves the row as it was');
set local role authenticated;
select lives_ok($$ select public.push_changes(gen_random_uuid(), 'ada-phone', jsonb_build_object(
    'assessments', jsonb_build_array(pg_temp.assessment('d0000000-0000-4000-8000-000000000001',
                                                        '2026-12-01T10:00:00Z', 'ada-phone', 'tie')))) $$,
  'a tie pushes');
reset role;
select is((select note from public.assessments where id = 'd0000000-0000-4000-8000-000000000001'), 'tie',
  'on equal clocks the larger device id wins (ada-phone > ada-laptop)');
set local role authenticated;
select lives_ok($$ select public.push_changes(gen_random_uuid(), 'ada-laptop', jsonb_build_object(
    'assessments', jsonb_build_array(pg_temp.assessment('d0000000-0000-4000-8000-000000000001',
                                                        '2026-12-01T11:00:00Z', 'ada-laptop', 'newer')))) $$,
  'a newer write pushes');
reset role;
select is((select note from public.assessments where id = 'd0000000-0000-4000-8000-000000000001'), 'newer',
  'a newer write is applied');
set local role authenticated;

-- A signed-in user cannot write the tables directly at all.
select throws_ok($$ insert into public.assessments (id, pillar, mode, stage, question_ids, answered, total,
    bank_version, created_at, client_updated_at, updated_by_device)
  values (gen_random_uuid(), 'divsexp', 'egalitarian', 'quiz', '[]', 0, 1, 1, now(), now(), 'x') $$,
  '42501', null, 'a plain insert is refused');

-- Any other write path (the functions, SQL by the project's owner) goes through the same guard.
reset role;
insert into public.assessments (id, pillar, mode, stage, question_ids, answered, total, bank_version, created_at,
                                client_updated_at, updated_by_device, note)
values ('d0000000-0000-4000-8000-000000000001', 'divsexp', 'egalitarian', 'quiz', '[]', 0, 2, 1, now(),
        '2026-12-01T08:00:00Z', 'zzz', 'plain stale')
on conflict (id) do update set note = excluded.note, client_updated_at = excluded.client_updated_at,
  updated_by_device = excluded.updated_by_device;
reset role;
select is((select note from public.assessments where id = 'd0000000-0000-4000-8000-000000000001'), 'newer',
  'a stale plain upsert is ignored too');
set local role authenticated;
set local role authenticated;

-- A clock far in the future is clamped.
select lives_ok($$ select public.push_changes(gen_random_uuid(), 'ada-laptop', jsonb_build_object(
    'assessments', jsonb_build_array(pg_temp.assessment('d0000000-0000-4000-8000-000000000002',
                                                        '2099-01-01T00:00:00Z', 'ada-laptop')))) $$,
  'a far-future clock pushes');
reset role;
select ok((select client_updated_at <= now() + interval '1 minute' from public.assessments
            where id = 'd0000000-0000-4000-8000-000000000002'), 'and is clamped to a minute ahead');
set local role authenticated;

-- A writer cannot choose the pull cursor of its row.
reset role;
insert into public.assessments (id, pillar, mode, stage, question_ids, answered, total, bank_version, created_at,
                                client_updated_at, updated_by_device, server_xid, server_updated_at)
values ('d0000000-0000-4000-8000-000000000003', 'divsexp', 'egalitarian', 'quiz', '[]', 0, 2, 1, now(), now(),
        'ada-laptop', '1', '2000-01-01');
reset role;
select ok((select server_xid = pg_current_xact_id() and server_updated_at = now() from public.assessments
            where id = 'd0000000-0000-4000-8000-000000000003'), 'server columns sent by a client are replaced');
set local role authenticated;

-- The owner never changes.
set local role authenticated;
reset role;
select throws_ok($$ update public.assessments set owner_id = 'b0000000-0000-4000-8000-000000000002',
                      client_updated_at = now() where id = 'd0000000-0000-4000-8000-000000000001' $$,
  '42501', null, 'the owner cannot be changed');
set local role authenticated;

-- Bounds are checked and a bad row is reported, not fatal to the batch.
select is(
  (select jsonb_array_length(r -> 'rejected') || ' ' || (r ->> 'applied')
     from (select public.push_changes(gen_random_uuid(), 'ada-laptop', jsonb_build_object(
       'answers', jsonb_build_array(
         jsonb_build_object('id', 'e0000000-0000-4000-8000-000000000002',
           'assessment_id', 'd0000000-0000-4000-8000-000000000001', 'question_id', 'q2', 'value', 9,
           'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'ada-laptop'),
         jsonb_build_object('id', 'e0000000-0000-4000-8000-000000000003',
           'assessment_id', 'd0000000-0000-4000-8000-000000000001', 'question_id', 'q2', 'value', 3,
           'created_at', now(), 'client_updated_at', now(), 'updated_by_device', 'ada-laptop')))) r) x),
  '1 1', 'a value off the scale is rejected and the good row is still applied');
-- Rows as arrays in the order of their columns (what the app sends): applied, a bad one reported by its id,
-- and columns that are not the table's own refused.
select is(
  (select jsonb_array_length(r -> 'rejected') || ' ' || (r ->> 'applied') || ' ' || (r -> 'rejected' -> 0 ->> 'id')
     from (select public.push_changes(gen_random_uuid(), 'ada-laptop', jsonb_build_object(
       'answers', jsonb_build_object(
         'columns', '["id", "assessment_id", "question_id", "value", "created_at", "client_updated_at", "updated_by_device"]'::jsonb,
         'rows', jsonb_build_array(
           jsonb_build_array('e0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000001', 'q4',
                             2, now(), now(), 'ada-laptop'),
           jsonb_build_array('e0000000-0000-4000-8000-000000000005', 'd0000000-0000-4000-8000-000000000001', 'q5',
                             7, now(), now(), 'ada-laptop'))))) r) x),
  '1 1 e0000000-0000-4000-8000-000000000005', 'rows as arrays are applied, and a bad one is reported by its id');
reset role;
select is((select value::int || ' ' || coalesce(deleted_at::text, 'null') from public.answers
            where id = 'e0000000-0000-4000-8000-000000000004'), '2 null',
  'a column left out of the arrays is null');
set local role authenticated;
select is(
  (select (r ->> 'applied') || ' ' || jsonb_array_length(r -> 'rejected')
     from (select public.push_changes(gen_random_uuid(), 'ada-laptop', jsonb_build_object(
       'answers', jsonb_build_object(
         'columns', '["id", "owner_id", "assessment_id", "question_id", "value", "created_at", "client_updated_at", "updated_by_device", "from_a_newer_app"]'::jsonb,
         'rows', jsonb_build_array(
           jsonb_build_array('e0000000-0000-4000-8000-000000000006', 'b0000000-0000-4000-8000-000000000002',
                             'd0000000-0000-4000-8000-000000000001', 'q6', 4, now(), now(), 'ada-laptop', 1))))) r) x),
  '1 0', 'a column the table lacks is not written');
reset role;
select is((select owner_id::text from public.answers where id = 'e0000000-0000-4000-8000-000000000006'),
  'a0000000-0000-4000-8000-000000000001', 'nor an owner named in the arrays');
set local role authenticated;
select throws_ok($$ select public.push_changes(gen_random_uuid(), 'ada-laptop', jsonb_build_object('answers',
    jsonb_build_object('columns', '["id", "value", "value"]'::jsonb, 'rows', '[]'::jsonb))) $$,
  '22023', null, 'rows as arrays cannot name a column twice');
select throws_ok($$ select public.push_changes(gen_random_uuid(), 'ada-laptop', jsonb_build_object('answers',
    jsonb_build_object('columns', '["value", "question_id"]'::jsonb, 'rows', '[]'::jsonb))) $$,
  '22023', null, 'nor leave out the id');
select throws_ok($$ select public.push_changes(gen_random_uuid(), 'ada-laptop', '{"secrets": []}') $$,
  '22023', null, 'an unknown table is refused');
select throws_ok($$ select public.push_changes(gen_random_uuid(), 'ada-laptop', '[]') $$,
  '22023', null, 'changes must be an object');
select throws_ok($$ select public.push_changes(null, 'ada-laptop', '{}') $$,
  '22023', null, 'a batch needs an id');
select throws_ok($$ select public.pull_changes('secrets') $$, '22023', null, 'pull refuses an unknown table');
select throws_ok($$ select public.pull_changes('assessments', '0', null, 5001) $$, '22023', null,
  'pull refuses a page over 5000 rows');

-- Bo sees none of Ada's rows and cannot overwrite them.
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select throws_ok($$ select count(*) from public.assessments $$, '42501', null, 'another user reads no assessments');
select throws_ok($$ select count(*) from public.answers $$, '42501', null, 'nor answers');
select throws_ok($$ select count(*) from public.sync_batches $$, '42501', null, 'nor batches');
select is(json_array_length(public.pull_changes('assessments') -> 'rows'), 0, 'another user pulls nothing');
select is(
  (public.push_changes(gen_random_uuid(), 'bo-laptop', jsonb_build_object(
    'assessments', jsonb_build_array(pg_temp.assessment('d0000000-0000-4000-8000-000000000001',
                                                        '2026-12-02T00:00:00Z', 'bo-laptop', 'hijack'))))
    -> 'rejected' -> 0 ->> 'code'),
  '42501', 'upserting another user''s id is rejected');
select throws_ok($$ update public.assessments set note = 'x', client_updated_at = now() $$, '42501', null,
  'a plain update by another user is refused');
reset role;
select is((select note from public.assessments where id = 'd0000000-0000-4000-8000-000000000001'), 'newer',
  'Ada''s row is unchanged after Bo''s attempts');
set local role authenticated;

-- Deleting an account deletes its rows, answers included (they go with their assessments).
reset role;
select ok((select count(*) from public.answers where owner_id = 'a0000000-0000-4000-8000-000000000001') > 0,
  'Ada has answers on the server');
delete from auth.users where id = 'a0000000-0000-4000-8000-000000000001';
reset role;
select is((select count(*)::int from public.answers where owner_id = 'a0000000-0000-4000-8000-000000000001')
          + (select count(*)::int from public.assessments where owner_id = 'a0000000-0000-4000-8000-000000000001'),
  0, 'deleting her account deletes her assessments and their answers');
set local role authenticated;

select * from finish();
rollback;
