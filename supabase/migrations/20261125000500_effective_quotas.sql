-- The effective daily quota rule, written once: a profile's own override, else its role's
-- default. security_invoker: readers see it through the row-level security of `profiles`
-- and `role_quotas` (https://supabase.com/docs/guides/database/postgres/row-level-security#views).
create view public.effective_quotas
  with (security_invoker = true) as
  select p.id as user_id, coalesce(p.daily_quota, q.daily_quota) as daily_quota
  from public.profiles p
  join public.role_quotas q on q.role = p.role;

revoke all on public.effective_quotas from anon;
grant select on public.effective_quotas to authenticated;
