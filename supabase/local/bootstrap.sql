-- Local-only stand-ins for what a Supabase project already has, so the migrations in
-- supabase/migrations apply unchanged to Supabase and to a plain (embedded) Postgres.
-- Never run this against Supabase: it owns these objects there.
-- Idempotent: safe on every start.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

-- Supabase grants the API roles everything on what `postgres` creates in public, once, when
-- the project is made. Here too only once per database (while `auth` does not exist yet):
-- on later starts the migrations have revoked them (20261126000100_least_privilege.sql),
-- and granting them again would undo that for every table created afterwards.
do $$
begin
  if not exists (select 1 from pg_namespace where nspname = 'auth') then
    alter default privileges in schema public
      grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public
      grant all on functions to anon, authenticated, service_role;
    alter default privileges in schema public
      grant all on sequences to anon, authenticated, service_role;
  end if;
end
$$;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;

-- The columns of Supabase's auth.users that this project (and its local identity store) uses.
create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_anonymous boolean not null default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create unique index if not exists users_email_partial_key on auth.users (email);

create table if not exists auth.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  not_after timestamptz,
  -- v2 refresh tokens (GoTrue migration 20251007112900): the last issued counter
  refresh_token_counter bigint
);
alter table auth.sessions add column if not exists refresh_token_counter bigint;

-- Supabase keeps refresh tokens here; the local store keeps only their SHA-256.
create table if not exists auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);

-- Same definitions as Supabase's: the claims come from the PostgREST request settings.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;


-- What Supabase Auth (GoTrue) writes as `supabase_auth_admin`, which owns `auth` there. The
-- local identity store (videogen.auth.local_identity) stands in for GoTrue, so the local
-- login (videogen.local.postgres.APP_LOGIN) is a member of this role and of videogen_app;
-- production's login is a member of videogen_app only and never touches `auth`.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin nologin noinherit;
  end if;
end
$$;
grant usage on schema auth to supabase_auth_admin;
grant select, insert, update, delete on auth.users to supabase_auth_admin;
grant select, insert, delete on auth.sessions to supabase_auth_admin;
grant select, insert, update on auth.refresh_tokens to supabase_auth_admin;
grant usage on sequence auth.refresh_tokens_id_seq to supabase_auth_admin;
