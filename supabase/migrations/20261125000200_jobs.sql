-- Generation jobs, their files, the webhook deliveries received, and quota usage.

create table public.jobs (
  id uuid primary key default gen_random_uuid(),
  -- null once the account is deleted (jobs are anonymised, not lost, for KPIs)
  user_id uuid references auth.users (id) on delete set null,
  model text not null,
  prompt text not null,
  params jsonb not null default '{}'::jsonb,
  status text not null default 'queued'
    check (status in ('queued', 'submitted', 'in_progress', 'completed', 'failed', 'cancelled')),
  fal_request_id text unique,
  error text,
  idempotency_key text,
  request_hash text,
  retry_of uuid references public.jobs (id) on delete set null,
  cost_estimate_usd numeric(10, 4),
  created_at timestamptz not null default now(),
  submitted_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  -- what the user waited for: from the hand-over to fal to the final state
  duration_seconds double precision generated always as (
    extract(epoch from (finished_at - coalesce(submitted_at, created_at)))
  ) stored,
  updated_at timestamptz not null default now(),
  constraint jobs_finished_after_created check (finished_at is null or finished_at >= created_at)
);

create index jobs_user_created_idx on public.jobs (user_id, created_at desc, id desc);
create index jobs_created_at_idx on public.jobs (created_at);
create index jobs_unfinished_idx on public.jobs (status, submitted_at)
  where status in ('queued', 'submitted', 'in_progress');
create unique index jobs_idempotency_idx on public.jobs (user_id, idempotency_key)
  where idempotency_key is not null;

alter table public.jobs enable row level security;
create policy "Users read their own jobs"
  on public.jobs for select
  to authenticated
  using ((select auth.uid()) = user_id);
create policy "Admins read all jobs"
  on public.jobs for select
  to authenticated
  using ((select public.is_admin()));

create table public.files (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null unique references public.jobs (id) on delete cascade,
  user_id uuid references auth.users (id) on delete set null,
  bucket text not null,
  object_key text not null,
  content_type text not null,
  size_bytes bigint not null check (size_bytes >= 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  unique (bucket, object_key)
);
create index files_user_idx on public.files (user_id);

alter table public.files enable row level security;
create policy "Users read their own files"
  on public.files for select
  to authenticated
  using ((select auth.uid()) = user_id);

-- Every webhook delivery, verified or not, for audit and replay analysis.
create table public.webhook_events (
  id bigint generated always as identity primary key,
  provider text not null default 'fal',
  request_id text,
  gateway_request_id text,
  job_id uuid references public.jobs (id) on delete set null,
  payload_status text,
  outcome text not null,
  detail text,
  received_at timestamptz not null default now()
);
create index webhook_events_request_idx on public.webhook_events (request_id);
alter table public.webhook_events enable row level security;
-- no policy: only the service role (the backend) reads or writes deliveries

-- One row per user and UTC day; incremented atomically against the quota.
create table public.quota_usage (
  user_id uuid not null references auth.users (id) on delete cascade,
  day date not null,
  used integer not null default 0 check (used >= 0),
  primary key (user_id, day)
);
alter table public.quota_usage enable row level security;
create policy "Users read their own usage"
  on public.quota_usage for select
  to authenticated
  using ((select auth.uid()) = user_id);
