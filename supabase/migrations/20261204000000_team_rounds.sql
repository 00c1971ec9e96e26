-- Compilar sync schema, part 3: reading a team's rounds for the app (the Teams and Round pages, Home's
-- "Your team asked…", the heatmap across rounds). Only counts and the aggregates of round_results leave the
-- server; nothing here returns one member's rows.

-- How many consenting current members completed the round (what round_results calls |E|): shown to everyone in
-- the team, as the issue asks ("7 of 12 responded"). Internal: the functions below check the caller first.
create or replace function public.round_responses(rd public.rounds) returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select count(*)::int
    from public.memberships m
   where m.team_id = rd.team_id and m.deleted_at is null and m.consent
     and exists (select 1 from public.assessments a
                  where a.owner_id = m.owner_id and a.round_id = rd.id and a.stage = 'completed'
                    and a.deleted_at is null and a.mode = rd.mode
                    and (rd.pillar is null or a.pillar = rd.pillar));
$$;
revoke all on function public.round_responses(public.rounds) from public, anon, authenticated;

-- A round as the app lists it.
create or replace function public.round_summary(rd public.rounds) returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
           'id', rd.id, 'team_id', rd.team_id, 'team_name', tm.name, 'pillar', rd.pillar, 'mode', rd.mode,
           'message', rd.message, 'due_at', rd.due_at, 'created_at', rd.created_at, 'closed_at', rd.closed_at,
           'responses', public.round_responses(rd),
           'members', (select count(*) from public.memberships x where x.team_id = rd.team_id and x.deleted_at is null),
           'needed', greatest(tm.min_responses, 3))
    from public.teams tm where tm.id = rd.team_id;
$$;
revoke all on function public.round_summary(public.rounds) from public, anon, authenticated;

-- A team's rounds, newest first (at most 200), for any member of the team.
create or replace function public.team_rounds(team uuid) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if public.team_role(team) is null then
    raise exception 'not a member of this team' using errcode = 'P0002';
  end if;
  return (select coalesce(jsonb_agg(public.round_summary(r) order by r.created_at desc, r.id), '[]'::jsonb)
            from (select * from public.rounds x
                   where x.team_id = team and x.deleted_at is null
                   order by x.created_at desc, x.id limit 200) r);
end;
$$;

-- The open rounds of every team the caller is in, newest first (at most 100): Home's "Your team asked…".
create or replace function public.my_open_rounds() returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(public.round_summary(r) order by r.created_at desc, r.id), '[]'::jsonb)
    from (select x.* from public.rounds x
            join public.memberships m on m.team_id = x.team_id and m.owner_id = auth.uid() and m.deleted_at is null
            join public.teams tm on tm.id = x.team_id and tm.deleted_at is null
           where x.deleted_at is null and x.closed_at is null
           order by x.created_at desc, x.id limit 100) r;
$$;

-- The results of a team's latest rounds (1 to 50, default 20), oldest first: the heatmap and the trends. Each
-- is exactly what round_results answers for that round (same threshold, same rule against subtraction), with
-- the round's dates.
create or replace function public.team_results(team uuid, last integer default 20) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  rd public.rounds;
  out jsonb := '[]'::jsonb;
begin
  if public.team_role(team) is null then
    raise exception 'not a member of this team' using errcode = 'P0002';
  end if;
  if last is null or last not between 1 and 50 then
    raise exception 'ask for 1 to 50 rounds' using errcode = '22023';
  end if;
  for rd in select * from (select * from public.rounds x
                            where x.team_id = team and x.deleted_at is null
                            order by x.created_at desc, x.id limit last) r
            order by r.created_at, r.id loop
    out := out || jsonb_build_array(public.round_results(rd.id)
             || jsonb_build_object('created_at', rd.created_at, 'closed_at', rd.closed_at,
                                   'message', rd.message));
  end loop;
  return out;
end;
$$;

do $$
declare
  f text;
begin
  foreach f in array array['team_rounds(uuid)', 'my_open_rounds()', 'team_results(uuid, integer)'] loop
    execute format('revoke all on function public.%s from public, anon', f);
    execute format('grant execute on function public.%s to authenticated', f);
  end loop;
end;
$$;
