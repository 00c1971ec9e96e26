-- Compilar teams, version 1: membership, invitations, consent, group rounds and team results that protect each
-- member's anonymity. Builds on 20261202000000_sync.sql (teams, memberships and rounds exist there).
--
-- Who sees what (enforced here, whatever client asks):
--   - a person's assessments, answers and results stay readable by that person only (the sync policies are not
--     widened: a facilitator has no policy, view or function that returns one member's rows);
--   - members of a team read the team, its member list (roles; consent only their own, or all of it when they
--     facilitate: the memberships table itself is readable by facilitators only) and its rounds;
--   - teams, memberships and rounds change only through the functions below (the own-row write policies of the
--     sync schema are dropped for these three tables, so nobody can write themselves into a team as its
--     facilitator);
--   - a round's results are aggregates computed here (`round_results`, security definer), shown only when at
--     least the team's threshold of consenting members have completed it, and only for member sets that cannot
--     be subtracted from an earlier shown set to isolate fewer than the threshold (the rule is documented at
--     `round_results`).

-- ---------------------------------------------------------------------------------------------------------------
-- Who is in which team (security definer, so that policies on memberships can ask without recursing).

create or replace function public.team_role(team uuid) returns text
language sql
stable
security definer
set search_path = ''
as $$
  select m.role from public.memberships m
   where m.team_id = team and m.owner_id = auth.uid() and m.deleted_at is null
     and exists (select 1 from public.teams t where t.id = team and t.deleted_at is null);
$$;

revoke all on function public.team_role(uuid) from public, anon;
grant execute on function public.team_role(uuid) to authenticated;

-- Writes go through the functions below only.
drop policy own_rows_insert on public.teams;
drop policy own_rows_update on public.teams;
drop policy own_rows_insert on public.memberships;
drop policy own_rows_update on public.memberships;
drop policy own_rows_insert on public.rounds;
drop policy own_rows_update on public.rounds;
revoke insert, update on public.teams, public.memberships, public.rounds from authenticated;

-- The functions below run as the role that applies this migration (their owner). The synced tables force
-- row-level security even on their owner, so that role gets policies of its own: it reads assessments (for the
-- aggregates) and writes teams, memberships and rounds. Nobody else gets more than before.
do $$
declare
  t text;
begin
  execute format('create policy team_functions_read on public.assessments for select to %I using (true)',
                 current_user);
  foreach t in array array['teams', 'memberships', 'rounds'] loop
    execute format('create policy team_functions_write on public.%I for all to %I using (true) with check (true)',
                   t, current_user);
  end loop;
end;
$$;

create policy members_read_their_team on public.teams for select to authenticated
  using ((select public.team_role(id)) is not null);
-- Facilitators read their team's memberships (with consent); members see the list through team_members, which
-- shows only their own consent.
create policy facilitators_read_the_member_list on public.memberships for select to authenticated
  using (deleted_at is null and (select public.team_role(team_id)) = 'facilitator');
create policy members_read_rounds on public.rounds for select to authenticated
  using (deleted_at is null and (select public.team_role(team_id)) is not null);

-- A round's assessments, found by round (round_results reads them per member).
create index assessments_by_round on public.assessments (round_id, owner_id) where round_id is not null;

-- Invitations: a code is shown once to the facilitator who made it; only its SHA-256 is stored.
create table public.team_invites (
  id          uuid primary key default gen_random_uuid(),
  team_id     uuid not null references public.teams (id) on delete cascade,
  created_by  uuid not null references auth.users (id) on delete cascade,
  code_sha256 bytea not null unique,
  -- How many more people may join with it; null: any number until it expires.
  uses_left   integer check (uses_left between 0 and 10000),
  expires_at  timestamptz not null,
  revoked_at  timestamptz,
  created_at  timestamptz not null default now()
);
-- RLS on and no policy: only the functions below (their owner) reach these rows.
alter table public.team_invites enable row level security;
revoke all on public.team_invites from public, anon, authenticated;

-- Failed joins, for the guessing limit.
create table public.join_attempts (
  owner_id uuid not null references auth.users (id) on delete cascade,
  at       timestamptz not null default now()
);
create index join_attempts_by_owner on public.join_attempts (owner_id, at);
alter table public.join_attempts enable row level security;
revoke all on public.join_attempts from public, anon, authenticated;

-- The member sets whose results a round has shown (see round_results).
create table public.round_releases (
  round_id    uuid not null references public.rounds (id) on delete cascade,
  -- Sorted; a set is recorded once (by its hash: a thousand ids are too long for an index entry).
  members     uuid[] not null,
  members_key bytea not null,
  released_at timestamptz not null default clock_timestamp(),
  primary key (round_id, members_key)
);
alter table public.round_releases enable row level security;
revoke all on public.round_releases from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Helpers.

create or replace function public.require_facilitator(team uuid) returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if auth.uid() is null then
    raise exception 'sign in first' using errcode = '42501';
  end if;
  if public.team_role(team) is distinct from 'facilitator' then
    raise exception 'only a facilitator of this team can do that' using errcode = '42501';
  end if;
end;
$$;

create or replace function public.facilitators_left(team uuid, without uuid) returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select count(*)::int from public.memberships m
   where m.team_id = team and m.role = 'facilitator' and m.deleted_at is null and m.owner_id <> without;
$$;

revoke all on function public.require_facilitator(uuid) from public, anon, authenticated;
revoke all on function public.facilitators_left(uuid, uuid) from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- Teams.

create or replace function public.create_team(name text, description text default null, min_responses integer default 5)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  t uuid := gen_random_uuid();
begin
  if auth.uid() is null then
    raise exception 'sign in first' using errcode = '42501';
  end if;
  insert into public.teams (id, owner_id, name, description, min_responses, created_at, client_updated_at,
                            updated_by_device)
  values (t, auth.uid(), btrim(name), nullif(btrim(description), ''), coalesce(min_responses, 5), now(), now(),
          'server');
  insert into public.memberships (id, owner_id, team_id, role, consent, created_at, client_updated_at,
                                  updated_by_device)
  values (gen_random_uuid(), auth.uid(), t, 'facilitator', false, now(), now(), 'server');
  return t;
end;
$$;

create or replace function public.update_team(team uuid, name text, description text, min_responses integer)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform public.require_facilitator(team);
  update public.teams t
     set name = coalesce(btrim(update_team.name), t.name),
         description = case when update_team.description is null then t.description
                            else nullif(btrim(update_team.description), '') end,
         min_responses = coalesce(update_team.min_responses, t.min_responses),
         client_updated_at = clock_timestamp(), updated_by_device = 'server'
   where t.id = team;
end;
$$;

-- Deleting a team tombstones it, its memberships and rounds; every member's own assessments stay theirs (their
-- round_id points at a deleted round). Members see the team as deleted in my_teams.
create or replace function public.delete_team(team uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform public.require_facilitator(team);
  update public.rounds r set deleted_at = now(), client_updated_at = clock_timestamp(), updated_by_device = 'server'
   where r.team_id = team and r.deleted_at is null;
  update public.teams t set deleted_at = now(), client_updated_at = clock_timestamp(), updated_by_device = 'server'
   where t.id = team;
  update public.team_invites i set revoked_at = now() where i.team_id = team and i.revoked_at is null;
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Invitations and joining.

create or replace function public.create_invite(team uuid, max_uses integer default null,
                                                valid_for interval default interval '7 days')
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  alphabet constant text := 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  raw bytea;
  code text := '';
  inv uuid;
  until timestamptz;
begin
  perform public.require_facilitator(team);
  if valid_for is null or valid_for < interval '5 minutes' or valid_for > interval '90 days' then
    raise exception 'an invitation lasts from 5 minutes to 90 days' using errcode = '22023';
  end if;
  if max_uses is not null and max_uses not between 1 and 10000 then
    raise exception 'an invitation is used 1 to 10000 times, or any number' using errcode = '22023';
  end if;
  if (select count(*) from public.team_invites i
       where i.team_id = team and i.revoked_at is null and i.expires_at > now()) >= 50 then
    raise exception 'a team has at most 50 open invitations' using errcode = '54000';
  end if;
  -- 12 characters of 32 from the bytes of two UUIDv4s: about 59 bits (byte 6 carries the version).
  raw := decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');
  for i in 0..11 loop
    code := code || substr(alphabet, 1 + (get_byte(raw, i) % 32), 1);
  end loop;
  until := now() + valid_for;
  insert into public.team_invites (team_id, created_by, code_sha256, uses_left, expires_at)
  values (team, auth.uid(), sha256(convert_to(code, 'UTF8')), max_uses, until)
  returning id into inv;
  return jsonb_build_object('id', inv, 'code', code, 'expires_at', until, 'uses_left', max_uses);
end;
$$;

create or replace function public.revoke_invite(invite uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  team uuid;
begin
  select i.team_id into team from public.team_invites i where i.id = invite;
  if team is null then
    raise exception 'no such invitation' using errcode = 'P0002';
  end if;
  perform public.require_facilitator(team);
  update public.team_invites i set revoked_at = now() where i.id = invite and i.revoked_at is null;
end;
$$;

-- Joining with a code. Guessing is limited: after 10 failed tries in 10 minutes a person must wait (HTTP 429
-- through PostgREST's PT429).
create or replace function public.join_team(code text) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  inv public.team_invites;
  cleaned text := upper(regexp_replace(coalesce(code, ''), '[^A-Za-z0-9]', '', 'g'));
begin
  if auth.uid() is null then
    raise exception 'sign in first' using errcode = '42501';
  end if;
  if (select count(*) from public.join_attempts a
       where a.owner_id = auth.uid() and a.at > now() - interval '10 minutes') >= 10 then
    raise exception 'too many wrong codes; try again in a few minutes' using errcode = 'PT429';
  end if;
  select * into inv from public.team_invites i
   where i.code_sha256 = sha256(convert_to(left(cleaned, 64), 'UTF8'))
   for update;
  if inv.id is null or inv.revoked_at is not null or inv.expires_at <= now()
     or inv.uses_left = 0
     or not exists (select 1 from public.teams t where t.id = inv.team_id and t.deleted_at is null) then
    insert into public.join_attempts (owner_id) values (auth.uid());
    delete from public.join_attempts a where a.owner_id = auth.uid() and a.at < now() - interval '1 day';
    -- Not raised: the failed try must stay recorded.
    return null;
  end if;
  insert into public.memberships as m (id, owner_id, team_id, role, consent, created_at, client_updated_at,
                                       updated_by_device)
  values (gen_random_uuid(), auth.uid(), inv.team_id, 'member', false, now(), now(), 'server')
  on conflict (team_id, owner_id) do update
     set deleted_at = null, role = case when m.deleted_at is null then m.role else 'member' end,
         consent = case when m.deleted_at is null then m.consent else false end,
         client_updated_at = clock_timestamp(), updated_by_device = 'server';
  update public.team_invites i set uses_left = i.uses_left - 1 where i.id = inv.id and i.uses_left is not null;
  return inv.team_id;
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Membership.

create or replace function public.leave_team(team uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if public.team_role(team) is null then
    raise exception 'not a member of this team' using errcode = 'P0002';
  end if;
  if public.team_role(team) = 'facilitator' and public.facilitators_left(team, auth.uid()) = 0 then
    raise exception 'the last facilitator cannot leave; make someone else a facilitator or delete the team'
      using errcode = '23514';
  end if;
  update public.memberships m set deleted_at = now(), consent = false, client_updated_at = clock_timestamp(),
                                  updated_by_device = 'server'
   where m.team_id = team and m.owner_id = auth.uid();
end;
$$;

create or replace function public.remove_member(team uuid, member uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform public.require_facilitator(team);
  if member = auth.uid() then
    perform public.leave_team(team);
    return;
  end if;
  update public.memberships m set deleted_at = now(), consent = false, client_updated_at = clock_timestamp(),
                                  updated_by_device = 'server'
   where m.team_id = team and m.owner_id = member and m.deleted_at is null;
  if not found then
    raise exception 'not a member of this team' using errcode = 'P0002';
  end if;
end;
$$;

create or replace function public.set_role(team uuid, member uuid, role text) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform public.require_facilitator(team);
  if role not in ('facilitator', 'member') then
    raise exception 'a role is facilitator or member' using errcode = '22023';
  end if;
  if role = 'member' and public.facilitators_left(team, member) = 0 then
    raise exception 'the last facilitator cannot become a member' using errcode = '23514';
  end if;
  update public.memberships m set role = set_role.role, client_updated_at = clock_timestamp(), updated_by_device = 'server'
   where m.team_id = team and m.owner_id = member and m.deleted_at is null;
  if not found then
    raise exception 'not a member of this team' using errcode = 'P0002';
  end if;
end;
$$;

-- A member's choice, per team, whether their results for its rounds count (off until they say yes). Withdrawing
-- takes their contribution out of every result shown from then on.
create or replace function public.set_consent(team uuid, consent boolean) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if public.team_role(team) is null then
    raise exception 'not a member of this team' using errcode = 'P0002';
  end if;
  update public.memberships m
     set consent = coalesce(set_consent.consent, false),
         consent_at = now(), client_updated_at = clock_timestamp(), updated_by_device = 'server'
   where m.team_id = team and m.owner_id = auth.uid() and m.deleted_at is null;
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Rounds.

create or replace function public.start_round(team uuid, mode text, pillar text default null,
                                              due_at timestamptz default null, message text default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  r uuid := gen_random_uuid();
begin
  perform public.require_facilitator(team);
  if (select count(*) from public.rounds x where x.team_id = team and x.deleted_at is null
        and x.closed_at is null) >= 20 then
    raise exception 'a team has at most 20 open rounds' using errcode = '54000';
  end if;
  insert into public.rounds (id, owner_id, team_id, pillar, mode, message, due_at, created_at, client_updated_at,
                             updated_by_device)
  values (r, auth.uid(), team, pillar, mode, nullif(btrim(message), ''), due_at, now(), now(), 'server');
  return r;
end;
$$;

create or replace function public.close_round(round uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  team uuid;
begin
  select x.team_id into team from public.rounds x where x.id = round and x.deleted_at is null;
  if team is null then
    raise exception 'no such round' using errcode = 'P0002';
  end if;
  perform public.require_facilitator(team);
  update public.rounds x set closed_at = coalesce(x.closed_at, now()), client_updated_at = clock_timestamp(),
                             updated_by_device = 'server'
   where x.id = round;
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- round_results: a round's team results, for any member of its team.
--
-- Who counts: members (not removed, not left) who consent for this team and have a completed, not deleted
-- assessment tied to the round (their latest one), for the round's pillar and mode. Call that set E.
--
-- The rule (t = the team's threshold, default 5, never below 3):
--   1. Fewer than t in E: no figures, only {"responses": |E|, "needed": t}.
--   2. Figures are over a member set S only when S could be shown without isolating fewer than t people against
--      any set shown before for this round: for every earlier shown set P, |S △ P| = 0 or |S △ P| ≥ t. (The
--      difference of two results over P and S is a combination of the people in P △ S; keeping that at least
--      t people is the same protection as the threshold itself.)
--   3. E is shown when it satisfies 2 (and is recorded). Otherwise the latest earlier shown set that lies wholly
--      inside E is shown again, unchanged ("N new responses are held back until M more"). If there is none (a
--      member of every earlier set withdrew or left), no figures ("held back").
--   So a member's withdrawal takes them out of every figure from then on, and one response more or less never
--   changes a figure. Within a set every number (pillar and each force: mean, standard deviation, range,
--   histogram of scores in five bands) is over exactly all its members: a force not scored for all of them is
--   left out. There are no breakdowns by anything.

create or replace function public.round_results(round uuid) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  rd public.rounds;
  t integer;
  e uuid[];
  shown uuid[];
  releasable boolean;
  members_total integer;
  body jsonb;
begin
  if auth.uid() is null then
    raise exception 'sign in first' using errcode = '42501';
  end if;
  select * into rd from public.rounds x where x.id = round and x.deleted_at is null;
  if rd.id is null or public.team_role(rd.team_id) is null then
    raise exception 'no such round' using errcode = 'P0002';
  end if;
  select tm.min_responses into t from public.teams tm where tm.id = rd.team_id;
  t := greatest(t, 3);
  select count(*)::int into members_total from public.memberships m
   where m.team_id = rd.team_id and m.deleted_at is null;

  select coalesce(array_agg(m.owner_id order by m.owner_id), '{}') into e
    from public.memberships m
   where m.team_id = rd.team_id and m.deleted_at is null and m.consent
     and exists (select 1 from public.assessments a
                  where a.owner_id = m.owner_id and a.round_id = rd.id and a.stage = 'completed'
                    and a.deleted_at is null and a.mode = rd.mode
                    and (rd.pillar is null or a.pillar = rd.pillar));

  body := jsonb_build_object('round', rd.id, 'responses', cardinality(e), 'members', members_total,
                             'needed', t, 'pillar', rd.pillar, 'mode', rd.mode);
  if cardinality(e) < t then
    return body || jsonb_build_object('state', 'below_threshold', 'results', null);
  end if;

  select not exists (
           select 1 from public.round_releases p
            where p.round_id = rd.id and p.members <> e
              and (select count(*) from (
                     (select unnest(p.members) except select unnest(e))
                     union all
                     (select unnest(e) except select unnest(p.members))) d) < t)
    into releasable;
  if releasable then
    insert into public.round_releases (round_id, members, members_key)
    values (rd.id, e, sha256(convert_to(array_to_string(e, ','), 'UTF8'))) on conflict do nothing;
    shown := e;
  else
    select p.members into shown from public.round_releases p
     where p.round_id = rd.id and p.members <@ e
     order by p.released_at desc limit 1;
    if shown is null then
      return body || jsonb_build_object('state', 'held_back', 'results', null);
    end if;
  end if;

  return body || jsonb_build_object(
    'state', case when shown = e then 'shown' else 'shown_earlier' end,
    'counted', cardinality(shown),
    'results', (
      with latest as (
        -- Each counted member's latest completed assessment per pillar of the round.
        select distinct on (a.owner_id, a.pillar) a.owner_id, a.pillar, a.results
          from public.assessments a
         where a.owner_id = any (shown) and a.round_id = rd.id and a.stage = 'completed'
           and a.deleted_at is null and a.mode = rd.mode and (rd.pillar is null or a.pillar = rd.pillar)
         order by a.owner_id, a.pillar, a.completed_at desc, a.id
      ),
      scores as (
        select l.pillar, null::text as force, (l.results ->> 'pillar_score')::float8 as score, l.owner_id
          from latest l
        union all
        select l.pillar, f ->> 'force', (f ->> 'score')::float8, l.owner_id
          from latest l, jsonb_array_elements(coalesce(l.results -> 'forces', '[]'::jsonb)) f
      ),
      groups as (
        select s.pillar, s.force, count(s.score) as n, avg(s.score) as mean, stddev_pop(s.score) as sd,
               min(s.score) as lo, max(s.score) as hi,
               jsonb_build_array(
                 count(*) filter (where s.score < 20), count(*) filter (where s.score >= 20 and s.score < 40),
                 count(*) filter (where s.score >= 40 and s.score < 60),
                 count(*) filter (where s.score >= 60 and s.score < 80), count(*) filter (where s.score >= 80))
                 as histogram
          from scores s
         group by s.pillar, s.force
        -- Every number over all of the set, or not at all.
        having count(s.score) = cardinality(shown)
      )
      select coalesce(jsonb_agg(jsonb_build_object(
               'pillar', g.pillar, 'force', g.force, 'n', g.n, 'mean', round(g.mean::numeric, 1),
               'sd', round(g.sd::numeric, 1), 'min', round(g.lo::numeric, 1), 'max', round(g.hi::numeric, 1),
               'histogram', g.histogram) order by g.pillar, g.force nulls first), '[]'::jsonb)
        from groups g));
end;
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- The caller's teams, for the Teams page and Home: role, counts, and open rounds with their response counts.

create or replace function public.my_teams() returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', tm.id, 'name', tm.name, 'description', tm.description, 'min_responses', tm.min_responses,
           'deleted', tm.deleted_at is not null, 'role', m.role, 'consent', m.consent,
           'members', (select count(*) from public.memberships x where x.team_id = tm.id and x.deleted_at is null),
           'open_rounds', (select count(*) from public.rounds r
                            where r.team_id = tm.id and r.deleted_at is null and r.closed_at is null))
           order by tm.name, tm.id), '[]'::jsonb)
    from public.memberships m
    join public.teams tm on tm.id = m.team_id
   where m.owner_id = auth.uid() and m.deleted_at is null;
$$;

-- A team's members: roles for everyone in it; whether each consents only for facilitators (and oneself).
create or replace function public.team_members(team uuid) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me text := public.team_role(team);
begin
  if me is null then
    raise exception 'not a member of this team' using errcode = 'P0002';
  end if;
  return (select coalesce(jsonb_agg(jsonb_build_object(
            'user_id', m.owner_id, 'email', u.email, 'role', m.role, 'joined_at', m.created_at,
            'consent', case when me = 'facilitator' or m.owner_id = auth.uid() then m.consent end)
            order by m.role, u.email), '[]'::jsonb)
            from public.memberships m left join auth.users u on u.id = m.owner_id
           where m.team_id = team and m.deleted_at is null);
end;
$$;

do $$
declare
  f text;
begin
  foreach f in array array[
    'create_team(text, text, integer)', 'update_team(uuid, text, text, integer)', 'delete_team(uuid)',
    'create_invite(uuid, integer, interval)', 'revoke_invite(uuid)', 'join_team(text)', 'leave_team(uuid)',
    'remove_member(uuid, uuid)', 'set_role(uuid, uuid, text)', 'set_consent(uuid, boolean)',
    'start_round(uuid, text, text, timestamptz, text)', 'close_round(uuid)', 'round_results(uuid)',
    'my_teams()', 'team_members(uuid)'] loop
    execute format('revoke all on function public.%s from public, anon', f);
    execute format('grant execute on function public.%s to authenticated', f);
  end loop;
end;
$$;
