"""`make demo`: a demo school in `make run`'s database, then the KPI job over it.

One school ("Demo school", videos kept 30 days) with an admin, two teachers, three classes
of ten students, and ninety days of varied job history (statuses, every catalogue model,
durations, costs), a few hidden videos and refused prompts (safety events). Recent
completed jobs have a real video in storage; older ones were deleted by retention, as the
retention function would have (jobs kept, marked). Accounts are stored as the local identity
stores them (Argon2id hash in `auth.users`), so they sign in with the demo password.

Idempotent: every id is a UUIDv5 of a fixed name, rows are upserted, and the school's
jobs, safety events and activity not in this run's set are removed first. Times are
relative to today: a run on the same day gives the same data; a later run moves it along.
Local only (never imported by production code).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import psycopg
from argon2 import PasswordHasher

from videogen.generations.catalog import MODELS
from videogen.storage.base import ObjectStore, video_key

NAMESPACE = uuid.UUID("6f1c9a52-3b1e-4d7a-9a43-5d2c0e7b8f15")  # the demo's ids derive from it
DEMO_PASSWORD = "demo-school-2026"  # noqa: S105 - a documented, local-only demo password
DOMAIN = "demo-school.example"
RETENTION_DAYS = 30
HISTORY_DAYS = 90
SAMPLE = Path(__file__).parent / "assets" / "sample.mp4"


def demo_id(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


SCHOOL = demo_id("school")
CLASSES = (("7A Science", 0), ("8B Art", 0), ("9C Media", 1))  # name, teacher index
PROMPTS = (
    "a volcano erupting, drawn in chalk",
    "the water cycle as a paper-cut animation",
    "a honeybee visiting lavender, macro shot",
    "Roman soldiers building a road, claymation",
    "a timelapse of a seed becoming a sunflower",
    "planets orbiting the sun, to scale, neon style",
    "a medieval market on a rainy morning",
    "a robot learning to paint a portrait",
    "the tide coming in over a rock pool",
    "a paper boat sailing down a city gutter",
    "cells dividing under a microscope",
    "a dragon made of autumn leaves",
    "Shakespeare's Globe theatre filling with people",
    "a hot air balloon over a patchwork of fields",
    "a glacier calving into the sea",
)
BLOCKED = ("a realistic gun fight in a school", "graphic gore in a horror film")
# model -> (weight, seconds to generate: min, max)
MODEL_MIX = {
    "fal-ai/ltx-video": (50, 20, 60),
    "fal-ai/wan-t2v": (20, 60, 150),
    "fal-ai/kling-video/v2.1/master/text-to-video": (15, 90, 240),
    "fal-ai/veo3.1/fast": (10, 60, 150),
    "fal-ai/veo3.1": (5, 90, 200),
}


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    name: str
    role: str


@dataclass
class Summary:
    accounts: int = 0
    classes: int = 0
    class_members: int = 0
    jobs: int = 0
    videos: int = 0
    videos_deleted_by_retention: int = 0
    hidden: int = 0
    safety_events: int = 0


def accounts() -> list[Account]:
    people = [Account(demo_id("admin"), f"admin@{DOMAIN}", "Ada Admin", "admin")]
    for n, name in enumerate(("Tom Teacher", "Tess Teacher"), start=1):
        people.append(Account(demo_id(f"teacher{n}"), f"teacher{n}@{DOMAIN}", name, "teacher"))
    for n in range(1, 31):
        people.append(
            Account(demo_id(f"student{n}"), f"student{n:02d}@{DOMAIN}", f"Student {n}", "student")
        )
    return people


def seed(conn: psycopg.Connection[Any], store: ObjectStore | None, *, today: date) -> Summary:
    """Writes the demo school in one transaction (as the database's superuser); uploads the
    recent videos to `store` (none without one). Returns what the school then holds."""
    people = accounts()
    teachers, students = people[1:3], people[3:]  # people[0]: the admin
    summary = Summary()
    with conn.transaction():
        conn.execute(
            """insert into public.schools (id, name, retention_days) values (%s, 'Demo school', %s)
               on conflict (id) do update set name = excluded.name,
                 retention_days = excluded.retention_days, updated_at = now()""",
            (SCHOOL, RETENTION_DAYS),
        )
        _accounts(conn, people)
        classes = _classes(conn, teachers, students)
        jobs = _jobs(conn, students, classes, teachers, today)
        _safety_events(conn, students, classes, today)
    summary.videos = _videos(conn, store, jobs) if store is not None else 0
    return _count(conn, summary)


def _accounts(conn: psycopg.Connection[Any], people: Sequence[Account]) -> None:
    password_hash = PasswordHasher().hash(DEMO_PASSWORD)  # as LocalIdentity.sign_up stores it
    app_meta = json.dumps({"provider": "email", "providers": ["email"]})
    with conn.cursor() as cur:
        cur.executemany(
            """insert into auth.users (id, email, encrypted_password, email_confirmed_at,
                                       raw_app_meta_data, raw_user_meta_data)
               values (%s, %s, %s, now(), %s, %s)
               on conflict (id) do update set email = excluded.email,
                 encrypted_password = excluded.encrypted_password,
                 email_confirmed_at = coalesce(auth.users.email_confirmed_at, now())""",
            [
                (p.id, p.email, password_hash, app_meta, json.dumps({"display_name": p.name}))
                for p in people
            ],
        )
        cur.executemany(  # the profile row comes from the auth.users trigger
            """update public.profiles set role = %s, school_id = %s, display_name = %s
               where id = %s""",
            [(p.role, SCHOOL, p.name, p.id) for p in people],
        )


def _classes(
    conn: psycopg.Connection[Any], teachers: Sequence[Account], students: Sequence[Account]
) -> list[tuple[uuid.UUID, Account, list[Account]]]:
    classes = []
    for n, (name, teacher) in enumerate(CLASSES):
        class_id = demo_id(f"class{n}")
        members = list(students[n * 10 : (n + 1) * 10])
        classes.append((class_id, teachers[teacher], members))
        conn.execute(
            """insert into public.classes (id, school_id, name, created_by) values (%s, %s, %s, %s)
               on conflict (id) do update set name = excluded.name, archived_at = null""",
            (class_id, SCHOOL, name, teachers[teacher].id),
        )
        conn.execute("delete from public.class_members where class_id = %s", (class_id,))
        with conn.cursor() as cur:
            cur.executemany(
                "insert into public.class_members (class_id, user_id, role) values (%s, %s, %s)",
                [(class_id, teachers[teacher].id, "teacher")]
                + [(class_id, s.id, "student") for s in members],
            )
    # Tess also teaches 8B with Tom: a class may have several teachers.
    conn.execute(
        """insert into public.class_members (class_id, user_id, role) values (%s, %s, 'teacher')
           on conflict do nothing""",
        (classes[1][0], teachers[1].id),
    )
    return classes


def _jobs(
    conn: psycopg.Connection[Any],
    students: Sequence[Account],
    classes: Sequence[tuple[uuid.UUID, Account, list[Account]]],
    teachers: Sequence[Account],
    today: date,
) -> list[dict[str, Any]]:
    rng = random.Random(2026_11_27)  # noqa: S311 - same history on each run, not a secret
    now = datetime.combine(today, clock(0), UTC)
    class_of = {
        s.id: (class_id, teacher) for class_id, teacher, members in classes for s in members
    }
    models = list(MODEL_MIX)
    weights = [MODEL_MIX[m][0] for m in models]
    rows: list[dict[str, Any]] = []
    for days_ago in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        for student in students:
            if rng.random() >= (0.35 if day.weekday() < 5 else 0.05):  # school days mostly
                continue
            n = len(rows)
            model = rng.choices(models, weights)[0]
            _, fastest, slowest = MODEL_MIX[model]
            created = datetime.combine(day, clock(8), UTC) + timedelta(minutes=rng.randint(0, 480))
            roll = rng.random()
            status = "completed" if roll < 0.8 else "failed" if roll < 0.92 else "cancelled"
            job_id = demo_id(f"job{n}")
            class_id, teacher = class_of[student.id]
            spec = MODELS[model]
            row: dict[str, Any] = {
                "id": job_id,
                "user_id": student.id,
                "school_id": SCHOOL,
                "class_id": class_id,
                "model": model,
                "prompt": rng.choice(PROMPTS),
                "status": status,
                "fal_request_id": f"demo-{job_id}",
                "error": None,
                "cost": float(spec.cost(spec.validate({}))),
                "created_at": created,
                "submitted_at": created + timedelta(seconds=rng.uniform(0.3, 2)),
                "started_at": None,
                "finished_at": None,
                "hidden_at": None,
                "hidden_by": None,
                "hidden_reason": None,
                "video_deleted_at": None,
                "video_kept_days": None,
            }
            if status == "cancelled":
                row["finished_at"] = row["submitted_at"] + timedelta(seconds=rng.uniform(5, 40))
            else:
                row["started_at"] = row["submitted_at"] + timedelta(seconds=rng.uniform(1, 20))
                row["finished_at"] = row["started_at"] + timedelta(
                    seconds=rng.uniform(fastest, slowest)
                )
            if status == "failed":
                row["error"] = rng.choice(
                    ("NSFW content detected", "Generation timed out at the provider")
                )
            if status == "completed" and days_ago > RETENTION_DAYS:
                deleted = created + timedelta(days=RETENTION_DAYS + 1)  # the next daily run
                row["video_deleted_at"] = min(deleted, datetime.now(UTC))
                row["video_kept_days"] = RETENTION_DAYS
            if status == "completed" and days_ago <= RETENTION_DAYS and n % 29 == 0:
                row["hidden_at"] = min(row["finished_at"] + timedelta(hours=3), now)
                row["hidden_by"] = teacher.id
                row["hidden_reason"] = "Not suitable for the class gallery"
            rows.append(row)
    # Today: a few still running, as the dashboard sees them mid-morning.
    for k, status in enumerate(("queued", "submitted", "in_progress")):
        student = students[k * 7]
        class_id, _ = class_of[student.id]
        created = datetime.now(UTC) - timedelta(minutes=2 + k)
        job_id = demo_id(f"job-today{k}")
        spec = MODELS["fal-ai/ltx-video"]
        rows.append(
            {
                **{key: None for key in rows[0]},
                "id": job_id,
                "user_id": student.id,
                "school_id": SCHOOL,
                "class_id": class_id,
                "model": spec.key,
                "prompt": PROMPTS[k],
                "status": status,
                "fal_request_id": None if status == "queued" else f"demo-{job_id}",
                "cost": float(spec.cost(spec.validate({}))),
                "created_at": created,
                "submitted_at": None if status == "queued" else created + timedelta(seconds=1),
                "started_at": created + timedelta(seconds=20) if status == "in_progress" else None,
            }
        )
    conn.execute(
        "delete from public.jobs where school_id = %s and id <> all(%s)",
        (SCHOOL, [r["id"] for r in rows]),
    )
    with conn.cursor() as cur:
        cur.executemany(
            """insert into public.jobs (id, user_id, school_id, class_id, model, prompt, status,
                 fal_request_id, error, cost_estimate_usd, created_at, submitted_at, started_at,
                 finished_at, hidden_at, hidden_by, hidden_reason, video_deleted_at,
                 video_kept_days)
               values (%(id)s, %(user_id)s, %(school_id)s, %(class_id)s, %(model)s, %(prompt)s,
                 %(status)s, %(fal_request_id)s, %(error)s, %(cost)s, %(created_at)s,
                 %(submitted_at)s, %(started_at)s, %(finished_at)s, %(hidden_at)s,
                 %(hidden_by)s, %(hidden_reason)s, %(video_deleted_at)s, %(video_kept_days)s)
               on conflict (id) do update set user_id = excluded.user_id,
                 school_id = excluded.school_id, class_id = excluded.class_id,
                 model = excluded.model, prompt = excluded.prompt, status = excluded.status,
                 fal_request_id = excluded.fal_request_id, error = excluded.error,
                 cost_estimate_usd = excluded.cost_estimate_usd,
                 created_at = excluded.created_at, submitted_at = excluded.submitted_at,
                 started_at = excluded.started_at, finished_at = excluded.finished_at,
                 hidden_at = excluded.hidden_at, hidden_by = excluded.hidden_by,
                 hidden_reason = excluded.hidden_reason,
                 video_deleted_at = excluded.video_deleted_at,
                 video_kept_days = excluded.video_kept_days, updated_at = now()""",
            rows,
        )
    # the teachers' hide actions, in the school's activity log
    conn.execute("delete from public.school_activity where school_id = %s", (SCHOOL,))
    with conn.cursor() as cur:
        cur.executemany(
            """insert into public.school_activity
                 (school_id, actor_id, action, subject_type, subject_id, details, created_at)
               values (%s, %s, 'video.hide', 'job', %s, %s, %s)""",
            [
                (SCHOOL, r["hidden_by"], r["id"], json.dumps({"reason": r["hidden_reason"]}),
                 r["hidden_at"])
                for r in rows
                if r["hidden_at"] is not None
            ],
        )  # fmt: skip
    return rows


def _safety_events(
    conn: psycopg.Connection[Any],
    students: Sequence[Account],
    classes: Sequence[tuple[uuid.UUID, Account, list[Account]]],
    today: date,
) -> None:
    conn.execute("delete from public.safety_events where school_id = %s", (SCHOOL,))
    events = []
    for n in range(8):
        student = students[(n * 11) % len(students)]
        class_id = next(c for c, _, members in classes if student in members)
        at = datetime.combine(today - timedelta(days=3 + n * 9), clock(10, n * 5), UTC)
        prompt = BLOCKED[n % len(BLOCKED)]
        events.append((SCHOOL, class_id, student.id, "blocklist", prompt, "fal-ai/ltx-video", at))
    with conn.cursor() as cur:
        cur.executemany(
            """insert into public.safety_events
                 (school_id, class_id, user_id, rule, prompt, model, created_at)
               values (%s, %s, %s, %s, %s, %s, %s)""",
            events,
        )


def _videos(
    conn: psycopg.Connection[Any], store: ObjectStore, jobs: Sequence[dict[str, Any]]
) -> int:
    """The recent completed jobs' videos: the simulator's sample, stored as the copy worker
    stores a video (same key, a `files` row)."""
    sha256 = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    size = SAMPLE.stat().st_size
    kept = [j for j in jobs if j["status"] == "completed" and j["video_deleted_at"] is None]
    rows = []
    for job in kept:
        key = video_key(job["user_id"], job["id"])
        store.put_file(key, SAMPLE, "video/mp4", sha256)
        rows.append(
            (job["id"], job["user_id"], store.bucket, key, size, sha256, job["finished_at"])
        )
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(  # a video retention has since deleted (a run on a later day)
            """delete from public.files where job_id in (select id from public.jobs
               where school_id = %s and video_deleted_at is not null)""",
            (SCHOOL,),
        )
        cur.executemany(
            """insert into public.files (job_id, user_id, bucket, object_key, content_type,
                                         size_bytes, sha256, created_at)
               values (%s, %s, %s, %s, 'video/mp4', %s, %s, %s)
               on conflict (job_id) do update set object_key = excluded.object_key,
                 created_at = excluded.created_at""",
            rows,
        )
    return len(rows)


def _count(conn: psycopg.Connection[Any], summary: Summary) -> Summary:
    row = conn.execute(
        """select
             (select count(*) from public.profiles where school_id = %(s)s),
             (select count(*) from public.classes where school_id = %(s)s),
             (select count(*) from public.class_members m join public.classes c
                on c.id = m.class_id where c.school_id = %(s)s),
             (select count(*) from public.jobs where school_id = %(s)s),
             (select count(*) from public.jobs where school_id = %(s)s
                and video_kept_days is not null),
             (select count(*) from public.jobs where school_id = %(s)s and hidden_at is not null),
             (select count(*) from public.safety_events where school_id = %(s)s)""",
        {"s": SCHOOL},
    ).fetchone()
    assert row is not None
    (
        summary.accounts,
        summary.classes,
        summary.class_members,
        summary.jobs,
        summary.videos_deleted_by_retention,
        summary.hidden,
        summary.safety_events,
    ) = row
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--s3-port", type=int, default=int(os.environ.get("LOCAL_S3_PORT", "8333")))
    parser.add_argument("--skip-kpis", action="store_true")
    parser.add_argument("--web-url", default="http://127.0.0.1:8000/")
    args = parser.parse_args(argv)

    from videogen.local import kpis
    from videogen.local.object_store import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
    from videogen.storage.s3 import S3ObjectStore

    store = S3ObjectStore(
        "videos",
        endpoint_url=os.environ.get("STORAGE_ENDPOINT_URL", f"http://127.0.0.1:{args.s3_port}"),
        access_key_id=os.environ.get("STORAGE_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID),
        secret_access_key=os.environ.get("STORAGE_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY),
    )
    started = time.monotonic()
    url = kpis.with_password(args.database_url, os.environ.get("PGPASSWORD"))
    with psycopg.connect(url) as conn:
        summary = seed(conn, store, today=datetime.now(UTC).date())
    print(f"Demo school seeded in {time.monotonic() - started:.1f} s: {asdict(summary)}")
    if not args.skip_kpis:
        print(f"Running the KPI job over the last {HISTORY_DAYS} days (make kpis)...")
        code = kpis.main(["--days", str(HISTORY_DAYS), "--database-url", args.database_url])
        if code != 0:
            print("The KPI job failed; the demo data is in place (try make kpis).")
            return code
    print(f"\nSign in at {args.web_url} (make run) with password {DEMO_PASSWORD!r}:")
    for person in accounts()[:4]:
        print(f"  {person.role:8} {person.email}")
    print(f"  student  student02@{DOMAIN} ... student30@{DOMAIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
