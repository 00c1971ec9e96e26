-- Compilar sync schema, part 4: a team's open invitations for its facilitators, so one made last week can still
-- be stopped (revoke_invite). The codes themselves are never stored (only their SHA-256) and never listed: a
-- facilitator sees when each was made, by whom (themself or another facilitator), until when it works and how
-- many uses it has left.

create or replace function public.open_invites(team uuid) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform public.require_facilitator(team);
  return (select coalesce(jsonb_agg(jsonb_build_object(
                   'id', i.id, 'team_id', i.team_id, 'created_at', i.created_at, 'expires_at', i.expires_at,
                   'uses_left', i.uses_left, 'made_by_me', i.created_by = auth.uid(),
                   'made_by', (select u.email from auth.users u where u.id = i.created_by))
                 order by i.created_at desc, i.id), '[]'::jsonb)
            from public.team_invites i
           where i.team_id = team and i.revoked_at is null and i.expires_at > now()
             and (i.uses_left is null or i.uses_left > 0));
end;
$$;

revoke all on function public.open_invites(uuid) from public, anon;
grant execute on function public.open_invites(uuid) to authenticated;
