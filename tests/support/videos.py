"""Stored videos made directly: a school, a user in it, a completed job, its `files` row
and its object in the test S3 server, `age_days` old (for the retention tests)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from tests.support.schools import DEFAULT_SCHOOL, make_school
from videogen.storage.base import video_key

__all__ = ["DEFAULT_SCHOOL", "Video", "make_school", "make_video"]

BUCKET = "videos"
BODY = b"\x00\x00\x00\x18ftypmp42"


@dataclass(frozen=True)
class Video:
    job_id: uuid.UUID
    key: str
    school_id: uuid.UUID


def make_video(
    db: Any, s3: Any, school_id: uuid.UUID, age_days: float, user_id: uuid.UUID | None = None
) -> Video:
    """A completed job of `user_id` (else a new user) of `school_id`, its video stored
    `age_days` ago."""
    if user_id is None:
        (user_id,) = db.execute(
            "insert into auth.users (email) values (%s) returning id",
            (f"{uuid.uuid4().hex[:10]}@school.example",),
        ).fetchone()
    db.execute("update public.profiles set school_id = %s where id = %s", (school_id, user_id))
    (job_id,) = db.execute(
        """insert into public.jobs (user_id, school_id, model, prompt, status, created_at,
                                    finished_at)
           values (%(user)s, %(school)s, 'fal-ai/ltx-video', 'tides', 'completed',
                   now() - make_interval(secs => %(age)s + 60),
                   now() - make_interval(secs => %(age)s))
           returning id""",
        {"user": user_id, "school": school_id, "age": age_days * 86_400},
    ).fetchone()
    key = video_key(user_id, job_id)
    s3.put_object(Bucket=BUCKET, Key=key, Body=BODY)
    db.execute(
        """insert into public.files (job_id, user_id, bucket, object_key, content_type,
                                     size_bytes, sha256, created_at)
           values (%s, %s, %s, %s, 'video/mp4', %s, %s, now() - make_interval(secs => %s))""",
        (
            job_id,
            user_id,
            BUCKET,
            key,
            len(BODY),
            hashlib.sha256(BODY).hexdigest(),
            age_days * 86_400,
        ),
    )
    return Video(job_id, key, school_id)


def stored_keys(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def has_row(db: Any, video: Video) -> bool:
    row = db.execute("select 1 from public.files where job_id = %s", (video.job_id,)).fetchone()
    return row is not None


def deletion_mark(db: Any, video: Video) -> tuple[bool, int | None]:
    """(video_deleted_at is set, video_kept_days) of the video's job, which must still exist."""
    row = db.execute(
        "select video_deleted_at is not null, video_kept_days from public.jobs where id = %s",
        (video.job_id,),
    ).fetchone()
    assert row is not None, "the job is kept"
    return row[0], row[1]
