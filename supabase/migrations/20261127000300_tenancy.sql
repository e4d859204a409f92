-- Tenancy for the Data API roles (issue 15; docs/architecture.md, "Tenancy").
--
-- Before schools, "Admins read all jobs" let any admin read every job through the Data API
-- (PostgREST with the signed-in user's token). An admin is now the admin of ONE school, so
-- that policy would hand them every other school's prompts. Rewritten here:
-- - a school admin reads the jobs of their own school (`jobs.school_id = my_school()`);
-- - an operator (runs the deployment) reads every job, as the API lets them;
-- - the deployment-wide KPI tables are the operators' (per-school KPIs: issue 16), as
--   GET /admin/kpis is.
-- Reads only: every change still goes through the API. The helpers read `profiles` as their
-- owner (security definer, empty search_path), the pattern of `is_admin()`.
-- https://supabase.com/docs/guides/database/postgres/row-level-security#use-security-definer-functions

create or replace function public.my_school()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select school_id from public.profiles where id = (select auth.uid());
$$;

create or replace function public.is_operator()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.profiles
    where id = (select auth.uid()) and role = 'operator'
  );
$$;

revoke all on function public.my_school() from public, anon, authenticated;
revoke all on function public.is_operator() from public, anon, authenticated;
grant execute on function public.my_school() to authenticated;
grant execute on function public.is_operator() to authenticated;

drop policy if exists "Admins read all jobs" on public.jobs;
drop policy if exists "School admins read their school's jobs" on public.jobs;
create policy "School admins read their school's jobs"
  on public.jobs for select
  to authenticated
  using ((select public.is_admin()) and school_id = (select public.my_school()));
drop policy if exists "Operators read every job" on public.jobs;
create policy "Operators read every job"
  on public.jobs for select
  to authenticated
  using ((select public.is_operator()));

drop policy if exists "Admins read daily KPIs" on public.kpi_spark_daily;
drop policy if exists "Operators read daily KPIs" on public.kpi_spark_daily;
create policy "Operators read daily KPIs"
  on public.kpi_spark_daily for select
  to authenticated
  using ((select public.is_operator()));
drop policy if exists "Admins read per-model KPIs" on public.kpi_spark_daily_models;
drop policy if exists "Operators read per-model KPIs" on public.kpi_spark_daily_models;
create policy "Operators read per-model KPIs"
  on public.kpi_spark_daily_models for select
  to authenticated
  using ((select public.is_operator()));

-- A job belongs to its owner's school, whoever writes it (the API, a backfill, a test's
-- setup): one rule here rather than in every insert. A school given explicitly is kept.
create or replace function public.job_takes_owner_school()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.school_id is null then
    new.school_id := (select p.school_id from public.profiles p where p.id = new.user_id);
  end if;
  return new;
end;
$$;
revoke all on function public.job_takes_owner_school() from public, anon, authenticated;

drop trigger if exists jobs_take_owner_school on public.jobs;
create trigger jobs_take_owner_school
  before insert on public.jobs
  for each row execute procedure public.job_takes_owner_school();
