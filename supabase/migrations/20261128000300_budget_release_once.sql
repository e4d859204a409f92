-- The release of a job's open reservations, written once: a failure or a confirmed
-- cancellation releases (budget_release), a completion releases and settles
-- (budget_settle); both now call budget_release_rows instead of holding the same INSERT.
-- Once per job and scope: the ledger's unique key (job_id, scope, kind).
create or replace function public.budget_release_rows(p_job uuid)
returns table (
  job_id uuid, school_id uuid, class_id uuid, user_id uuid, scope text, period text,
  reserved numeric
)
language sql set search_path = '' as $$
  insert into public.budget_ledger (job_id, school_id, class_id, user_id, scope, kind,
                                    amount, period)
  select r.job_id, r.school_id, r.class_id, r.user_id, r.scope, 'release', -r.amount,
         r.period
  from public.budget_ledger r
  where r.job_id = p_job and r.kind = 'reservation'
  on conflict on constraint budget_ledger_once do nothing
  returning job_id, school_id, class_id, user_id, scope, period, -amount
$$;

create or replace function public.budget_release(p_job uuid) returns integer
language sql set search_path = '' as $$
  select count(*)::integer from public.budget_release_rows(p_job)
$$;

create or replace function public.budget_settle(p_job uuid, p_amount numeric) returns integer
language sql set search_path = '' as $$
  with released as (
    select * from public.budget_release_rows(p_job)
  ), settled as (
    insert into public.budget_ledger (job_id, school_id, class_id, user_id, scope, kind,
                                      amount, period)
    select job_id, school_id, class_id, user_id, scope, 'settlement',
           case when scope = 'student_videos' then 1 else coalesce(p_amount, reserved) end,
           period
    from released
    returning 1
  ), costed as (
    update public.jobs j
    set cost_estimate_usd = coalesce(p_amount, (select r.reserved from released r
                                                 where r.scope = 'student_day'))
    where j.id = p_job and exists (select 1 from released)
    returning 1
  )
  select (select count(*)::integer from settled) + 0 * (select count(*) from costed)
$$;

revoke all on function public.budget_release_rows(uuid) from public, anon, authenticated;
grant execute on function public.budget_release_rows(uuid) to videogen_app;
