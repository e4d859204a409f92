-- Budgets replace counting (issue 16, docs/architecture.md "Budgets"): the daily video caps
-- live in `school_role_limits.daily_videos` (per school and role) and
-- `profiles.daily_video_cap` (per user), what a day used in `budget_ledger`. The counting
-- tables go: `quota_usage` (units per user and UTC day), `role_quotas` (defaults per role)
-- and the view over both, `effective_quotas`. Nothing reads them any more
-- (20261128000100_budgets.sql copied their values).

drop view if exists public.effective_quotas;
drop table if exists public.quota_usage;

-- profiles.role referenced role_quotas(role): the set of roles becomes a CHECK.
alter table public.profiles drop constraint if exists profiles_role_fkey;
alter table public.profiles drop constraint if exists profiles_role_check;
alter table public.profiles add constraint profiles_role_check
  check (role in ('student', 'teacher', 'admin', 'operator'));
drop table if exists public.role_quotas;

comment on column public.profiles.daily_video_cap is
  'Per-user override of the role''s daily video cap (school_role_limits); null: the role''s.';
comment on column public.profiles.daily_money_cap is
  'Per-user override of the role''s daily money cap (school_role_limits); null: the role''s.';
