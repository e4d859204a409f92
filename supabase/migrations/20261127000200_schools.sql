-- Schools and classes (issue 15): the tenancy model, written once here
-- (docs/architecture.md, "Tenancy").
--
-- A deployment serves many schools. Every user belongs to at most one school
-- (`profiles.school_id`; null until they join one: an account made without a join code,
-- an invite or an allowed email domain belongs to no school and may do nothing), and every
-- row that a school owns carries its `school_id`, so each query scopes on one column.
-- Roles (`profiles.role`): `student`, `teacher`, `admin` (the admin of their own school)
-- and `operator` (runs the deployment: sees across schools, belongs to none or to one).
-- Existing users and jobs move into the default school; existing admins become its admins.
--
-- Row-level security, the Supabase way: enabled on every table; the Data API roles
-- (`anon`, `authenticated`) get nothing on the new tables (the API is the only way in, as
-- for the other backend tables); `videogen_app` gets the statements the code runs, through
-- policies written `to videogen_app`.

-- --- Schools -------------------------------------------------------------------------------

create table if not exists public.schools (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  -- budgets' periods and the school's KPI days follow it (issue 16)
  time_zone text not null default 'UTC' check (char_length(time_zone) between 1 and 64),
  -- days a video is kept before the retention function deletes it
  retention_days integer not null default 90 check (retention_days between 1 and 3650),
  -- sign-up without a code from these domains (lower case, no '@'); empty: none
  email_domains text[] not null default '{}',
  -- the school's own prompt filter terms, on top of the built-in list
  blocklist_terms text[] not null default '{}',
  -- models its users may submit to; null: every model in the catalogue
  allowed_models text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.schools is 'Tenants: every user, class, job and event belongs to one.';

-- The default school: where the users and jobs made before schools existed go.
insert into public.schools (id, name)
values ('00000000-0000-0000-0000-000000000001', 'Default school')
on conflict (id) do nothing;

-- --- Roles ---------------------------------------------------------------------------------

alter table public.role_quotas drop constraint if exists role_quotas_role_check;
alter table public.role_quotas add constraint role_quotas_role_check
  check (role in ('student', 'teacher', 'admin', 'operator'));
insert into public.role_quotas (role, daily_quota) values ('operator', 100)
on conflict (role) do nothing;

alter table public.profiles
  add column if not exists school_id uuid references public.schools (id) on delete restrict;
create index if not exists profiles_school_idx on public.profiles (school_id, role);
update public.profiles set school_id = '00000000-0000-0000-0000-000000000001'
where school_id is null and role <> 'operator';

-- --- Classes and their members -------------------------------------------------------------

create table if not exists public.classes (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references public.schools (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100),
  created_by uuid references auth.users (id) on delete set null,
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists classes_school_idx on public.classes (school_id, created_at desc);

-- Teachers and students of a class; a student may be in several classes of their school.
create table if not exists public.class_members (
  class_id uuid not null references public.classes (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('teacher', 'student')),
  joined_at timestamptz not null default now(),
  primary key (class_id, user_id)
);
create index if not exists class_members_user_idx on public.class_members (user_id);

-- A class's join codes: only an HMAC of the normalised code is kept (the code is shown
-- once, to the teacher). Rotating revokes the current code and makes a new one.
create table if not exists public.join_codes (
  id uuid primary key default gen_random_uuid(),
  class_id uuid not null references public.classes (id) on delete cascade,
  code_hash text not null unique check (code_hash ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz not null,
  max_uses integer not null check (max_uses between 1 and 1000),
  uses integer not null default 0,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  constraint join_codes_uses_within_limit check (uses between 0 and max_uses)
);
create index if not exists join_codes_class_idx on public.join_codes (class_id, created_at desc);

-- A school admin invites a teacher: single use, expiring; only an HMAC of the token kept.
create table if not exists public.teacher_invites (
  id uuid primary key default gen_random_uuid(),
  school_id uuid not null references public.schools (id) on delete cascade,
  email text not null check (email = lower(email) and char_length(email) between 3 and 320),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz not null,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  used_at timestamptz,
  used_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz
);
create index if not exists teacher_invites_school_idx
  on public.teacher_invites (school_id, created_at desc);

-- --- Jobs: whose school, which class, hidden by a teacher ----------------------------------

alter table public.jobs
  add column if not exists school_id uuid references public.schools (id) on delete restrict,
  add column if not exists class_id uuid references public.classes (id) on delete set null,
  add column if not exists hidden_at timestamptz,
  add column if not exists hidden_by uuid references auth.users (id) on delete set null,
  add column if not exists hidden_reason text
    check (hidden_reason is null or char_length(hidden_reason) between 1 and 500);
update public.jobs j set school_id = coalesce(
  (select p.school_id from public.profiles p where p.id = j.user_id),
  '00000000-0000-0000-0000-000000000001'
) where j.school_id is null;
create index if not exists jobs_school_created_idx
  on public.jobs (school_id, created_at desc, id desc);
create index if not exists jobs_class_created_idx
  on public.jobs (class_id, created_at desc, id desc) where class_id is not null;

-- --- What happened: the school's activity log and its safety events ------------------------

-- Who did what, when (hide/unhide a video, remove a student, rotate a code, change a
-- setting, invite a teacher…): visible to the school's admins; appended, never changed.
create table if not exists public.school_activity (
  id bigint generated always as identity primary key,
  school_id uuid not null references public.schools (id) on delete cascade,
  actor_id uuid references auth.users (id) on delete set null,
  action text not null check (char_length(action) between 1 and 64),
  subject_type text check (subject_type is null or char_length(subject_type) <= 32),
  subject_id uuid,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index if not exists school_activity_school_idx
  on public.school_activity (school_id, created_at desc, id desc);

-- A refused prompt: costs nothing, seen by the student's teachers and the school's admins,
-- counted in the KPIs. The student's id goes with their account (set null on erasure).
create table if not exists public.safety_events (
  id bigint generated always as identity primary key,
  school_id uuid not null references public.schools (id) on delete cascade,
  class_id uuid references public.classes (id) on delete set null,
  user_id uuid references auth.users (id) on delete set null,
  rule text not null check (char_length(rule) between 1 and 200),
  prompt text not null,
  model text,
  created_at timestamptz not null default now()
);
create index if not exists safety_events_school_idx
  on public.safety_events (school_id, created_at desc, id desc);
create index if not exists safety_events_class_idx
  on public.safety_events (class_id, created_at desc) where class_id is not null;

-- --- Privileges ----------------------------------------------------------------------------

alter table public.schools enable row level security;
alter table public.classes enable row level security;
alter table public.class_members enable row level security;
alter table public.join_codes enable row level security;
alter table public.teacher_invites enable row level security;
alter table public.school_activity enable row level security;
alter table public.safety_events enable row level security;

revoke all on public.schools, public.classes, public.class_members, public.join_codes,
  public.teacher_invites, public.school_activity, public.safety_events
  from anon, authenticated;

grant select, insert, update on public.schools to videogen_app;
grant select, insert, update on public.classes to videogen_app;
grant select, insert, delete on public.class_members to videogen_app;
grant select, insert, update on public.join_codes to videogen_app;
grant select, insert, update on public.teacher_invites to videogen_app;
grant select, insert on public.school_activity to videogen_app;
grant select, insert on public.safety_events to videogen_app;
-- joining a school (join code, invite, allowed domain) sets it
grant update (school_id) on public.profiles to videogen_app;

create policy "The app reads and edits schools" on public.schools
  for all to videogen_app using (true) with check (true);
create policy "The app manages classes" on public.classes
  for all to videogen_app using (true) with check (true);
create policy "The app manages class members" on public.class_members
  for all to videogen_app using (true) with check (true);
create policy "The app manages join codes" on public.join_codes
  for all to videogen_app using (true) with check (true);
create policy "The app manages teacher invites" on public.teacher_invites
  for all to videogen_app using (true) with check (true);
create policy "The app reads the activity log" on public.school_activity
  for select to videogen_app using (true);
create policy "The app appends to the activity log" on public.school_activity
  for insert to videogen_app with check (true);
create policy "The app reads safety events" on public.safety_events
  for select to videogen_app using (true);
create policy "The app records safety events" on public.safety_events
  for insert to videogen_app with check (true);
