-- Admin actions on stuck jobs (issue 14, "Day two"): POST /admin/jobs/{id}/fail and
-- POST /admin/jobs/{id}/recheck instead of hand-written SQL (docs/architecture.md, "Admin").
--
-- 1. jobs.error_code: why a job failed, for machines. Set to `failed_by_admin` when an
--    admin fails a job (its `error` is then the admin's reason); null for other failures.
-- 2. job_admin_actions: who did what to which job, when and why, appended with the change
--    it records (in its transaction). Kept when the admin's account is erased (admin_id set
--    null) and never changed afterwards; jobs are never deleted, so neither are these rows.

alter table public.jobs add column if not exists error_code text;

create table if not exists public.job_admin_actions (
  id bigint generated always as identity primary key,
  job_id uuid not null references public.jobs (id),
  admin_id uuid references auth.users (id) on delete set null,
  action text not null check (action in ('fail', 'recheck')),
  reason text check (reason is null or char_length(reason) between 1 and 500),
  outcome text not null,
  -- what fal answered: the cancel (fail) or the queue status (recheck); null if not asked
  fal_answer text,
  created_at timestamptz not null default now(),
  constraint job_admin_actions_fail_has_reason check (action <> 'fail' or reason is not null)
);
create index if not exists job_admin_actions_job_idx
  on public.job_admin_actions (job_id, created_at desc);
comment on table public.job_admin_actions is
  'Admin actions on jobs (fail with a reason and refund, re-check at fal): the audit trail.';

alter table public.job_admin_actions enable row level security;
-- Nothing for the Data API roles (20261126000100's default privileges already give them
-- nothing on new tables; said again so that this file stands on its own).
revoke all on public.job_admin_actions from anon, authenticated;

-- videogen_app appends actions and reads them back (an admin's replayed request answers
-- with the action it already recorded); it never rewrites or deletes one.
grant select, insert on public.job_admin_actions to videogen_app;
create policy "The app records and reads admin actions on jobs" on public.job_admin_actions
  for select to videogen_app using (true);
create policy "The app appends admin actions on jobs" on public.job_admin_actions
  for insert to videogen_app with check (true);
