-- Least privilege (issue 13, "Database privileges").
--
-- 1. The Data API roles. Supabase grants `anon` and `authenticated` every privilege on what
--    `postgres` creates in `public` (`alter default privileges ... grant all`), so a table
--    without row-level security (`role_quotas` was one) is writable with the public anon
--    key, and TRUNCATE ignores row-level security altogether. Here: RLS on every table, and
--    `anon`/`authenticated` keep only the SELECTs the policies below are written for.
--    https://supabase.com/docs/guides/api/securing-your-api (default privileges)
--    https://supabase.com/docs/guides/database/postgres/row-level-security
-- 2. `videogen_app`: the role the functions' queries run as (NOLOGIN; the operator creates a
--    login that is a member of it, docs/deploy.md). Exactly the statements the code runs:
--    docs/architecture.md ("Database roles") lists them. No BYPASSRLS, no ownership:
--    its rows come through policies written `to videogen_app`.
--
-- Every statement can run again (roles are cluster-wide; a second database in the same
-- cluster, as the tests make, finds the role already there).

-- --- 1. anon and authenticated ------------------------------------------------------------

-- Future objects: the migration's owner (`postgres` on Supabase) stops granting to the API
-- roles. Supabase's own `supabase_admin` keeps its default grants, for objects it creates
-- (none of ours). Functions: only the form without `in schema` replaces Postgres's built-in
-- EXECUTE for PUBLIC; a function that a policy calls is granted explicitly (is_admin below).
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;
alter default privileges revoke execute on functions from public;

-- Existing objects.
revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;
revoke all on all functions in schema public from public, anon, authenticated;

alter table public.role_quotas enable row level security;
alter table public.profiles enable row level security;
alter table public.jobs enable row level security;
alter table public.files enable row level security;
alter table public.webhook_events enable row level security;
alter table public.quota_usage enable row level security;
alter table public.kpi_spark_daily enable row level security;
alter table public.kpi_spark_daily_models enable row level security;

-- The policies of the earlier migrations, and what they need: a signed-in user reads their
-- own profile, jobs, files, usage and effective quota; an admin reads every job and the KPIs.
-- Role defaults are not personal: any signed-in user may read them (effective_quotas joins them).
create policy "Signed-in users read the role defaults"
  on public.role_quotas for select
  to authenticated
  using (true);

grant select on public.profiles, public.jobs, public.files, public.quota_usage,
  public.role_quotas, public.kpi_spark_daily, public.kpi_spark_daily_models,
  public.effective_quotas
  to authenticated;
-- Policies call it as the signed-in user; it reads profiles as its owner (security definer).
grant execute on function public.is_admin() to authenticated;

-- --- 2. videogen_app ------------------------------------------------------------------------

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'videogen_app') then
    create role videogen_app nologin nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;
comment on role videogen_app is
  'VideoGen functions: exactly the statements the application runs (docs/architecture.md).';

grant usage on schema public to videogen_app;

-- Quotas: effective_quotas (security_invoker) reads profiles and role_quotas as the caller.
grant select on public.role_quotas, public.effective_quotas to videogen_app;
-- Profiles are created by the security-definer trigger on auth.users and deleted with the
-- user; the app reads them and an admin changes role and quota, nothing else.
grant select on public.profiles to videogen_app;
grant update (role, daily_quota, updated_at) on public.profiles to videogen_app;
-- Jobs are never deleted (an erased account's jobs are anonymised, kept for the KPIs).
grant select, insert, update on public.jobs to videogen_app;
grant select, insert, delete on public.files to videogen_app;
-- The audit trail is appended to; nothing in the app reads or changes it.
grant insert on public.webhook_events to videogen_app;
grant select, insert, update on public.quota_usage to videogen_app;
-- The KPI job's upsert and its removal of per-model rows a rerun no longer produces
-- (emr/kpi_io.py), and the dashboard's reads (videogen/kpis/service.py).
grant select, insert, update on public.kpi_spark_daily to videogen_app;
grant select, insert, update, delete on public.kpi_spark_daily_models to videogen_app;

-- Row-level security applies to videogen_app: it sees every row (the backend filters on
-- the owner in each query, docs/architecture.md); the grants above decide which commands.
create policy "The app reads role defaults" on public.role_quotas
  for select to videogen_app using (true);
create policy "The app reads and updates profiles" on public.profiles
  for all to videogen_app using (true) with check (true);
create policy "The app manages jobs" on public.jobs
  for all to videogen_app using (true) with check (true);
create policy "The app manages files" on public.files
  for all to videogen_app using (true) with check (true);
create policy "The app appends webhook deliveries" on public.webhook_events
  for insert to videogen_app with check (true);
create policy "The app counts quota usage" on public.quota_usage
  for all to videogen_app using (true) with check (true);
create policy "The app writes and reads daily KPIs" on public.kpi_spark_daily
  for all to videogen_app using (true) with check (true);
create policy "The app writes and reads per-model KPIs" on public.kpi_spark_daily_models
  for all to videogen_app using (true) with check (true);
