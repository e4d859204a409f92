-- A safety event is the school's safeguarding record: it outlives the student's account
-- (user_id set null on erasure) but not the school's retention. Once it is older than the
-- school's `retention_days`, the daily retention function removes its prompt text and keeps
-- the rest (rule, class, model, time) for the counts and the KPIs.
alter table public.safety_events alter column prompt drop not null;
alter table public.safety_events add column if not exists prompt_removed_at timestamptz;
alter table public.safety_events add constraint safety_events_prompt_kept_or_removed
  check ((prompt is null) = (prompt_removed_at is not null));
comment on column public.safety_events.prompt_removed_at is
  'When retention removed the prompt text (older than the school''s retention_days).';

-- Oldest first among those still holding a prompt: a range scan, not the whole table.
create index if not exists safety_events_prompt_age_idx
  on public.safety_events (created_at, id) where prompt is not null;

grant update (prompt, prompt_removed_at) on public.safety_events to videogen_app;
create policy "The app removes old prompts" on public.safety_events
  for update to videogen_app using (true) with check (true);
