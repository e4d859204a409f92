-- Budgets in money (issue 16, "Budgets"; docs/architecture.md, "Budgets").
--
-- Scopes a submission reserves its estimated cost against, all or none, in one statement
-- (`public.budget_reserve`, called in the transaction that inserts the job):
--   school_month   the school's monthly budget (schools.monthly_budget; null: no limit)
--   class_month    the class's monthly cap (classes.monthly_cap; null: no limit)
--   student_day    the user's daily cap in money (per role, school setting; user override)
--   student_videos the user's daily cap in videos (per role; user override), amount 1 a job
-- Periods (month, day) follow the school's time zone; a user of no school: UTC.
--
-- Every movement is a row of the append-only `budget_ledger`: a reservation (+estimate),
-- its release (-estimate: failure, a cancellation fal confirmed, and completion) and the
-- settlement at completion (+final cost). Open reservations = reservation + release sums,
-- spend = settlement sums; the balance of a scope is the view `budget_balances`, nothing
-- else stores one. Money is `numeric` (exact), never a float.

-- --- Settings ------------------------------------------------------------------------------

-- A time zone Postgres knows (the periods are computed with it). A CHECK cannot read a
-- catalogue, so a trigger does.
create or replace function public.check_time_zone() returns trigger
language plpgsql set search_path = '' as $$
begin
  if not exists (select 1 from pg_catalog.pg_timezone_names where name = new.time_zone) then
    raise exception 'time zone % is not an IANA time zone known to the database', new.time_zone
      using errcode = '22023';
  end if;
  return new;
end
$$;
revoke all on function public.check_time_zone() from public;
create trigger schools_time_zone_known before insert or update of time_zone on public.schools
  for each row execute function public.check_time_zone();

alter table public.schools
  add column if not exists monthly_budget numeric(12, 2) check (monthly_budget >= 0),
  add column if not exists currency text not null default 'USD' check (currency = 'USD');
comment on column public.schools.monthly_budget is
  'Money the school may spend per calendar month of its time zone; null: no limit.';

alter table public.classes
  add column if not exists monthly_cap numeric(12, 2) check (monthly_cap >= 0),
  add column if not exists allowed_models text[];
comment on column public.classes.monthly_cap is 'Monthly cap of the class; null: none.';
comment on column public.classes.allowed_models is
  'Models the class''s students may use, overriding the school''s role setting; null: no override.';

-- Per school and role: daily caps in money and videos, and the models the role may use.
create table if not exists public.school_role_limits (
  school_id uuid not null references public.schools (id) on delete cascade,
  role text not null check (role in ('student', 'teacher', 'admin', 'operator')),
  daily_money numeric(12, 2) check (daily_money >= 0),
  daily_videos integer check (daily_videos >= 0),
  allowed_models text[],
  updated_at timestamptz not null default now(),
  primary key (school_id, role)
);
comment on table public.school_role_limits is
  'Daily caps (money, videos; null: none) and allowed models (null: the school''s) per role.';

-- Today's counting defaults become each school's video caps (role_quotas: student 5,
-- teacher 20, admin 100, operator 100), for existing schools and every new one.
insert into public.school_role_limits (school_id, role, daily_videos)
select s.id, q.role, q.daily_quota from public.schools s cross join public.role_quotas q
on conflict do nothing;

create or replace function public.default_role_limits() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.school_role_limits (school_id, role, daily_videos)
  values (new.id, 'student', 5), (new.id, 'teacher', 20), (new.id, 'admin', 100),
         (new.id, 'operator', 100)
  on conflict do nothing;
  return new;
end
$$;
revoke all on function public.default_role_limits() from public;
create trigger schools_default_role_limits after insert on public.schools
  for each row execute function public.default_role_limits();

-- Per-user override of the daily caps (profiles.daily_quota becomes daily_video_cap).
alter table public.profiles rename column daily_quota to daily_video_cap;
alter table public.profiles
  add column if not exists daily_money_cap numeric(12, 2) check (daily_money_cap >= 0);

-- What an erased account used of its student day, in money too (account/usage.py); `day`
-- is now the student-day period of the school's time zone.
alter table public.erased_usage
  add column if not exists money numeric(14, 4) not null default 0 check (money >= 0);

-- --- The ledger ----------------------------------------------------------------------------

create table if not exists public.budget_ledger (
  id bigint generated always as identity primary key,
  -- no foreign key: the ledger outlives whatever it names
  job_id uuid not null,
  school_id uuid,
  class_id uuid,
  -- null once the account is erased (the only change a ledger row ever takes)
  user_id uuid references auth.users (id) on delete set null,
  scope text not null
    check (scope in ('school_month', 'class_month', 'student_day', 'student_videos')),
  kind text not null check (kind in ('reservation', 'release', 'settlement')),
  amount numeric(14, 4) not null,
  -- the period in the school's time zone: 'YYYY-MM' (month scopes) or 'YYYY-MM-DD'
  period text not null check (period ~ '^\d{4}-\d{2}(-\d{2})?$'),
  created_at timestamptz not null default now(),
  constraint budget_ledger_once unique (job_id, scope, kind),
  constraint budget_ledger_sign check (
    (kind = 'release' and amount <= 0) or (kind <> 'release' and amount >= 0)),
  constraint budget_ledger_scope_key check (
    (scope <> 'school_month' or school_id is not null)
    and (scope <> 'class_month' or class_id is not null))
);
comment on table public.budget_ledger is
  'Append-only money movements of budgets: every balance is a sum of these rows (issue 16).';

-- The scope's key, written once: the school, the class or the user whose budget it is.
create or replace function public.budget_scope_key(
  p_scope text, p_school uuid, p_class uuid, p_user uuid
) returns uuid language sql immutable parallel safe set search_path = '' as $$
  select case p_scope when 'school_month' then p_school when 'class_month' then p_class
                      else p_user end
$$;

create index if not exists budget_ledger_scope_idx on public.budget_ledger
  (scope, public.budget_scope_key(scope, school_id, class_id, user_id), period);
create index if not exists budget_ledger_user_idx on public.budget_ledger (user_id)
  where user_id is not null;
create index if not exists budget_ledger_school_idx on public.budget_ledger
  (school_id, period);

-- Append-only: nothing updates or deletes a row, except erasure's `set null` on user_id.
-- (TRUNCATE: no role but the owner holds it; the tests' cleanup runs as the owner.)
create or replace function public.budget_ledger_append_only() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'UPDATE' and new.user_id is null and old.user_id is not null
     and (to_jsonb(new) - 'user_id') = (to_jsonb(old) - 'user_id') then
    return new;  -- the account was erased: its rows are anonymised, not lost
  end if;
  raise exception 'budget_ledger is append-only (% refused)', tg_op using errcode = '42501';
end
$$;
revoke all on function public.budget_ledger_append_only() from public;
create trigger budget_ledger_append_only before update or delete on public.budget_ledger
  for each row execute function public.budget_ledger_append_only();

-- Balances: sums of the ledger per scope and period, nothing stored.
--   reserved: open reservations (reservations minus their releases)
--   settled:  final costs of completed jobs
--   used:     reserved + settled (what the limit is checked against)
create or replace view public.budget_balances with (security_invoker = true) as
select l.scope,
       public.budget_scope_key(l.scope, l.school_id, l.class_id, l.user_id) as scope_key,
       l.period,
       coalesce(sum(l.amount) filter (where l.kind <> 'settlement'), 0) as reserved,
       coalesce(sum(l.amount) filter (where l.kind = 'settlement'), 0) as settled,
       sum(l.amount) as used
from public.budget_ledger l
group by 1, 2, 3;

-- --- Periods -------------------------------------------------------------------------------

-- The period key and its end (when it resets) of a scope at `p_at` in time zone `p_tz`.
create or replace function public.budget_period(p_scope text, p_tz text, p_at timestamptz)
returns table (period text, resets_at timestamptz)
language sql stable set search_path = '' as $$
  select case when p_scope like '%_month'
              then to_char(p_at at time zone p_tz, 'YYYY-MM')
              else to_char(p_at at time zone p_tz, 'YYYY-MM-DD') end,
         case when p_scope like '%_month'
              then (date_trunc('month', p_at at time zone p_tz) + interval '1 month')
                     at time zone p_tz
              else (date_trunc('day', p_at at time zone p_tz) + interval '1 day')
                     at time zone p_tz end
$$;

-- --- Limits that apply to a submission -----------------------------------------------------

-- Each scope that applies to (user, school, class): its key, limit (null: none), period and
-- reset, in the fixed order scopes are locked in. `p_carried_*`: what an erased account of
-- the same email used today (account/usage.py), counted against the student's day.
create or replace function public.budget_scopes(
  p_user uuid, p_school uuid, p_class uuid, p_at timestamptz
) returns table (
  ord integer, scope text, scope_key uuid, cap numeric, period text, resets_at timestamptz
)
language sql stable set search_path = '' as $$
  with who as (
    select p.id, p.role, p.daily_video_cap, p.daily_money_cap,
           coalesce(s.time_zone, 'UTC') as tz, s.id as school_id, s.monthly_budget
    from public.profiles p
    left join public.schools s on s.id = p_school
    where p.id = p_user
  ), lim as (
    select w.*, r.daily_money, r.daily_videos
    from who w
    left join public.school_role_limits r on r.school_id = w.school_id and r.role = w.role
  ), scopes (ord, scope, scope_key, cap) as (
    select 1, 'school_month', l.school_id, l.monthly_budget from lim l
      where l.school_id is not null
    union all
    select 2, 'class_month', c.id, c.monthly_cap
      from lim l join public.classes c on c.id = p_class and c.school_id = l.school_id
    union all
    select 3, 'student_day', l.id, coalesce(l.daily_money_cap, l.daily_money) from lim l
    union all
    select 4, 'student_videos', l.id, coalesce(l.daily_video_cap, l.daily_videos)::numeric
      from lim l
  )
  select s.ord, s.scope, s.scope_key, s.cap, p.period, p.resets_at
  from scopes s, lim l, public.budget_period(s.scope, l.tz, p_at) p
  order by s.ord
$$;

-- --- Reservation: all scopes or none -------------------------------------------------------

-- Reserves `p_amount` (one video on student_videos) for job `p_job` against every scope
-- that applies, or nothing. Each scope is locked (transaction-level advisory lock on its
-- key and period: nothing outlives the transaction, so the transaction pooler is fine) in
-- the fixed order school, class, student day, student videos, so no two submissions wait
-- on each other in opposite orders. Returns one row: `refused_scope` null when reserved;
-- else the first scope without room, its cap, what remains and when it resets.
-- A replay (the job already holds reservations) reserves nothing again.
create or replace function public.budget_reserve(
  p_job uuid, p_user uuid, p_school uuid, p_class uuid, p_amount numeric,
  p_carried_money numeric default 0, p_carried_videos integer default 0
) returns table (
  refused_scope text, cap numeric, remaining numeric, resets_at timestamptz,
  school_budget numeric, school_used_before numeric, school_used_after numeric
)
language plpgsql set search_path = '' as $$
#variable_conflict use_column
declare
  s record;
  used numeric;
  need numeric;
  budget numeric;
  before numeric;
begin
  if p_amount is null or p_amount < 0 then
    raise exception 'amount must be >= 0' using errcode = '22023';
  end if;
  if exists (select 1 from public.budget_ledger l
             where l.job_id = p_job and l.kind = 'reservation') then
    return query select null::text, null::numeric, null::numeric, null::timestamptz,
                        null::numeric, null::numeric, null::numeric;
    return;
  end if;
  if not exists (select 1 from public.profiles p where p.id = p_user) then
    raise exception 'no profile for user %', p_user using errcode = 'P0002';
  end if;
  for s in select * from public.budget_scopes(p_user, p_school, p_class, now()) loop
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('budget:' || s.scope || ':' || s.scope_key || ':' || s.period, 0));
    need := case when s.scope = 'student_videos' then 1 else p_amount end;
    select coalesce(sum(b.used), 0) into used from public.budget_balances b
      where b.scope = s.scope and b.scope_key = s.scope_key and b.period = s.period;
    if s.scope = 'student_day' then
      used := used + coalesce(p_carried_money, 0);
    elsif s.scope = 'student_videos' then
      used := used + coalesce(p_carried_videos, 0);
    elsif s.scope = 'school_month' then
      budget := s.cap;
      before := used;
    end if;
    if s.cap is not null and used + need > s.cap then
      return query select s.scope, s.cap, greatest(s.cap - used, 0), s.resets_at,
                          budget, before, before;
      return;
    end if;
  end loop;
  insert into public.budget_ledger (job_id, school_id, class_id, user_id, scope, kind,
                                    amount, period)
  select p_job, p_school, case when s2.scope = 'class_month' then p_class end, p_user,
         s2.scope, 'reservation',
         case when s2.scope = 'student_videos' then 1 else p_amount end, s2.period
  from public.budget_scopes(p_user, p_school, p_class, now()) s2;
  return query select null::text, null::numeric, null::numeric, null::timestamptz,
                      budget, before, before + p_amount;
end
$$;

-- --- Release and settlement: once per job and scope ----------------------------------------

-- Gives back every open reservation of the job (failure, confirmed cancellation). A job
-- released or settled before: nothing happens (the ledger's unique key).
create or replace function public.budget_release(p_job uuid) returns integer
language sql set search_path = '' as $$
  with released as (
    insert into public.budget_ledger (job_id, school_id, class_id, user_id, scope, kind,
                                      amount, period)
    select r.job_id, r.school_id, r.class_id, r.user_id, r.scope, 'release', -r.amount,
           r.period
    from public.budget_ledger r
    where r.job_id = p_job and r.kind = 'reservation'
    on conflict on constraint budget_ledger_once do nothing
    returning 1
  )
  select count(*)::integer from released
$$;

-- Completion: releases the reservation and records the final cost (`p_amount`; null: the
-- reserved estimate) in the same periods (one video on student_videos), and writes it to
-- the job row's cost column (the KPI job sums the jobs). Only a job whose reservation was
-- still open settles: exactly once.
create or replace function public.budget_settle(p_job uuid, p_amount numeric) returns integer
language sql set search_path = '' as $$
  with released as (
    insert into public.budget_ledger (job_id, school_id, class_id, user_id, scope, kind,
                                      amount, period)
    select r.job_id, r.school_id, r.class_id, r.user_id, r.scope, 'release', -r.amount,
           r.period
    from public.budget_ledger r
    where r.job_id = p_job and r.kind = 'reservation'
    on conflict on constraint budget_ledger_once do nothing
    returning job_id, school_id, class_id, user_id, scope, period, -amount as reserved
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

-- --- Privileges ----------------------------------------------------------------------------

alter table public.school_role_limits enable row level security;
alter table public.budget_ledger enable row level security;
revoke all on public.school_role_limits, public.budget_ledger, public.budget_balances
  from anon, authenticated;
revoke all on function public.budget_scope_key(text, uuid, uuid, uuid),
  public.budget_period(text, text, timestamptz),
  public.budget_scopes(uuid, uuid, uuid, timestamptz),
  public.budget_reserve(uuid, uuid, uuid, uuid, numeric, numeric, integer),
  public.budget_release(uuid), public.budget_settle(uuid, numeric)
  from public, anon, authenticated;

-- videogen_app: reads limits and balances, appends to the ledger (never updates or deletes
-- it), sets the caps (school admins through the API), and calls the budget functions.
grant select, insert, update on public.school_role_limits to videogen_app;
grant select, insert on public.budget_ledger to videogen_app;
grant select on public.budget_balances to videogen_app;
grant update (daily_video_cap, daily_money_cap) on public.profiles to videogen_app;
grant execute on function public.budget_scope_key(text, uuid, uuid, uuid),
  public.budget_period(text, text, timestamptz),
  public.budget_scopes(uuid, uuid, uuid, timestamptz),
  public.budget_reserve(uuid, uuid, uuid, uuid, numeric, numeric, integer),
  public.budget_release(uuid), public.budget_settle(uuid, numeric)
  to videogen_app;
grant update (monthly_cap, allowed_models) on public.classes to videogen_app;

create policy "The app reads and sets role limits" on public.school_role_limits
  for all to videogen_app using (true) with check (true);
create policy "The app reads the ledger" on public.budget_ledger
  for select to videogen_app using (true);
create policy "The app appends to the ledger" on public.budget_ledger
  for insert to videogen_app with check (true);
