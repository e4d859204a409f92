"""Schema: migrations applied by the project's runner, recorded like the Supabase CLI,
row-level security as Supabase enforces it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import BOOTSTRAP, MIGRATIONS
from videogen.db.migrations import discover, migrate
from videogen.local.postgres import EmbeddedPostgres


def test_runner_records_versions_and_second_run_changes_nothing(
    postgres: EmbeddedPostgres,
) -> None:
    url = postgres.create_database(f"mig_{uuid.uuid4().hex[:8]}")
    versions = [m.version for m in discover(MIGRATIONS)]
    assert migrate(url, MIGRATIONS, BOOTSTRAP) == versions
    assert migrate(url, MIGRATIONS, BOOTSTRAP) == []
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select version, name, statements from supabase_migrations.schema_migrations"
            " order by version"
        ).fetchall()
    assert [r[0] for r in rows] == versions
    assert all(r[1] and r[2] for r in rows)


def test_badly_named_migration_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "001_init.sql").write_text("select 1;")
    with pytest.raises(ValueError, match="14 digits"):
        discover(tmp_path)


def test_failed_migration_leaves_nothing_behind(postgres: EmbeddedPostgres, tmp_path: Path) -> None:
    url = postgres.create_database(f"mig_{uuid.uuid4().hex[:8]}")
    (tmp_path / "20990101000000_good.sql").write_text("create table good (id int);")
    (tmp_path / "20990101000001_bad.sql").write_text("create table half (id int); select nope;")
    with pytest.raises(psycopg.errors.UndefinedColumn):
        migrate(url, tmp_path)
    with psycopg.connect(url) as conn:
        applied = conn.execute(
            "select version from supabase_migrations.schema_migrations"
        ).fetchall()
        assert applied == [("20990101000000",)]
        assert conn.execute("select to_regclass('public.half')").fetchone() == (None,)


def _new_user(conn: psycopg.Connection, email: str) -> uuid.UUID:
    row = conn.execute(
        "insert into auth.users (email, raw_user_meta_data) values (%s, %s) returning id",
        (email, json.dumps({"display_name": email.split("@")[0]})),
    ).fetchone()
    return row[0]


def _as_user(conn: psycopg.Connection, user_id: uuid.UUID) -> None:
    conn.execute("set role authenticated")
    conn.execute(
        "select set_config('request.jwt.claims', %s, true)",
        (json.dumps({"sub": str(user_id), "role": "authenticated"}),),
    )


def test_trigger_creates_a_student_profile(db) -> None:
    user_id = _new_user(db, "ada@school.example")
    row = db.execute(
        "select email, display_name, role, daily_video_cap from public.profiles where id = %s",
        (user_id,),
    ).fetchone()
    assert row == ("ada@school.example", "ada", "student", None)


def test_rls_users_see_only_their_own_rows(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        ada, bob = _new_user(conn, "ada@s.example"), _new_user(conn, "bob@s.example")
        for owner in (ada, ada, bob):
            conn.execute(
                "insert into public.jobs (user_id, model, prompt) values (%s, 'm', 'p')",
                (owner,),
            )
        conn.execute(
            "insert into public.kpi_spark_daily (job_date, jobs_total) values (current_date, 3)"
        )
        _as_user(conn, ada)
        assert conn.execute("select count(*) from public.jobs").fetchone() == (2,)
        assert conn.execute("select id from public.profiles").fetchall() == [(ada,)]
        assert conn.execute("select count(*) from public.kpi_spark_daily").fetchone() == (0,)
        # webhook_events: no privilege at all now (tests/db/test_privileges.py)
        # budgets: no Data API access at all (tests/db/test_privileges.py)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from public.budget_balances")
        conn.rollback()


def test_daily_video_cap_is_the_override_else_the_roles_in_the_school(db) -> None:
    ada, bob = _new_user(db, "ada@s.example"), _new_user(db, "bob@s.example")
    school = db.execute("insert into public.schools (name) values ('S') returning id").fetchone()
    db.execute("update public.profiles set school_id = %s", (school[0],))
    db.execute("update public.profiles set daily_video_cap = 12 where id = %s", (ada,))
    db.execute("update public.profiles set role = 'teacher' where id = %s", (bob,))
    caps = {
        user: db.execute(
            "select cap from public.budget_scopes(%s, %s, null, now())"
            " where scope = 'student_videos'",
            (user, school[0]),
        ).fetchone()
        for user in (ada, bob)
    }
    assert caps == {ada: (12,), bob: (20,)}


def test_counting_tables_are_gone(db) -> None:
    """Budgets replaced counting (20261128000200_drop_counting.sql)."""
    gone = db.execute(
        "select count(*) from pg_catalog.pg_class where relnamespace = 'public'::regnamespace"
        " and relname in ('quota_usage', 'role_quotas', 'effective_quotas')"
    ).fetchone()
    assert gone == (0,)


def test_rls_operator_reads_kpis_and_all_jobs_school_admin_only_their_schools(
    database_url: str,
) -> None:
    """Issue 15: an admin is the admin of one school; the deployment-wide KPIs and every
    school's jobs are the operators' (supabase/migrations/20261127000300_tenancy.sql)."""
    with psycopg.connect(database_url) as conn:
        admin, bob = _new_user(conn, "admin@s.example"), _new_user(conn, "bob@s.example")
        operator = _new_user(conn, "ops@s.example")
        (other,) = conn.execute(
            "insert into public.schools (name) values ('Other') returning id"
        ).fetchone()
        default = "00000000-0000-0000-0000-000000000001"
        conn.execute(
            "update public.profiles set role = 'admin', school_id = %s where id = %s",
            (default, admin),
        )
        conn.execute("update public.profiles set school_id = %s where id = %s", (other, bob))
        conn.execute("update public.profiles set role = 'operator' where id = %s", (operator,))
        conn.execute(
            "insert into public.jobs (user_id, model, prompt) values (%s, 'fal-ai/ltx-video', 'p')",
            (bob,),
        )
        conn.execute(
            "insert into public.kpi_spark_daily (job_date, jobs_total) values (current_date, 1)"
        )
        # the job took its owner's school (the trigger)
        assert conn.execute("select school_id from public.jobs").fetchone() == (other,)
        conn.execute("savepoint before")
        _as_user(conn, admin)
        assert conn.execute("select count(*) from public.jobs").fetchone() == (0,)
        assert conn.execute("select count(*) from public.kpi_spark_daily").fetchone() == (0,)
        conn.execute("rollback to savepoint before")
        _as_user(conn, operator)
        assert conn.execute("select count(*) from public.jobs").fetchone() == (1,)
        assert conn.execute("select count(*) from public.kpi_spark_daily").fetchone() == (1,)
        conn.rollback()


def test_schema_rejects_bad_rows(db) -> None:
    user_id = _new_user(db, "ada@s.example")
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(
            "insert into public.jobs (user_id, model, prompt, status)"
            " values (%s, 'm', 'p', 'done')",
            (user_id,),
        )
    with pytest.raises(psycopg.errors.CheckViolation):  # a CHECK since role_quotas went
        db.execute("update public.profiles set role = 'superuser' where id = %s", (user_id,))


def test_duration_is_derived_from_timestamps(db) -> None:
    user_id = _new_user(db, "ada@s.example")
    row = db.execute(
        """insert into public.jobs (user_id, model, prompt, created_at, submitted_at, finished_at)
           values (%s, 'm', 'p',
                   '2026-01-01 10:00Z', '2026-01-01 10:00:02Z', '2026-01-01 10:01:32Z')
           returning duration_seconds""",
        (user_id,),
    ).fetchone()
    assert row == (90.0,)
