"""Schools, classes and jobs for tests (and the schools tests' registration, sign-in and
class-with-a-code helpers), written with SQL (test setup: the same tables and
columns the schools routes write), and a second school with its own users for the tenancy
tests, registered through the auth function with real tokens. Every scoping test uses these."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from tests.support.users import DEFAULT_SCHOOL, PASSWORD, User

__all__ = [
    "DEFAULT_SCHOOL",
    "School",
    "error",
    "join_school",
    "make_class",
    "make_job",
    "make_school",
    "new_class",
    "profile",
    "register",
    "school_with_users",
    "sign_in",
    "user_by_email",
]


def user_by_email(db: psycopg.Connection, email: str) -> User:
    """A user registered through the web client (no token here: the browser holds it)."""
    row = db.execute("select id from public.profiles where email = %s", (email,)).fetchone()
    assert row is not None, email
    return User(row[0], email, "")


def make_school(db: psycopg.Connection | str, name: str = "Test school", **columns: object) -> UUID:
    """A school row (as an operator's POST /admin/schools makes), on a connection or a URL."""
    if isinstance(db, str):
        with psycopg.connect(db) as conn:
            return make_school(conn, name, **columns)
    names = ["name", *columns]
    row = db.execute(
        f"insert into public.schools ({', '.join(names)})"
        f" values ({', '.join(['%s'] * len(names))}) returning id",
        [name, *columns.values()],
    ).fetchone()
    assert row is not None
    return row[0]


def join_school(db: psycopg.Connection, school_id: UUID, *users: User) -> None:
    for user in users:
        db.execute("update public.profiles set school_id = %s where id = %s", (school_id, user.id))


def make_class(
    db: psycopg.Connection,
    school_id: UUID,
    name: str = "7B Science",
    *,
    teachers: tuple[User, ...] = (),
    students: tuple[User, ...] = (),
) -> UUID:
    """A class of `school_id` with its members (each also joined to the school)."""
    row = db.execute(
        "insert into public.classes (school_id, name) values (%s, %s) returning id",
        (school_id, name),
    ).fetchone()
    assert row is not None
    class_id: UUID = row[0]
    join_school(db, school_id, *teachers, *students)
    for role, members in (("teacher", teachers), ("student", students)):
        for user in members:
            db.execute(
                "insert into public.class_members (class_id, user_id, role) values (%s, %s, %s)",
                (class_id, user.id, role),
            )
    return class_id


def make_job(
    db: psycopg.Connection,
    user: User,
    school_id: UUID,
    *,
    prompt: str = "a volcano erupting",
    status: str = "completed",
    with_video: bool = True,
) -> UUID:
    """A job as the service leaves it; `with_video`: its copied file too."""
    row = db.execute(
        """insert into public.jobs (user_id, school_id, model, prompt, status,
                                    cost_estimate_usd, finished_at)
           values (%s, %s, 'fal-ai/ltx-video', %s, %s, 0.02,
                   case when %s in ('completed', 'failed', 'cancelled') then now() end)
           returning id""",
        (user.id, school_id, prompt, status, status),
    ).fetchone()
    assert row is not None
    job_id: UUID = row[0]
    if with_video:
        db.execute(
            """insert into public.files (job_id, user_id, bucket, object_key, content_type,
                                         size_bytes, sha256)
               values (%s, %s, 'videos', %s, 'video/mp4', 1234, %s)""",
            (job_id, user.id, f"{user.id}/{job_id}.mp4", hashlib.sha256(b"x").hexdigest()),
        )
    return job_id


@dataclass(frozen=True)
class School:
    id: UUID
    name: str
    admin: User
    teacher: User
    student: User


def school_with_users(
    database_url: str, make_user: Callable[..., User], name: str = "Second school"
) -> School:
    """A new school with an admin, a teacher and a student of its own."""
    school_id = make_school(database_url, name)
    slug = name.lower().replace(" ", "-")
    return School(
        id=school_id,
        name=name,
        admin=make_user(role="admin", email=f"head@{slug}.example", school=school_id),
        teacher=make_user(role="teacher", email=f"teacher@{slug}.example", school=school_id),
        student=make_user(email=f"student@{slug}.example", school=school_id),
    )


def error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def register(auth_api: TestClient, email: str, **extra: str) -> tuple[int, dict]:
    response = auth_api.post(
        "/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "New", **extra},
    )
    return response.status_code, response.json()


def sign_in(auth_api: TestClient, email: str) -> User:
    response = auth_api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    return User(uuid.UUID(body["user"]["id"]), email, body["access_token"])


def profile(db: psycopg.Connection, email: str) -> dict | None:
    row = db.execute(
        "select id, role, school_id from public.profiles where email = %s", (email,)
    ).fetchone()
    return None if row is None else {"id": row[0], "role": row[1], "school_id": row[2]}


def new_class(admin_api: TestClient, teacher: User, name: str = "Year 9 Art", **code) -> dict:
    """A class with a fresh join code: the class and the code (shown once)."""
    made = admin_api.post("/classes", json={"name": name}, headers=teacher.headers)
    assert made.status_code == 201, made.text
    rotated = admin_api.post(
        f"/classes/{made.json()['id']}/join-code", json=code, headers=teacher.headers
    )
    assert rotated.status_code == 201, rotated.text
    return {**made.json(), "join_code": rotated.json()["code"]}
