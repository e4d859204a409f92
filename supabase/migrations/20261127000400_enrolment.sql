-- Enrolment at registration (issue 15): what a new account becomes when it is created.
--
-- `POST /auth/register` checks what the request brings (a class's join code, a school
-- admin's teacher invite, an email domain a school allows, or open sign-up) before it asks
-- the identity service to create the account, and records the outcome here under a SHA-256
-- of the normalised email. The account gets it when the identity service (Supabase Auth, or
-- the local identity) inserts it into auth.users: the trigger below reads and deletes the
-- row. Works with Supabase email confirmation on or off (the auth.users row is created at
-- sign-up) and locally; an email that already has an account inserts nothing, so the row
-- just expires and registration answers the same for every email.

create table if not exists public.pending_enrolments (
  -- encode(sha256(convert_to(lower(trim(email)), 'UTF8')), 'hex'): no extension needed
  email_sha256 text primary key check (email_sha256 ~ '^[0-9a-f]{64}$'),
  school_id uuid not null references public.schools (id) on delete cascade,
  class_id uuid references public.classes (id) on delete cascade,
  role text not null check (role in ('student', 'teacher')),
  invite_id uuid references public.teacher_invites (id) on delete cascade,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index if not exists pending_enrolments_expires_idx
  on public.pending_enrolments (expires_at);
comment on table public.pending_enrolments is
  'What registration decided for an email, applied by handle_new_user when the account is made.';

alter table public.pending_enrolments enable row level security;
revoke all on public.pending_enrolments from anon, authenticated;
grant select, insert, update, delete on public.pending_enrolments to videogen_app;
create policy "The app records pending enrolments" on public.pending_enrolments
  for all to videogen_app using (true) with check (true);

-- The account's profile, with its school, role and class from the pending enrolment (none:
-- no school, a student). Expired rows are ignored and purged. A teacher invite consumed at
-- registration (the app set its used_at) records who used it.
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  pending public.pending_enrolments%rowtype;
begin
  delete from public.pending_enrolments where expires_at <= now();
  delete from public.pending_enrolments
  where email_sha256 = encode(sha256(convert_to(lower(trim(coalesce(new.email, ''))), 'UTF8')), 'hex')
  returning * into pending;

  insert into public.profiles (id, email, display_name, school_id, role)
  values (
    new.id,
    coalesce(new.email, ''),
    left(coalesce(new.raw_user_meta_data ->> 'display_name', ''), 100),
    pending.school_id,
    coalesce(pending.role, 'student')
  );
  if pending.class_id is not null then
    insert into public.class_members (class_id, user_id, role)
    values (pending.class_id, new.id, 'student')
    on conflict do nothing;
  end if;
  if pending.invite_id is not null then
    update public.teacher_invites set used_by = new.id where id = pending.invite_id;
  end if;
  return new;
end;
$$;
