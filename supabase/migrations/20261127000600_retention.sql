-- Issue 15, retention: each school's videos are deleted `schools.retention_days` after they
-- were stored (functions/retention). The job stays, for the KPIs, and says that its video
-- was deleted and after how many days, so the UI can say so instead of a missing video.
alter table public.jobs
  add column if not exists video_deleted_at timestamptz,
  -- the school's retention when the video was deleted; null when deleted otherwise
  -- (account erasure)
  add column if not exists video_kept_days integer
    check (video_kept_days is null or video_kept_days between 1 and 3650);

-- The retention run walks the stored videos oldest first, only as far as the shortest
-- retention of any school: a range scan on this index, not the whole table.
create index if not exists files_created_idx on public.files (created_at, id);
