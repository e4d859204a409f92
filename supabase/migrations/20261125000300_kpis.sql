-- Daily KPIs written by the EMR Serverless Spark job (emr/), read by the admin dashboard.
-- Definitions of each column: docs/kpis.md and videogen.kpis.definitions.

create table public.kpi_spark_daily (
  job_date date primary key,
  jobs_total bigint not null default 0,
  jobs_succeeded bigint not null default 0,
  jobs_failed bigint not null default 0,
  jobs_cancelled bigint not null default 0,
  active_users bigint not null default 0,
  avg_duration_seconds double precision,
  p50_duration_seconds double precision,
  p95_duration_seconds double precision,
  success_rate double precision check (success_rate is null or success_rate between 0 and 1),
  cost_usd numeric(14, 4) not null default 0,
  updated_at timestamptz not null default now()
);

create table public.kpi_spark_daily_models (
  job_date date not null,
  model text not null,
  jobs_total bigint not null default 0,
  jobs_succeeded bigint not null default 0,
  jobs_failed bigint not null default 0,
  jobs_cancelled bigint not null default 0,
  avg_duration_seconds double precision,
  p50_duration_seconds double precision,
  p95_duration_seconds double precision,
  success_rate double precision check (success_rate is null or success_rate between 0 and 1),
  cost_usd numeric(14, 4) not null default 0,
  updated_at timestamptz not null default now(),
  primary key (job_date, model)
);

alter table public.kpi_spark_daily enable row level security;
alter table public.kpi_spark_daily_models enable row level security;
create policy "Admins read daily KPIs"
  on public.kpi_spark_daily for select
  to authenticated
  using ((select public.is_admin()));
create policy "Admins read per-model KPIs"
  on public.kpi_spark_daily_models for select
  to authenticated
  using ((select public.is_admin()));
