-- Profiles: one row per auth user, created by a trigger on auth.users (the standard
-- Supabase pattern), holding what the app authorizes on: role and quota.

create table public.role_quotas (
  role text primary key check (role in ('student', 'teacher', 'admin')),
  daily_quota integer not null check (daily_quota >= 0)
);
comment on table public.role_quotas is 'Default daily generation quota per role.';

insert into public.role_quotas (role, daily_quota) values
  ('student', 5),
  ('teacher', 20),
  ('admin', 100);

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  display_name text not null default '' check (char_length(display_name) <= 100),
  role text not null default 'student' references public.role_quotas (role),
  daily_quota integer check (daily_quota is null or daily_quota >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on column public.profiles.daily_quota is
  'Per-user override of the role''s daily quota; null means the role default.';

alter table public.profiles enable row level security;

create policy "Users read their own profile"
  on public.profiles for select
  to authenticated
  using ((select auth.uid()) = id);

-- Role and quota are authorization data: no update policy, changes go through the API.

create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email, display_name)
  values (
    new.id,
    coalesce(new.email, ''),
    left(coalesce(new.raw_user_meta_data ->> 'display_name', ''), 100)
  );
  return new;
end;
$$;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute procedure public.handle_new_user();

create or replace function public.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.profiles
    where id = (select auth.uid()) and role = 'admin'
  );
$$;
