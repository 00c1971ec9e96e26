-- Teams: membership, invitations (expiry, revocation, single use, guessing limit), the last facilitator,
-- consent, rounds and the anonymity rule of round_results (threshold, subtraction, withdrawal), and that a
-- facilitator never reads a member's own rows. Run with pg_prove (see tests/sync.rs).
begin;
create extension if not exists pgtap;
select plan(62);

insert into auth.users (id, email)
select ('00000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, 'user' || n || '@example.test'
  from generate_series(0, 7) n;
-- 00: the facilitator, 01–06: members, 07: an outsider.
create function pg_temp.u(n int) returns uuid language sql as $$
  select ('00000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid $$;
create function pg_temp.act_as(n int) returns void language sql as $$
  select set_config('request.jwt.claims', json_build_object('sub', pg_temp.u(n), 'role', 'authenticated')::text, true)
$$;
-- A completed assessment of the round's pillar (Diverse Expression, the bank's 12 questions), pushed by the
-- member through the sync RPC with its answers: Voice Safety's items answered so that the force scores
-- 25 × (a - 1), the three other forces' so that each scores 25 × (b - 1). The results the app sends claim 100
-- everywhere: the server must score the answers and never read them.
create table pg_temp.bank as select id, pillar, force, reverse from public.framework_questions;
grant select on pg_temp.bank to authenticated;
create function pg_temp.complete(n int, round uuid, a int, b int) returns jsonb language sql as $$
  with q as (
    select id, force, reverse, case when force = 'voice_safety' then a else b end as v
      from pg_temp.bank where pillar = 'divsexp'
  ), ass as (select gen_random_uuid() as id)
  select public.push_changes(gen_random_uuid(), 'dev-' || n, jsonb_build_object(
    'assessments', jsonb_build_array(jsonb_build_object('id', ass.id, 'pillar', 'divsexp', 'mode', 'egalitarian',
      'stage', 'completed', 'question_ids', (select jsonb_agg(q.id order by q.id) from q), 'answered', 12,
      'total', 12, 'bank_version', 1, 'round_id', round,
      'results', jsonb_build_object('pillar', 'divsexp', 'pillar_score', 100, 'forces',
        (select jsonb_agg(jsonb_build_object('force', f, 'score', 100))
           from unnest(array['voice_safety', 'change_capacity', 'decision_speed', 'norm_pressure']) f)),
      'completed_at', clock_timestamp(), 'created_at', now(), 'client_updated_at', now(),
      'updated_by_device', 'dev-' || n)),
    'answers', (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'assessment_id', ass.id,
      'question_id', q.id, 'value', case when q.reverse then 6 - q.v else q.v end, 'created_at', now(),
      'client_updated_at', now(), 'updated_by_device', 'dev-' || n)) from q)))
  from ass
$$;
create function pg_temp.join_as(n int, code text) returns uuid language plpgsql as $$
begin perform pg_temp.act_as(n); return public.join_team(code); end $$;
create function pg_temp.consent_as(n int, team uuid, yes boolean) returns boolean language plpgsql as $$
begin perform pg_temp.act_as(n); perform public.set_consent(team, yes); return yes; end $$;
create function pg_temp.complete_as(n int, round uuid, a int, b int) returns jsonb language plpgsql as $$
begin perform pg_temp.act_as(n); return pg_temp.complete(n, round, a, b); end $$;

set local role authenticated;

-- A team and its facilitator.
select pg_temp.act_as(0);
select public.create_team('Product team', 'The six of us') as team \gset
select is(public.my_teams() -> 0 ->> 'role', 'facilitator', 'the creator facilitates the team');
select is((public.my_teams() -> 0 ->> 'min_responses')::int, 5, 'the threshold defaults to 5');
select throws_ok(format($$ select public.update_team(%L, null, null, 2) $$, :'team'), '23514', null,
  'the threshold is never below 3');
select public.create_invite(:'team') ->> 'code' as code \gset
select public.create_invite(:'team', 1) ->> 'code' as once \gset
select public.create_invite(:'team') as revoked_inv \gset
select (:'revoked_inv'::jsonb) ->> 'code' as revoked_code, (:'revoked_inv'::jsonb) ->> 'id' as revoked_id \gset
select lives_ok(format($$ select public.revoke_invite(%L) $$, :'revoked_id'), 'a facilitator revokes an invitation');
select throws_ok(format($$ select public.create_invite(%L, null, interval '1 year') $$, :'team'), '22023', null,
  'an invitation lasts at most 90 days');

-- Nobody writes themselves into a team.
select pg_temp.act_as(7);
select throws_ok(format($$ insert into public.memberships (id, team_id, role, consent, created_at, client_updated_at,
  updated_by_device) values (gen_random_uuid(), %L, 'facilitator', true, now(), now(), 'x') $$, :'team'),
  '42501', null, 'a plain insert of a membership is refused');
select is((public.push_changes(gen_random_uuid(), 'x', jsonb_build_object('memberships', jsonb_build_array(
  jsonb_build_object('id', gen_random_uuid(), 'team_id', :'team', 'role', 'facilitator', 'created_at', now(),
    'client_updated_at', now(), 'updated_by_device', 'x')))) -> 'rejected' -> 0 ->> 'code'), '42501',
  'and through push_changes it is rejected');
select throws_ok($$ select count(*) from public.teams $$, '42501', null, 'an outsider reads no team table');
select throws_ok(format($$ select public.team_members(%L) $$, :'team'), 'P0002', null,
  'nor its member list');

-- Codes: wrong ones count towards a limit; revoked, used up and expired ones do not work.
select is(public.join_team('NOPE-NOPE'), null, 'a wrong code joins nothing');
select is(public.join_team(:'revoked_code'), null, 'nor a revoked one');
select is((select count(*)::int from generate_series(1, 8) g where public.join_team('WRONG' || g) is null), 8,
  'eight more wrong codes');
select throws_ok($$ select public.join_team('WRONG11') $$, 'PT429', null,
  'after ten wrong codes in ten minutes, guessing stops');
select throws_ok(format($$ select public.join_team(%L) $$, :'code'), 'PT429', null,
  'even with a right code, until the wait is over');

select pg_temp.act_as(1);
select is(public.join_team(lower(:'once')), :'team'::uuid, 'a single-use code works once (in any case)');
select pg_temp.act_as(2);
select is(public.join_team(:'once'), null, 'and not twice');
select is((select count(*)::int from generate_series(2, 6) n where pg_temp.join_as(n, :'code') = :'team'::uuid), 5,
  'five more join with the team code');
select pg_temp.act_as(2);
select is(jsonb_array_length(public.team_members(:'team')), 7, 'a member sees the seven members');
select ok((select bool_and(m ->> 'consent' is null) from jsonb_array_elements(public.team_members(:'team')) m
            where m ->> 'user_id' <> pg_temp.u(2)::text), 'but not whether the others consent');
select throws_ok($$ select count(*) from public.memberships $$, '42501', null,
  'nor through the memberships table');
select pg_temp.act_as(0);
select is((select count(*)::int from jsonb_array_elements(public.team_members(:'team')) m where m ? 'consent' and m ->> 'consent' is not null), 7,
  'which the facilitator reads, consent included');
reset role;
update public.team_invites set expires_at = now() - interval '1 second' where team_id = :'team';
set local role authenticated;
select pg_temp.act_as(6);
select public.leave_team(:'team');
select is(public.join_team(:'code'), null, 'an expired code joins nothing');
select pg_temp.act_as(0);
reset role;
update public.team_invites set expires_at = now() + interval '1 day' where team_id = :'team' and revoked_at is null;
set local role authenticated;
select pg_temp.act_as(6);
select is(public.join_team(:'code'), :'team'::uuid, 'a member who left joins again with a valid code');

-- Open invitations, for facilitators: the multi-use code only (the single-use one is used up, one revoked).
select throws_ok(format($$ select public.open_invites(%L) $$, :'team'), '42501', null,
  'a member cannot list the invitations');
select pg_temp.act_as(7);
select throws_ok(format($$ select public.open_invites(%L) $$, :'team'), '42501', null, 'nor can an outsider');
select pg_temp.act_as(0);
select is(jsonb_array_length(public.open_invites(:'team')), 1,
  'a facilitator lists the open invitations: not the used-up or revoked ones');
select is((select array_agg(k order by k) from jsonb_object_keys(public.open_invites(:'team') -> 0) k),
  array['created_at', 'expires_at', 'id', 'made_by', 'made_by_me', 'team_id', 'uses_left'],
  'with when, by whom and how many uses are left, never a code or its hash');
select public.revoke_invite((public.open_invites(:'team') -> 0 ->> 'id')::uuid);
select is(jsonb_array_length(public.open_invites(:'team')), 0, 'a listed invitation revoked leaves the list');

-- The last facilitator.
select pg_temp.act_as(0);
select throws_ok(format($$ select public.leave_team(%L) $$, :'team'), '23514', null,
  'the last facilitator cannot leave');
select throws_ok(format($$ select public.set_role(%L, %L, 'member') $$, :'team', pg_temp.u(0)), '23514', null,
  'nor be made a member');
select lives_ok(format($$ select public.set_role(%L, %L, 'facilitator') $$, :'team', pg_temp.u(1)),
  'a second facilitator');
select lives_ok(format($$ select public.set_role(%L, %L, 'member') $$, :'team', pg_temp.u(1)),
  'who can be made a member again while another facilitates');
select pg_temp.act_as(1);
select throws_ok(format($$ select public.start_round(%L, 'egalitarian', 'divsexp') $$, :'team'), '42501', null,
  'a member cannot start a round');

-- A round; members answer; consent decides who counts.
select pg_temp.act_as(0);
select public.start_round(:'team', 'egalitarian', 'divsexp', null, 'How do we share ideas?') as round \gset
select is((select count(*)::int from generate_series(1, 5) n
            where pg_temp.complete_as(n, :'round', n, 3) ->> 'applied' = '13'), 5,
  'five members complete the round');
select pg_temp.act_as(0);
select is(public.round_results(:'round') ->> 'state', 'below_threshold', 'without consent nobody counts');
select is((public.round_results(:'round') ->> 'responses')::int, 0, '0 responses counted');
select is((select count(*)::int from generate_series(1, 4) n where pg_temp.consent_as(n, :'team', true)), 4,
  'four consent');
select pg_temp.act_as(0);
select is(public.round_results(:'round') - 'round' - 'pillar' - 'mode' - 'created_at' - 'message',
  '{"state": "below_threshold", "results": null, "responses": 4, "members": 7, "needed": 5, "number": 1,
    "counted": null, "release": null, "closed_at": null}'::jsonb,
  '4 of 5 needed: no figures');
select pg_temp.act_as(5);
select public.set_consent(:'team', true);
select pg_temp.act_as(0);
select public.round_results(:'round') as at5 \gset
select is(:'at5'::jsonb ->> 'state', 'shown', 'at the threshold the results are shown');
select is((select g -> 'mean' from jsonb_array_elements(:'at5'::jsonb -> 'results') g where g ->> 'force' is null),
  '50'::jsonb, 'the pillar mean, scored from the answers (37.5, 43.75, 50, 56.25, 62.5), not from the results sent');
select is((select g - 'pillar' - 'force' from jsonb_array_elements(:'at5'::jsonb -> 'results') g where g ->> 'force' = 'voice_safety'),
  '{"n": 5, "mean": 50, "sd": 35, "histogram": [1, 1, 1, 1, 1]}'::jsonb,
  'voice safety (0, 25, 50, 75, 100): people, whole points, five bands, never a minimum or maximum');
select ok(position(pg_temp.u(3)::text in :'at5') = 0, 'the results name nobody');

-- Listing rounds: counts for every member, figures only through round_results.
select pg_temp.act_as(2);
select is((public.team_rounds(:'team') -> 0) - 'created_at' - 'id' - 'team_id',
  '{"team_name": "Product team", "number": 1, "pillar": "divsexp", "mode": "egalitarian", "message": "How do we share ideas?",
    "due_at": null, "closed_at": null, "responses": 5, "members": 7, "needed": 5}'::jsonb,
  'a member lists the round with its response count');
select is(public.my_open_rounds() -> 0 ->> 'id', :'round', 'and sees it among their open rounds');
select pg_temp.act_as(7);
select throws_ok(format($$ select public.team_rounds(%L) $$, :'team'), 'P0002', null,
  'an outsider lists no round of the team');
select is(jsonb_array_length(public.my_open_rounds()), 0, 'and has no open round');
select throws_ok(format($$ select public.team_results(%L) $$, :'team'), 'P0002', null,
  'nor reads the team results');
select pg_temp.act_as(0);
select is(public.team_results(:'team') -> 0 -> 'results', :'at5'::jsonb -> 'results',
  'the results across rounds are those of round_results');
select throws_ok(format($$ select public.team_results(%L, 51) $$, :'team'), '22023', null,
  'at most 50 rounds at once');

-- The facilitator never reads a member's own rows.
select throws_ok($$ select count(*) from public.assessments $$, '42501', null,
  'a facilitator reads no member assessment');
select throws_ok($$ select count(*) from public.answers $$, '42501', null, 'nor any answer');
select is(json_array_length(public.pull_changes('assessments') -> 'rows'), 0, 'nor pulls any');

-- Subtraction: one more response does not change a figure; one fewer hides them.
select pg_temp.act_as(6);
select pg_temp.complete(6, :'round', 1, 1);
select public.set_consent(:'team', true);
select pg_temp.act_as(0);
select public.round_results(:'round') as at6 \gset
select is(:'at6'::jsonb ->> 'state', 'shown_earlier', 'a sixth response is held back (5 - 6 would isolate it)');
select is(:'at6'::jsonb -> 'results', :'at5'::jsonb -> 'results', 'the figures are those of the five');
select is((:'at6'::jsonb ->> 'responses')::int, 6, 'while the count says 6 responded');
select pg_temp.act_as(5);
select public.set_consent(:'team', false);
select pg_temp.act_as(0);
select is(public.round_results(:'round') ->> 'state', 'held_back',
  'after a withdrawal no shown set is left without them: no figures');
select is(public.round_results(:'round') -> 'results', 'null'::jsonb, 'the withdrawn contribution is gone');

-- A closed round is no longer open.
select public.close_round(:'round');
select pg_temp.act_as(2);
select is(jsonb_array_length(public.my_open_rounds()), 0, 'a closed round leaves the open rounds');
select isnt(public.team_rounds(:'team') -> 0 ->> 'closed_at', null, 'and is listed as closed');
select pg_temp.act_as(0);

-- Deleting the team leaves everyone's own data.
select public.delete_team(:'team');
select pg_temp.act_as(3);
select is(public.my_teams() -> 0 ->> 'deleted', 'true', 'a member sees the team as deleted');
select is(json_array_length(public.pull_changes('assessments') -> 'rows'), 1,
  'and keeps their own assessment of its round');
select throws_ok(format($$ select public.round_results(%L) $$, :'round'), 'P0002', null,
  'the deleted round has no results');

select * from finish();
rollback;
