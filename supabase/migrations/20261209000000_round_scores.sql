-- Compilar sync schema, part 6: each round assessment's score kept, so a release of team figures adds up stored
-- scores instead of scoring every member's answers again.
--
-- round_scores holds, for every completed, live assessment taken in a round, exactly the rows
-- assessment_scores(array[id]) returns (one per force of the pillar and one with force null for the pillar; none
-- when the server cannot score it). It is written only here, by triggers that fire after every statement that
-- changes what a score is computed from: the assessment itself, its answers, and its owner's fresh questions.
-- (The framework's own tables change only in migrations; a migration that changes them ends with
-- `select public.rescore_rounds();`.) No API role can read or write it.

create table public.round_scores (
  assessment_id uuid not null references public.assessments (id) on delete cascade,
  owner_id uuid not null,
  pillar text not null,
  force text,
  score double precision
);
create index round_scores_by_assessment on public.round_scores (assessment_id);
alter table public.round_scores enable row level security;
-- (No policy: only the project's security-definer functions read it.)
revoke all on public.round_scores from public, anon, authenticated;

-- Scores `ids` again: their stored rows are replaced by what assessment_scores gives now (or removed, for one
-- that is no longer a completed, live round assessment).
create or replace function public.rescore(ids uuid[]) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if cardinality(ids) is null or cardinality(ids) = 0 then
    return;
  end if;
  delete from public.round_scores s where s.assessment_id = any (ids);
  insert into public.round_scores (assessment_id, owner_id, pillar, force, score)
  select s.assessment_id, s.owner_id, s.pillar, s.force, s.score
    from public.assessment_scores(array(
           select a.id from public.assessments a
            where a.id = any (ids) and a.round_id is not null and a.stage = 'completed' and a.deleted_at is null)) s;
end;
$$;

-- Every round assessment scored again (after a migration that changes the framework's tables).
create or replace function public.rescore_rounds() returns void
language sql
security definer
set search_path = ''
as $$
  select public.rescore(array(select a.id from public.assessments a where a.round_id is not null));
$$;

-- The assessments a statement touched that are, or were, round assessments: only those have stored scores.
-- (A push of a person's own assessments outside any round costs one lookup per assessment.)
create or replace function public.scores_after_assessments() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform public.rescore(array(select c.id from changed c where c.round_id is not null));
  else
    perform public.rescore(array(
      select c.id from changed c where c.round_id is not null
      union
      select g.id from gone g where g.round_id is not null));
  end if;
  return null;
end;
$$;

create or replace function public.scores_after_answers() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform public.rescore(array(
      select a.id from public.assessments a
       where a.id in (select c.assessment_id from changed c) and a.round_id is not null));
  elsif tg_op = 'UPDATE' then
    perform public.rescore(array(
      select a.id from public.assessments a
       where a.id in (select c.assessment_id from changed c union select g.assessment_id from gone g)
         and a.round_id is not null));
  else
    -- (Answers go with their assessment when an account goes; the stored rows went with it.)
    perform public.rescore(array(
      select a.id from public.assessments a
       where a.id in (select g.assessment_id from gone g) and a.round_id is not null));
  end if;
  return null;
end;
$$;

-- A fresh question's force or direction changes every round assessment of its owner that asked it.
create or replace function public.scores_after_generated_questions() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform public.rescore(array(
      select a.id from public.assessments a
       where a.round_id is not null and a.owner_id in (select c.owner_id from changed c)));
  elsif tg_op = 'UPDATE' then
    perform public.rescore(array(
      select a.id from public.assessments a
       where a.round_id is not null
         and a.owner_id in (select c.owner_id from changed c union select g.owner_id from gone g)));
  else
    perform public.rescore(array(
      select a.id from public.assessments a
       where a.round_id is not null and a.owner_id in (select g.owner_id from gone g)));
  end if;
  return null;
end;
$$;

-- (PostgreSQL allows a transition table only on a trigger for one event: one trigger per event.)
create trigger round_scores_insert after insert on public.assessments
  referencing new table as changed for each statement execute function public.scores_after_assessments();
create trigger round_scores_update after update on public.assessments
  referencing old table as gone new table as changed
  for each statement execute function public.scores_after_assessments();
create trigger round_scores_insert after insert on public.answers
  referencing new table as changed for each statement execute function public.scores_after_answers();
create trigger round_scores_update after update on public.answers
  referencing old table as gone new table as changed
  for each statement execute function public.scores_after_answers();
create trigger round_scores_delete after delete on public.answers
  referencing old table as gone for each statement execute function public.scores_after_answers();
create trigger round_scores_insert after insert on public.generated_questions
  referencing new table as changed for each statement execute function public.scores_after_generated_questions();
create trigger round_scores_update after update on public.generated_questions
  referencing old table as gone new table as changed
  for each statement execute function public.scores_after_generated_questions();
create trigger round_scores_delete after delete on public.generated_questions
  referencing old table as gone for each statement execute function public.scores_after_generated_questions();

revoke all on function public.rescore(uuid[]) from public, anon, authenticated;
revoke all on function public.rescore_rounds() from public, anon, authenticated;
revoke all on function public.scores_after_assessments() from public, anon, authenticated;
revoke all on function public.scores_after_answers() from public, anon, authenticated;
revoke all on function public.scores_after_generated_questions() from public, anon, authenticated;

-- A release candidate (as in part 5), from the stored scores.
create or replace function public.round_candidate(rd public.rounds, members uuid[], out scorable uuid[],
                                                  out figures jsonb)
language sql
stable
security definer
set search_path = ''
as $$
  with scores as materialized (
    -- (round_assessments gives only the members' own assessments of this round.)
    select s.owner_id, s.pillar, s.force, s.score from public.round_scores s
     where s.assessment_id = any (public.round_assessments(rd, members))
  ),
  ok as (
    select s.owner_id from scores s where s.force is null group by s.owner_id
    having count(*) = case when rd.pillar is null
                           then (select count(*) from public.framework_pillars fp where fp.mode = rd.mode) else 1 end
  ),
  kept as (
    select s.* from scores s join ok using (owner_id)
  ),
  groups as (
    select s.pillar, s.force, count(s.score) as n, avg(s.score) as mean, stddev_pop(s.score) as sd,
           jsonb_build_array(
             count(*) filter (where s.score < 20), count(*) filter (where s.score >= 20 and s.score < 40),
             count(*) filter (where s.score >= 40 and s.score < 60),
             count(*) filter (where s.score >= 60 and s.score < 80), count(*) filter (where s.score >= 80))
             as histogram
      from kept s
     group by s.pillar, s.force
    having count(s.score) = (select count(*) from ok)
  )
  select (select coalesce(array_agg(o.owner_id order by o.owner_id), '{}') from ok o),
         (select coalesce(jsonb_agg(jsonb_build_object(
                   'pillar', g.pillar, 'force', g.force, 'n', g.n, 'mean', round(g.mean::numeric)::int,
                   'sd', round(g.sd::numeric)::int, 'histogram', g.histogram)
                   order by fp.position, ff.position nulls first), '[]'::jsonb)
            from groups g
            join public.framework_pillars fp on fp.id = g.pillar
            left join public.framework_forces ff on ff.id = g.force);
$$;

-- Who counts in a round (as in part 5: current, consenting members who completed every pillar of the round),
-- found from the round's assessments in one grouping rather than one count per member.
create or replace function public.round_eligible(rd public.rounds) returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(x.owner_id order by x.owner_id), '{}') from (
    select a.owner_id
      from public.assessments a
      join public.memberships m on m.owner_id = a.owner_id and m.team_id = rd.team_id
     where a.round_id = rd.id and a.stage = 'completed' and a.deleted_at is null and a.mode = rd.mode
       and (rd.pillar is null or a.pillar = rd.pillar)
       and m.deleted_at is null and m.consent
     group by a.owner_id
    having count(distinct a.pillar)
           = case when rd.pillar is null
                  then (select count(*) from public.framework_pillars fp where fp.mode = rd.mode) else 1 end) x;
$$;

-- Whatever was there before this migration.
select public.rescore_rounds();
