-- Compilar sync schema, version 1 (Supabase: PostgreSQL 15+, PostgREST 12+, Supabase Auth).
--
-- What a signed-in person's devices push and pull. Every synced table has:
--   id                 the client's UUIDv7 (answers: a UUIDv5 of assessment and question, the same on every device)
--   owner_id           the signed-in user (defaults to auth.uid(); never changes)
--   client_updated_at  the writing device's clock (hybrid: never behind anything that device has seen)
--   updated_by_device  the writing device's id (breaks ties)
--   deleted_at         tombstone; rows are never deleted, so a delete syncs like any other change
--   server_xid         the transaction that last wrote the row (the pull cursor), stamped by the trigger
--   server_updated_at  when the server last accepted a write (for people reading the tables)
-- Last writer wins per row by (client_updated_at, updated_by_device), enforced by a trigger so that every
-- write path (the push RPC, a plain PostgREST upsert, SQL) is guarded. An assessment's answers are one row per
-- question, so two devices editing one assessment merge per question.
-- Results travel as a column of their assessment (set once on completion): the app never has a completed
-- assessment without its scores.

create extension if not exists pgcrypto;

-- ---------------------------------------------------------------------------------------------------------------
-- The guard every synced table shares.

create or replace function public.sync_guard() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- A clock far ahead would win every later conflict: nothing is accepted from more than a minute ahead.
  if new.client_updated_at > now() + interval '1 minute' then
    new.client_updated_at := now() + interval '1 minute';
  end if;
  if tg_op = 'INSERT' then
    if new.owner_id is null then
      new.owner_id := auth.uid();
    end if;
  else
    if new.owner_id is distinct from old.owner_id then
      raise exception 'the owner of a synced row cannot change'
        using errcode = '42501', hint = 'owner_id is set by the server';
    end if;
    -- Not newer than what is stored: keep the stored row (the write is ignored, not an error).
    if (new.client_updated_at, new.updated_by_device) <= (old.client_updated_at, old.updated_by_device) then
      return null;
    end if;
    -- The same content at the same clock, sent again by another device (it had pulled the row): nothing to do.
    if new.client_updated_at = old.client_updated_at
       and (to_jsonb(new) - array['updated_by_device', 'server_xid', 'server_updated_at'])
         = (to_jsonb(old) - array['updated_by_device', 'server_xid', 'server_updated_at']) then
      return null;
    end if;
  end if;
  new.server_xid := pg_current_xact_id();
  new.server_updated_at := now();
  return new;
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Tables. Bounds mirror the app's (crates/compilar-core/src/store/records.rs); the server checks them too.

create table public.profiles (
  id                uuid primary key default auth.uid() references auth.users (id) on delete cascade,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  display_name      text not null check (length(display_name) between 1 and 80),
  created_at        timestamptz not null default now(),
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now(),
  check (id = owner_id)
);

create table public.full_profiles (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  mode              text not null check (mode in ('egalitarian', 'hierarchical')),
  group_label       text check (length(group_label) between 1 and 80),
  note              text check (length(note) <= 2000),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

-- Teams (used by the teams features; here a person sees only rows they own).
create table public.teams (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name              text not null check (length(name) between 1 and 80),
  description       text check (length(description) <= 2000),
  -- Team results stay hidden until this many consenting members have answered (never fewer than 3).
  min_responses     integer not null default 5 check (min_responses between 3 and 1000),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

-- A person's membership of a team: the owner is the member.
create table public.memberships (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  team_id           uuid not null references public.teams (id) deferrable initially deferred,
  role              text not null check (role in ('facilitator', 'member')),
  -- Whether this member's results for the team's rounds count in the team's results (off until they say yes).
  consent           boolean not null default false,
  consent_at        timestamptz,
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now(),
  unique (team_id, owner_id)
);

-- A group round a facilitator started: the owner is that facilitator.
create table public.rounds (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  team_id           uuid not null references public.teams (id) deferrable initially deferred,
  pillar            text check (length(pillar) <= 128),
  mode              text not null check (mode in ('egalitarian', 'hierarchical')),
  message           text check (length(message) <= 2000),
  due_at            timestamptz,
  closed_at         timestamptz,
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

create table public.assessments (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  pillar            text not null check (length(pillar) <= 128),
  mode              text not null check (mode in ('egalitarian', 'hierarchical')),
  stage             text not null check (stage in ('quiz', 'completed')),
  question_ids      jsonb not null check (jsonb_typeof(question_ids) = 'array' and octet_length(question_ids::text) <= 64000),
  answered          integer not null check (answered between 0 and 10000),
  total             integer not null check (total between 1 and 10000),
  results           jsonb check (octet_length(results::text) <= 1000000),
  bank_version      integer not null check (bank_version between 0 and 1000000),
  group_label       text check (length(group_label) between 1 and 80),
  note              text check (length(note) <= 2000),
  profile_id        uuid,
  round_id          uuid,
  completed_at      timestamptz,
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now(),
  check ((stage = 'completed') = (completed_at is not null and results is not null))
);

-- One answer: one row per assessment and question, so edits on two devices merge per question.
create table public.answers (
  id                uuid primary key,
  -- No foreign key to auth.users here (it would be checked for every answer of a push): an account's answers go
  -- with its assessments, which go with the account.
  owner_id          uuid not null default auth.uid(),
  assessment_id     uuid not null references public.assessments (id) on delete cascade deferrable initially deferred,
  question_id       text not null check (length(question_id) between 1 and 128),
  value             smallint not null check (value between 1 and 5),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now(),
  unique (assessment_id, question_id)
);

create table public.generated_questions (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  pillar            text not null check (length(pillar) <= 128),
  mode              text not null check (mode in ('egalitarian', 'hierarchical')),
  force             text not null check (length(force) <= 128),
  text              text not null check (length(text) between 1 and 400),
  reverse           integer not null check (reverse in (0, 1)),
  provider          text not null check (length(provider) <= 128),
  model             text not null check (length(model) <= 128),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

create table public.coach_reports (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  assessment_id     uuid not null references public.assessments (id) deferrable initially deferred,
  status            text not null check (status in ('complete', 'stopped', 'error')),
  writer            text not null check (writer in ('model', 'offline')),
  provider          text check (length(provider) <= 128),
  provider_label    text check (length(provider_label) <= 128),
  model             text check (length(model) <= 128),
  content           text not null check (length(content) <= 1000000),
  passages          jsonb not null check (octet_length(passages::text) <= 1000000),
  citations         jsonb not null check (octet_length(citations::text) <= 64000),
  notice            text check (length(notice) <= 4000),
  error             jsonb check (octet_length(error::text) <= 16000),
  prompt_version    integer not null check (prompt_version >= 0),
  tokens_in         bigint not null check (tokens_in >= 0),
  tokens_out        bigint not null check (tokens_out >= 0),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

create table public.goals (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  assessment_id     uuid not null references public.assessments (id) deferrable initially deferred,
  pillar            text not null check (length(pillar) <= 128),
  mode              text not null check (mode in ('egalitarian', 'hierarchical')),
  force             text not null check (length(force) <= 128),
  group_label       text check (length(group_label) between 1 and 80),
  title             text not null check (length(title) between 1 and 200),
  practice          text not null check (length(practice) between 1 and 2000),
  practice_source   text not null check (practice_source in ('recommendation', 'passage', 'report', 'own')),
  practice_ref      text check (length(practice_ref) <= 128),
  baseline          double precision check (baseline between 0 and 100),
  review_on         text not null check (length(review_on) = 10),
  status            text not null check (status in ('active', 'done', 'dropped')),
  closed_reason     text check (length(closed_reason) <= 500),
  closed_at         timestamptz,
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

create table public.goal_checkins (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  goal_id           uuid not null references public.goals (id) deferrable initially deferred,
  rating            integer not null check (rating between 1 and 5),
  note              text check (length(note) <= 1000),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

-- Coach conversations sync only when their owner turns it on for that conversation.
create table public.conversations (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title             text not null check (length(title) <= 200),
  context           jsonb not null check (octet_length(context::text) <= 4000),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

create table public.messages (
  id                uuid primary key,
  owner_id          uuid not null default auth.uid() references auth.users (id) on delete cascade,
  conversation_id   uuid not null references public.conversations (id) deferrable initially deferred,
  seq               integer not null check (seq between 0 and 1000000),
  role              text not null check (role in ('user', 'assistant')),
  content           text not null check (length(content) <= 1000000),
  status            text not null check (status in ('complete', 'stopped', 'error')),
  writer            text check (writer in ('model', 'knowledge')),
  provider          text check (length(provider) <= 128),
  provider_label    text check (length(provider_label) <= 128),
  model             text check (length(model) <= 128),
  passages          jsonb not null check (octet_length(passages::text) <= 1000000),
  citations         jsonb not null check (octet_length(citations::text) <= 64000),
  notice            text check (length(notice) <= 4000),
  error             jsonb check (octet_length(error::text) <= 16000),
  tokens_in         bigint not null check (tokens_in >= 0),
  tokens_out        bigint not null check (tokens_out >= 0),
  trimmed           integer not null check (trimmed >= 0),
  created_at        timestamptz not null,
  client_updated_at timestamptz not null,
  updated_by_device text not null check (length(updated_by_device) between 1 and 64),
  deleted_at        timestamptz,
  server_xid        xid8 not null default pg_current_xact_id(),
  server_updated_at timestamptz not null default now()
);

-- Push batches already applied (a replayed batch changes nothing) and what each one answered.
create table public.sync_batches (
  batch_id    uuid primary key,
  owner_id    uuid not null default auth.uid() references auth.users (id) on delete cascade,
  device      text not null check (length(device) between 1 and 64),
  result      jsonb not null,
  received_at timestamptz not null default now()
);

-- ---------------------------------------------------------------------------------------------------------------
-- Guards, pull indexes, row-level security and grants, the same for every synced table.

create or replace function public.sync_tables() returns text[]
language sql immutable
as $$
  -- Parents before children: the order a push applies and a pull reads.
  select array['profiles', 'full_profiles', 'teams', 'memberships', 'rounds', 'assessments', 'answers',
               'generated_questions', 'coach_reports', 'goals', 'goal_checkins', 'conversations', 'messages'];
$$;

do $$
declare
  t text;
begin
  foreach t in array public.sync_tables() loop
    -- Updates always go through the guard (last writer wins). A new row needs it only when something is off:
    -- no owner, a clock far ahead, or server columns sent by the client (the defaults already stamp
    -- server_xid and server_updated_at); the WHEN test costs far less than calling the function per row.
    execute format('create trigger sync_guard before update on public.%I
                    for each row execute function public.sync_guard()', t);
    execute format('create trigger sync_guard_insert before insert on public.%I
                    for each row when (new.owner_id is null
                                       or new.client_updated_at > now() + interval ''1 minute''
                                       or new.server_xid is distinct from pg_current_xact_id()
                                       or new.server_updated_at is distinct from now())
                    execute function public.sync_guard()', t);
    execute format('create index %I on public.%I (owner_id, server_xid, id)', t || '_pull', t);
    execute format('alter table public.%I enable row level security', t);
    execute format('alter table public.%I force row level security', t);
    execute format('revoke all on public.%I from public, anon', t);
    execute format('grant select, insert, update on public.%I to authenticated', t);
    execute format('create policy own_rows_read on public.%I for select to authenticated
                    using (owner_id = (select auth.uid()))', t);
    execute format('create policy own_rows_insert on public.%I for insert to authenticated
                    with check (owner_id = (select auth.uid()))', t);
    execute format('create policy own_rows_update on public.%I for update to authenticated
                    using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()))', t);
  end loop;
end;
$$;

alter table public.sync_batches enable row level security;
alter table public.sync_batches force row level security;
revoke all on public.sync_batches from public, anon;
grant select, insert, update on public.sync_batches to authenticated;
create policy own_batches_read on public.sync_batches for select to authenticated
  using (owner_id = (select auth.uid()));
create policy own_batches_insert on public.sync_batches for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy own_batches_update on public.sync_batches for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));

-- ---------------------------------------------------------------------------------------------------------------
-- push_changes: one batch of changes across tables, in one transaction, once.
--
-- changes: {"<table>": rows, …} where rows is either an array of row objects, or
-- {"columns": [name, …], "rows": [[value, …], …]} with each row an array in the order of `columns` (what the
-- app sends: several times cheaper to read than an object per row). Rows carry the table's columns but
-- owner_id, server_xid and server_updated_at; a column left out is null. Returns {"status": "applied" |
-- "duplicate", "applied": n, "ignored": n, "rejected": [{"table", "id", "code", "message"}]}: ignored rows
-- were older than the stored ones; rejected rows broke a rule (another person's row, a bound) and were left
-- out, so one bad row never blocks the rest. A replayed batch id returns the first answer with status
-- "duplicate" and changes nothing.

create or replace function public.push_changes(batch_id uuid, device text, changes jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  t text;
  v jsonb;
  rows jsonb;
  cols text;
  sets text;
  bulk text;
  one text;
  id_at integer;
  given integer;
  distinct_given integer;
  total integer := 0;
  applied integer := 0;
  n integer;
  r jsonb;
  rejected jsonb := '[]'::jsonb;
  outcome jsonb;
  prior jsonb;
begin
  if auth.uid() is null then
    raise exception 'sign in to sync' using errcode = '42501';
  end if;
  if batch_id is null or device is null or length(device) not between 1 and 64 then
    raise exception 'a batch needs an id and a device' using errcode = '22023';
  end if;
  if jsonb_typeof(changes) is distinct from 'object' then
    raise exception 'changes must be an object of table name to rows' using errcode = '22023';
  end if;
  -- Claim the batch id first: a second push of the same batch (a retry, or another process of the same
  -- device) waits here until the first commits, then answers as a duplicate.
  insert into public.sync_batches as b (batch_id, device, result)
  values (push_changes.batch_id, device, '{}'::jsonb)
  on conflict on constraint sync_batches_pkey do nothing;
  if not found then
    select b.result into prior from public.sync_batches b where b.batch_id = push_changes.batch_id;
    return coalesce(prior, '{}'::jsonb) || jsonb_build_object('status', 'duplicate');
  end if;
  for t in select jsonb_object_keys(changes) loop
    if not (t = any (public.sync_tables())) then
      raise exception 'unknown table %', left(t, 64) using errcode = '22023';
    end if;
    v := changes -> t;
    if jsonb_typeof(v) = 'array' then
      total := total + jsonb_array_length(v);
    elsif jsonb_typeof(v) = 'object' and jsonb_typeof(v -> 'columns') = 'array'
          and jsonb_typeof(v -> 'rows') = 'array' then
      total := total + jsonb_array_length(v -> 'rows');
    else
      raise exception '% must be an array of rows or {"columns", "rows"}', t using errcode = '22023';
    end if;
  end loop;
  if total > 50000 then
    raise exception 'a batch holds at most 50000 rows' using errcode = '54000';
  end if;

  total := 0;
  foreach t in array public.sync_tables() loop
    v := changes -> t;
    continue when v is null;
    if jsonb_typeof(v) = 'object' then
      -- Rows as arrays: columns named once, id among them. As with row objects, a column the table does not
      -- have (an app newer than this schema) or one the server sets (owner_id, server_*) is not written.
      rows := v -> 'rows';
      select count(*), count(distinct x) into given, distinct_given from jsonb_array_elements_text(v -> 'columns') x;
      select string_agg(quote_ident(a.attname), ', ' order by c.i),
             string_agg(case when a.atttypid = 'jsonb'::regtype
                               then format('nullif(r -> %s, ''null''::jsonb)', c.i - 1)
                             else format('(r ->> %s)::%s', c.i - 1, format_type(a.atttypid, a.atttypmod))
                        end, ', ' order by c.i),
             string_agg(format('%1$I = excluded.%1$I', a.attname), ', ' order by c.i)
               filter (where a.attname <> 'id'),
             max(c.i - 1) filter (where a.attname = 'id')
        into cols, bulk, sets, id_at
        from jsonb_array_elements_text(v -> 'columns') with ordinality as c(name, i)
        join pg_attribute a
          on a.attrelid = format('public.%I', t)::regclass and a.attname = c.name and a.attnum > 0
         and not a.attisdropped and a.attname not in ('owner_id', 'server_xid', 'server_updated_at');
      if distinct_given <> given or id_at is null or sets is null then
        raise exception 'the columns of % must be named once each, with id and another of its own', t
          using errcode = '22023';
      end if;
      one := format('select %s from (select $1 as r) x', bulk);
      bulk := format('select %s from jsonb_array_elements($1) r', bulk);
    else
      rows := v;
      select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
             string_agg(format('%1$I = excluded.%1$I', a.attname), ', ' order by a.attnum)
               filter (where a.attname <> 'id')
        into cols, sets
        from pg_attribute a
       where a.attrelid = format('public.%I', t)::regclass and a.attnum > 0 and not a.attisdropped
         and a.attname not in ('owner_id', 'server_xid', 'server_updated_at');
      bulk := format('select %s from jsonb_populate_recordset(null::public.%I, $1)', cols, t);
      one := format('select %s from jsonb_populate_record(null::public.%I, $1)', cols, t);
      id_at := null;
    end if;
    continue when jsonb_array_length(rows) = 0;
    total := total + jsonb_array_length(rows);
    begin
      execute format('insert into public.%I (%s) %s on conflict (id) do update set %s', t, cols, bulk, sets)
        using rows;
      get diagnostics n = row_count;
      applied := applied + n;
    exception when others then
      -- One row broke a rule: apply the rows one by one and report the ones that fail.
      for r in select * from jsonb_array_elements(rows) loop
        begin
          execute format('insert into public.%I (%s) %s on conflict (id) do update set %s', t, cols, one, sets)
            using r;
          get diagnostics n = row_count;
          applied := applied + n;
        exception when others then
          rejected := rejected || jsonb_build_object('table', t, 'id', left(case when id_at is null then r ->> 'id' else r ->> id_at end, 64), 'code', sqlstate,
                                                     'message', left(sqlerrm, 500));
        end;
      end loop;
    end;
  end loop;

  outcome := jsonb_build_object('status', 'applied', 'applied', applied,
                               'ignored', total - applied - jsonb_array_length(rejected), 'rejected', rejected);
  update public.sync_batches b set result = outcome where b.batch_id = push_changes.batch_id;
  return outcome;
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- pull_changes: the caller's rows of one table written after the cursor (server_xid, id), in that order, only
-- from transactions older than every one still running (a cursor by time would skip a transaction that
-- started earlier and committed later).
--
-- Returns {"columns": [name, …], "rows": [[value, …], …], "more": bool}: each row is an array in the order of
-- `columns` (every column but owner_id), which is several times cheaper to build, send and read than an
-- object per row. A page holds at most `lim` rows (1–5000) and stops after about 4 MB of row data (always at
-- least one row), so a table of long messages pages too and a pull_all of every table stays within what a
-- client reads in one answer; `more` says whether anything was left for the next page.

create or replace function public.pull_changes(tbl text, after_xid text default '0', after_id uuid default null,
                                               lim integer default 1000)
returns json
language plpgsql
stable
security invoker
set search_path = ''
-- Always walk the pull index in order: right after a large push, before autovacuum has analysed the table,
-- the planner would otherwise read every row of the owner and sort them for each page (0.7 s instead of
-- 35 ms for a page of 5,000 of 120,000 answers, measured).
set enable_sort = off
set enable_bitmapscan = off
as $$
declare
  budget constant bigint := 4 * 1024 * 1024;
  names json;
  vals text;
  out json;
  kept integer;
  fetched integer;
begin
  if auth.uid() is null then
    raise exception 'sign in to sync' using errcode = '42501';
  end if;
  if not (tbl = any (public.sync_tables())) then
    raise exception 'unknown table %', left(tbl, 64) using errcode = '22023';
  end if;
  if lim is null or lim not between 1 and 5000 then
    raise exception 'lim must be between 1 and 5000' using errcode = '22023';
  end if;
  select json_agg(a.attname order by a.attnum),
         string_agg(format('t.%I', a.attname), ', ' order by a.attnum)
    into names, vals
    from pg_attribute a
   where a.attrelid = format('public.%I', tbl)::regclass and a.attnum > 0 and not a.attisdropped
     and a.attname <> 'owner_id';
  -- Each row's JSON is built once; the running total of its length cuts the page at the budget.
  execute format(
    'select coalesce(json_agg(q.j order by q.server_xid, q.id) filter (where q.n = 1 or q.upto <= $4), ''[]''::json),
            count(*) filter (where q.n = 1 or q.upto <= $4), count(*)
       from (select p.j, p.server_xid, p.id, row_number() over w as n, sum(octet_length(p.j::text)) over w as upto
               from (select json_build_array(%s) as j, t.server_xid, t.id
                       from public.%I t
                      where t.owner_id = (select auth.uid())
                        and (t.server_xid, t.id) > ($1::xid8, coalesce($2, ''00000000-0000-0000-0000-000000000000''::uuid))
                        and t.server_xid < pg_snapshot_xmin(pg_current_snapshot())
                      order by t.server_xid, t.id
                      limit $3) p
             window w as (order by p.server_xid, p.id rows between unbounded preceding and current row)) q',
    vals, tbl)
    into out, kept, fetched
    using coalesce(after_xid, '0'), after_id, lim, budget;
  return json_build_object('columns', names, 'rows', out, 'more', fetched = lim or kept < fetched);
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- pull_all: one round trip for several tables, all read in one snapshot (the steady state: nothing or a few
-- rows new). cursors: {"<table>": {"after_xid": "...", "after_id": "..."}}; returns {"<table>": page} with the
-- pages of pull_changes. A client applies the tables in order and pages on per table from the first one that
-- has more.

create or replace function public.pull_all(tbls text[], cursors jsonb default '{}'::jsonb, lim integer default 1000)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  out json;
begin
  if tbls is null or cardinality(tbls) > 32 then
    raise exception 'tbls names at most 32 tables' using errcode = '22023';
  end if;
  if cardinality(tbls) <> (select count(distinct x) from unnest(tbls) x) then
    raise exception 'tbls names a table twice' using errcode = '22023';
  end if;
  if jsonb_typeof(coalesce(cursors, '{}'::jsonb)) is distinct from 'object' then
    raise exception 'cursors must be an object of table name to cursor' using errcode = '22023';
  end if;
  select coalesce(json_object_agg(x.t, public.pull_changes(x.t, coalesce(c.v ->> 'after_xid', '0'),
                                                           (c.v ->> 'after_id')::uuid, lim) order by x.i),
                  '{}'::json)
    into out
    from unnest(tbls) with ordinality as x(t, i)
    left join lateral (select coalesce(cursors, '{}'::jsonb) -> x.t as v) c on true;
  return out;
end;
$$;

revoke all on function public.push_changes(uuid, text, jsonb) from public, anon;
revoke all on function public.pull_all(text[], jsonb, integer) from public, anon;
grant execute on function public.pull_all(text[], jsonb, integer) to authenticated;
revoke all on function public.pull_changes(text, text, uuid, integer) from public, anon;
revoke all on function public.sync_guard() from public, anon;
grant execute on function public.push_changes(uuid, text, jsonb) to authenticated;
grant execute on function public.pull_changes(text, text, uuid, integer) to authenticated;
