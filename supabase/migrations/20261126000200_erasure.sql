-- Erasure (issue 13, "Erasure"; docs/security.md).
--
-- 1. account_erasures: an account whose erasure has begun. DELETE /me writes the row (and
--    locks the account's jobs) before it deletes any video; the copy worker's final
--    transaction, under the job's row lock, refuses to store a video for an account listed
--    here (or whose job has lost its owner) and removes what it uploaded. No foreign key:
--    the row must outlive the identity until the erasure ends, when it is deleted.
-- 2. erased_usage: today's quota usage of an erased account, keyed on an HMAC-SHA256 of its
--    normalised email (no email, no user id), so that registering again with the same
--    address does not reset the day's quota. Rows of past days are purged by each erasure.

create table public.account_erasures (
  user_id uuid primary key,
  started_at timestamptz not null default now()
);
alter table public.account_erasures enable row level security;
comment on table public.account_erasures is
  'Accounts being erased: the copy worker stores no video for them (issue 13).';

create table public.erased_usage (
  email_hash text not null check (email_hash ~ '^[0-9a-f]{64}$'),
  day date not null,
  used integer not null check (used >= 0),
  primary key (email_hash, day)
);
alter table public.erased_usage enable row level security;
comment on table public.erased_usage is
  'Quota used on a day by erased accounts, keyed on HMAC-SHA256(normalised email) (issue 13).';

-- anon and authenticated get nothing (20261126000100's default privileges already give them
-- nothing on new tables; said again here so that this file stands on its own).
revoke all on public.account_erasures, public.erased_usage from anon, authenticated;

-- videogen_app: DELETE /me inserts and finally deletes the marker, the copy worker reads it;
-- erasure upserts (insert ... on conflict do update) today's usage and purges past days,
-- the quota check reads it.
grant select, insert, delete on public.account_erasures to videogen_app;
grant select, insert, update, delete on public.erased_usage to videogen_app;
create policy "The app marks and reads accounts being erased" on public.account_erasures
  for all to videogen_app using (true) with check (true);
create policy "The app carries erased accounts' usage" on public.erased_usage
  for all to videogen_app using (true) with check (true);
