-- Sessions that Supabase Auth itself ended (issue 13, "Accounts and sessions").
--
-- `public.revoked_sessions` holds the sessions signed out through POST /auth/logout. Supabase
-- Auth also ends sessions on its own: refresh-token reuse outside the reuse interval (v2
-- tokens: the session row is deleted, `LogoutSession`; v1 tokens: every refresh token of the
-- session is revoked, `RevokeTokenFamily`), an admin's or another device's sign-out, a user's
-- deletion. Their access tokens stay valid JWTs until `exp`; GoTrue itself refuses them
-- (`session_not_found`), and so do the routes that spend money or change data, through this
-- function. Source: https://github.com/supabase/auth/blob/master/internal/tokens/service.go
-- (RefreshTokenGrant), internal/models/refresh_token.go (RevokeTokenFamily),
-- internal/models/sessions.go (LogoutSession), migrations/20251007112900 (refresh_token_counter).
--
-- The app's role has no grants on the `auth` schema: the function reads it as its owner
-- (security definer, empty search_path) and answers one boolean about one session.

create or replace function public.session_is_active(p_session_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from auth.sessions s
    where s.id = p_session_id
      and (s.not_after is null or s.not_after > now())
      and (
        s.refresh_token_counter is not null  -- v2 refresh tokens: no rows in refresh_tokens
        or exists (
          select 1 from auth.refresh_tokens t where t.session_id = s.id and not t.revoked
        )
      )
  );
$$;
comment on function public.session_is_active(uuid) is
  'Whether Supabase Auth still holds this session (not signed out, not ended by token reuse).';

revoke all on function public.session_is_active(uuid) from public, anon, authenticated;
grant execute on function public.session_is_active(uuid) to videogen_app;
