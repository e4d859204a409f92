-- Webhooks answer at once; the video is copied out of band (docs/architecture.md).
--
-- `finishing`: fal said OK; a copy task is queued and the copy worker completes the job.
-- `result_url`: the video fal made (null when fal's delivery could not carry the payload:
--   the worker then fetches the result from fal's queue).
-- `cancel_requested_at`: the user asked to cancel; the quota comes back only once fal
--   confirms nothing ran (https://fal.ai/docs/documentation/model-apis/inference/queue).
-- `submit_unconfirmed_at`: our submit may have reached fal but its answer was lost; the
--   webhook (its URL names the job) binds the request, and nothing is submitted twice.
-- `reconcile_attempts`, `last_checked_at`: reconciliation checks the least recently
--   checked jobs first and gives up on a job after a bounded number of checks.

alter table public.jobs drop constraint jobs_status_check;
alter table public.jobs add constraint jobs_status_check check (
  status in ('queued', 'submitted', 'in_progress', 'finishing', 'completed', 'failed', 'cancelled')
);

alter table public.jobs
  add column result_url text,
  add column cancel_requested_at timestamptz,
  add column submit_unconfirmed_at timestamptz,
  add column reconcile_attempts integer not null default 0 check (reconcile_attempts >= 0),
  add column last_checked_at timestamptz;

drop index public.jobs_unfinished_idx;
create index jobs_unfinished_idx on public.jobs (last_checked_at nulls first, created_at)
  where status in ('queued', 'submitted', 'in_progress', 'finishing');
