-- An invite makes a teacher, or (for a new school's first admin, or a deputy) a school
-- admin of the invite's school. Operators invite into any school; a school admin into theirs.
alter table public.teacher_invites add column if not exists role text not null default 'teacher'
  check (role in ('teacher', 'admin'));
comment on column public.teacher_invites.role is
  'What the invited account becomes in the school: teacher or admin (the school''s admin).';

alter table public.pending_enrolments drop constraint if exists pending_enrolments_role_check;
alter table public.pending_enrolments add constraint pending_enrolments_role_check
  check (role in ('student', 'teacher', 'admin'));
