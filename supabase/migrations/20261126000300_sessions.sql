-- Signed-out sessions (issue 13, "Accounts and sessions").
--
-- Signing out revokes a session's refresh tokens in Supabase Auth, but its access token (a
-- JWT) stays valid until it expires. The app's role has no grants on the `auth` schema
-- (20261126000100_least_privilege.sql), so POST /auth/logout records the session here and
-- the routes that spend money or change data refuse its token (videogen/auth/sessions.py).
-- A row is useless once `expires_at` (the access token's `exp`) has passed; each logout
-- deletes a batch of those.

create table if not exists public.revoked_sessions (
  session_id uuid primary key,
  user_id uuid not null,
  revoked_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index if not exists revoked_sessions_expires_at_idx
  on public.revoked_sessions (expires_at);
comment on table public.revoked_sessions is
  'Sessions signed out through POST /auth/logout; their access tokens are refused until exp.';

alter table public.revoked_sessions enable row level security;
-- Nothing for the Data API roles (no policy for them either): only the backend reads it.
revoke all on public.revoked_sessions from anon, authenticated;

grant select, insert, delete on public.revoked_sessions to videogen_app;
create policy "The app records, checks and purges signed-out sessions"
  on public.revoked_sessions
  for all to videogen_app using (true) with check (true);
