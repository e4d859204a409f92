-- Daily KPIs per school and per class (issue 16), written by the same Spark job as
-- kpi_spark_daily (emr/kpi_io.py: upserted in its transaction, window-limited) and read by
-- the dashboard through the API. Definitions: videogen.kpis.definitions (SCOPE_KPIS) and
-- docs/kpis.md. A row exists for a (day, school) or (day, class) with a job or a refused
-- prompt; the day is the school's (schools.time_zone). Jobs without a class count for
-- their school only.
--
-- Privileges as for the schools tables: the Data API roles get nothing (the API is the way
-- in: operators every school, a school admin theirs, a teacher the classes they teach,
-- scoped by videogen.schools.scope); videogen_app gets the job's upsert and deletion of
-- stale window rows, and the dashboard's reads.

create table if not exists public.kpi_school_daily (
  school_id uuid not null references public.schools (id) on delete cascade,
  job_date date not null,
  jobs_total bigint not null default 0,
  jobs_succeeded bigint not null default 0,
  jobs_failed bigint not null default 0,
  jobs_cancelled bigint not null default 0,
  active_users bigint not null default 0,
  p50_duration_seconds double precision,
  p95_duration_seconds double precision,
  spend_usd numeric(14, 4) not null default 0,
  blocked_prompts bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (school_id, job_date)
);
create index if not exists kpi_school_daily_day_idx on public.kpi_school_daily (job_date);

create table if not exists public.kpi_class_daily (
  class_id uuid not null references public.classes (id) on delete cascade,
  job_date date not null,
  school_id uuid not null references public.schools (id) on delete cascade,
  jobs_total bigint not null default 0,
  jobs_succeeded bigint not null default 0,
  jobs_failed bigint not null default 0,
  jobs_cancelled bigint not null default 0,
  active_users bigint not null default 0,
  p50_duration_seconds double precision,
  p95_duration_seconds double precision,
  spend_usd numeric(14, 4) not null default 0,
  blocked_prompts bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (class_id, job_date)
);
create index if not exists kpi_class_daily_school_idx
  on public.kpi_class_daily (school_id, job_date);
create index if not exists kpi_class_daily_day_idx on public.kpi_class_daily (job_date);

alter table public.kpi_school_daily enable row level security;
alter table public.kpi_class_daily enable row level security;

revoke all on public.kpi_school_daily, public.kpi_class_daily from anon, authenticated;

grant select, insert, update, delete on public.kpi_school_daily to videogen_app;
grant select, insert, update, delete on public.kpi_class_daily to videogen_app;

create policy "The app writes and reads per-school KPIs" on public.kpi_school_daily
  for all to videogen_app using (true) with check (true);
create policy "The app writes and reads per-class KPIs" on public.kpi_class_daily
  for all to videogen_app using (true) with check (true);
