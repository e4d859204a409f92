"""`videogen_app`, the role the functions run as (docs/architecture.md, "Database roles"):
each kind of statement the application runs succeeds through the app's own login, and what
it never needs (TRUNCATE, DDL, other columns, the audit trail's reads, `auth`) is refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from tests.db.test_privileges import DENIED, attempt, public_relations
from videogen.local.postgres import APP_LOGIN, APP_ROLES


@pytest.fixture
def app(app_database_url: str) -> Iterator[psycopg.Connection]:
    """A connection as the application's login (password, member of videogen_app); every
    change is rolled back."""
    with psycopg.connect(app_database_url) as conn:
        yield conn
        conn.rollback()


def _user(db: psycopg.Connection, email: str) -> uuid.UUID:
    (user_id,) = db.execute(
        "insert into auth.users (email) values (%s) returning id", (email,)
    ).fetchone()
    return user_id


def refused(conn: psycopg.Connection, statement: str | sql.Composable, *args: object) -> bool:
    """True if Postgres refuses `statement` for lack of a privilege (or ownership)."""
    try:
        with conn.transaction():
            conn.execute(statement, args or None)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_app_login_is_a_plain_member_of_videogen_app(db: psycopg.Connection) -> None:
    """No superuser, no BYPASSRLS, no role or database creation; row-level security applies."""
    rows = db.execute(
        """select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin
           from pg_roles where rolname in ('videogen_app', %s) order by rolname""",
        (APP_LOGIN,),
    ).fetchall()
    assert rows == [
        ("videogen_app", False, False, False, False, False),
        (APP_LOGIN, False, False, False, False, True),
    ]
    member_of = db.execute(
        """select array_agg(r.rolname order by r.rolname) from pg_auth_members m
           join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
           where u.rolname = %s""",
        (APP_LOGIN,),
    ).fetchone()
    assert member_of == (sorted(APP_ROLES),)


def test_app_runs_every_kind_of_statement_it_uses(app: psycopg.Connection, db) -> None:
    """The statements of generations/repository.py, copies/worker.py, webhooks/events.py,
    account/service.py, admin/service.py, auth/profiles.py, kpis/service.py and the KPI
    job's upsert (emr/kpi_io.py), in their shapes, as the app's login."""
    user = _user(db, "ada@school.example")
    (job,) = app.execute(
        "insert into public.jobs (user_id, model, prompt) values (%s, 'm', 'p') returning id",
        (user,),
    ).fetchone()
    reserved = app.execute(
        "select refused_scope from public.budget_reserve(%s, %s, null, null, 0.02, 0, 0)",
        (job, user),
    ).fetchone()
    assert reserved == (None,)
    app.execute("select id from public.jobs where id = %s for update", (job,))
    app.execute("update public.jobs set status = 'finishing' where id = %s", (job,))
    assert app.execute("select public.budget_settle(%s, 0.02)", (job,)).fetchone() == (2,)
    assert app.execute("select public.budget_release(%s)", (job,)).fetchone() == (0,)
    app.execute(
        """insert into public.files
             (job_id, user_id, bucket, object_key, content_type, size_bytes, sha256)
           values (%s, %s, 'videos', 'k', 'video/mp4', 1, repeat('a', 64))""",
        (job, user),
    )
    app.execute(
        """insert into public.webhook_events (request_id, job_id, outcome)
           select 'r', (select id from public.jobs where id = %s), 'finishing'""",
        (job,),
    )
    app.execute(
        "update public.profiles set role = 'teacher', updated_at = now() where id = %s", (user,)
    )
    app.execute(
        "update public.profiles set daily_video_cap = 7, daily_money_cap = 1.5 where id = %s",
        (user,),
    )
    assert app.execute(
        """select s.scope, s.cap, b.used from public.budget_scopes(%s, null, null, now()) s
           left join public.budget_balances b
             on b.scope = s.scope and b.scope_key = s.scope_key and b.period = s.period
           order by s.ord""",
        (user,),
    ).fetchall() == [("student_day", Decimal("1.50"), Decimal("0.02")), ("student_videos", 7, 1)]
    app.execute("delete from public.files where user_id = %s", (user,))
    app.execute(
        "update public.jobs set user_id = null, prompt = '[deleted]' where user_id = %s", (user,)
    )
    app.execute(
        """insert into public.kpi_spark_daily (job_date, jobs_total, updated_at)
           select job_date, jobs_total, now()
           from json_populate_recordset(null::public.kpi_spark_daily, %s::json)
           on conflict (job_date) do update set jobs_total = excluded.jobs_total""",
        ('[{"job_date": "2026-11-01", "jobs_total": 3}]',),
    )
    app.execute(
        """insert into public.kpi_spark_daily_models (job_date, model, updated_at)
           select job_date, model, now()
           from json_populate_recordset(null::public.kpi_spark_daily_models, %s::json)
           on conflict (job_date, model) do update set updated_at = now()""",
        ('[{"job_date": "2026-11-01", "model": "m"}]',),
    )
    app.execute(
        "delete from public.kpi_spark_daily_models where job_date = '2026-11-01'"
        " and updated_at <> now()"
    )
    assert app.execute("select count(*) from public.kpi_spark_daily").fetchone() == (1,)


def test_app_runs_the_per_school_kpi_statements(app: psycopg.Connection, db) -> None:
    """Issue 16: the KPI job's upsert and stale-row deletion (emr/kpi_io.py) and the
    dashboard's reads (kpis/service.py) of kpi_school_daily and kpi_class_daily, as the
    app's login; it may not truncate them."""
    (school,) = db.execute("insert into public.schools (name) values ('K') returning id").fetchone()
    (klass,) = db.execute(
        "insert into public.classes (school_id, name) values (%s, 'C') returning id", (school,)
    ).fetchone()
    db.commit()
    for table, keys, row in (
        ("kpi_school_daily", "school_id, job_date", {"school_id": str(school)}),
        (
            "kpi_class_daily",
            "class_id, job_date",
            {"class_id": str(klass), "school_id": str(school)},
        ),
    ):
        names = ", ".join((*row, "job_date", "jobs_total"))
        app.execute(
            f"""insert into public.{table} ({names}, updated_at)
                select {names}, now()
                from json_populate_recordset(null::public.{table}, %s::json)
                on conflict ({keys}) do update set jobs_total = excluded.jobs_total,
                  updated_at = now()""",
            (json.dumps([{**row, "job_date": "2026-11-01", "jobs_total": 3}]),),
        )
        assert app.execute(
            f"select jobs_total from public.{table} where school_id = %s", (school,)
        ).fetchone() == (3,)
        app.execute(
            f"delete from public.{table} where job_date between '2026-11-01' and '2026-11-01'"
            " and updated_at <> now()"
        )
        assert refused(app, f"truncate public.{table}"), table


def test_app_runs_the_erasure_statements(app: psycopg.Connection, db) -> None:
    """Issue 13, "Erasure": account/erasure.py and account/usage.py as the app's login; it
    never rewrites a marker, and `anon`/`authenticated` see neither table (test_privileges)."""
    user = _user(db, "ada@school.example")
    app.execute(
        "insert into public.account_erasures (user_id) values (%s) on conflict do nothing", (user,)
    )
    app.execute("select id from public.jobs where user_id = %s for update", (user,))
    assert app.execute(
        "select 1 from public.account_erasures where user_id = %s", (user,)
    ).fetchone() == (1,)
    assert refused(app, "update public.account_erasures set started_at = now()")
    app.execute("delete from public.erased_usage where day < current_date")
    for used in (2, 1):
        app.execute(
            """insert into public.erased_usage as e (email_hash, day, used)
               values (repeat('a', 64), current_date, %s)
               on conflict (email_hash, day)
               do update set used = greatest(e.used, excluded.used)""",
            (used,),
        )
    assert app.execute(
        "select used from public.erased_usage where email_hash = repeat('a', 64)"
        " and day = current_date"
    ).fetchone() == (2,)
    app.execute("delete from public.account_erasures where user_id = %s", (user,))


def test_app_runs_the_admin_job_action_statements(app: psycopg.Connection, db) -> None:
    """Issue 14, "Day two": admin/repository.py appends an action and reads the last fail
    back as the app's login; the audit trail is never rewritten nor deleted by the app."""
    user = _user(db, "head@school.example")
    (job,) = app.execute(
        "insert into public.jobs (user_id, model, prompt) values (%s, 'm', 'p') returning id",
        (user,),
    ).fetchone()
    app.execute(
        "update public.jobs set status = 'failed', error = 'r', error_code = 'failed_by_admin'"
        " where id = %s",
        (job,),
    )
    (action,) = app.execute(
        """insert into public.job_admin_actions
             (job_id, admin_id, action, outcome, reason, fal_answer)
           values (%s, %s, 'fail', 'failed', 'r', 'CANCELLATION_REQUESTED') returning id""",
        (job, user),
    ).fetchone()
    assert app.execute(
        """select reason from public.job_admin_actions
           where job_id = %s and action = 'fail' order by created_at desc, id desc limit 1""",
        (job,),
    ).fetchone() == ("r",)
    for statement in (
        "update public.job_admin_actions set reason = 'rewritten' where id = %s",
        "delete from public.job_admin_actions where id = %s",
    ):
        assert refused(app, statement, action), statement
    assert refused(app, "truncate public.job_admin_actions")


def test_a_fail_action_needs_a_reason_of_at_most_500_characters(db) -> None:
    user = _user(db, "head@school.example")
    (job,) = db.execute(
        "insert into public.jobs (user_id, model, prompt) values (%s, 'm', 'p') returning id",
        (user,),
    ).fetchone()
    for reason in (None, "", "x" * 501):
        with pytest.raises(psycopg.errors.CheckViolation), db.transaction():
            db.execute(
                """insert into public.job_admin_actions (job_id, admin_id, action, outcome, reason)
                   values (%s, %s, 'fail', 'failed', %s)""",
                (job, user, reason),
            )


def test_app_role_cannot_truncate_or_change_the_schema(app: psycopg.Connection) -> None:
    """TRUNCATE ignores row-level security, and DDL is the migrations' job (as the owner)."""
    for relation in public_relations(app):
        target = sql.Identifier("public", relation.name)
        if relation.is_table:
            assert refused(app, sql.SQL("truncate {} cascade").format(target)), relation.name
            assert refused(app, sql.SQL("drop table {} cascade").format(target)), relation.name
            assert refused(app, sql.SQL("alter table {} add column extra int").format(target)), (
                relation.name
            )
            assert refused(
                app, sql.SQL("alter table {} disable row level security").format(target)
            ), relation.name
        else:
            assert refused(app, sql.SQL("drop view {}").format(target)), relation.name
    for statement in (
        "create table public.mine (id int)",
        "create schema mine",
        "create function public.mine() returns int language sql as 'select 1'",
        "create policy mine on public.jobs for select to videogen_app using (true)",
        "create role mine",
        "alter role videogen_app bypassrls",
        "set role postgres",
    ):
        assert refused(app, statement), statement


def test_app_role_cannot_change_what_the_app_never_changes(
    app: psycopg.Connection, db: psycopg.Connection
) -> None:
    """Identity columns of a profile, role defaults, deleting jobs, rewriting stored files,
    reading or rewriting the webhook audit trail."""
    user = _user(db, "ada@school.example")
    for statement in (
        "update public.profiles set email = 'eve@evil.example' where id = %s",
        "update public.profiles set display_name = 'x' where id = %s",
        "update public.profiles set id = gen_random_uuid() where id = %s",
        "delete from public.profiles where id = %s",
        "insert into public.profiles (id, email) values (%s, 'x@y.z')",
        "delete from public.jobs where user_id = %s",
        "update public.files set object_key = 'elsewhere' where user_id = %s",
        "update public.budget_ledger set amount = 0 where user_id = %s",
        "update public.budget_ledger set user_id = null where user_id = %s",
        "delete from public.budget_ledger where user_id = %s",
    ):
        assert refused(app, statement, user), statement
    for statement in (
        "truncate public.budget_ledger",
        "delete from public.school_role_limits",
        "select * from public.webhook_events",
        "update public.webhook_events set outcome = 'x'",
        "delete from public.webhook_events",
        "delete from public.kpi_spark_daily",
        "select public.is_admin()",
    ):
        assert refused(app, statement), statement


def test_production_app_role_cannot_read_auth_users(db: psycopg.Connection) -> None:
    """Production's role has nothing in `auth` (Supabase Auth owns it; profiles come from a
    security-definer trigger). Only the local login adds the local identity store's share."""
    for table in ("auth.users", "auth.sessions", "auth.refresh_tokens"):
        for command in ("select", "insert", "update", "delete"):
            granted = db.execute(
                "select has_table_privilege('videogen_app', %s, %s)", (table, command)
            ).fetchone()
            assert granted == (False,), (table, command)
    with db.transaction():
        assert attempt(db, "videogen_app", "select email from auth.users") == DENIED
        assert attempt(db, "videogen_app", "delete from auth.users") == DENIED


def test_signing_up_creates_the_profile_without_the_app_writing_profiles(
    app: psycopg.Connection,
) -> None:
    """The profile comes from the security-definer trigger on auth.users: the app's login
    needs no INSERT on profiles (and has none, see above)."""
    (user,) = app.execute(
        "insert into auth.users (email) values ('new@school.example') returning id"
    ).fetchone()
    assert app.execute("select role from public.profiles where id = %s", (user,)).fetchone() == (
        "student",
    )


def test_app_runs_the_safety_and_oversight_statements(app_database_url: str, db) -> None:
    """Issue 15: the safety events' and teacher oversight's own functions, run as the app's
    login (a refused prompt's event, hiding a video, the activity log, the scoped reads)."""
    from psycopg.rows import dict_row

    from videogen.auth.members import Member
    from videogen.auth.tokens import AuthenticatedUser
    from videogen.generations import repository as jobs
    from videogen.safety import events
    from videogen.schools import activity, oversight
    from videogen.schools.scope import student_work

    student, teacher = _user(db, "pupil@school.example"), _user(db, "miss@school.example")
    (school,) = db.execute("insert into public.schools (name) values ('S') returning id").fetchone()
    (klass,) = db.execute(
        "insert into public.classes (school_id, name) values (%s, 'C') returning id", (school,)
    ).fetchone()
    db.execute(
        "insert into public.class_members (class_id, user_id, role)"
        " values (%s, %s, 'student'), (%s, %s, 'teacher')",
        (klass, student, klass, teacher),
    )
    try:
        with psycopg.connect(app_database_url, row_factory=dict_row) as conn:
            member = Member(AuthenticatedUser(teacher, None, None, {}), "teacher", school)
            assert events.prompt_context(conn, student) is not None
            events.record(
                conn,
                school_id=school,
                class_id=klass,
                user_id=student,
                rule="school",
                prompt="p",
                model="m",
            )
            assert events.count_events(conn, member, since=None) == 1
            assert len(events.list_events(conn, member, cursor=None, limit=5)[0]) == 1
            (job,) = (
                conn.execute(
                    "insert into public.jobs (user_id, school_id, model, prompt)"
                    " values (%s, %s, 'm', 'p') returning id",
                    (student, school),
                )
                .fetchone()
                .values()
            )
            scope = student_work(member, user_column="j.user_id", school_column="j.school_id")
            assert jobs.lock_job_in_reach(conn, job, scope) is not None
            jobs.set_hidden(conn, job, by=teacher, reason="r")
            activity.append(conn, school_id=school, actor_id=teacher, action="video.hide")
            found = oversight.find_class(conn, member, klass)
            assert found is not None and len(oversight.roster(conn, found)) == 1
            assert len(oversight.videos(conn, found, cursor=None, limit=5)[0]) == 1
            conn.rollback()
    finally:
        db.execute("delete from public.schools where id = %s", (school,))


def test_app_runs_the_retention_statements(app: psycopg.Connection, db) -> None:
    """Issue 15, retention: retention/service.py's search for expired videos,
    storage/deletion.py's row deletion with its job marked, and the removal of old refused
    prompts' text, as the app's login."""
    from videogen.retention.service import DEFAULT_SCHOOL, EXPIRED, REMOVE_OLD_PROMPTS
    from videogen.storage.deletion import DELETE_ROWS

    user = _user(db, "ada@school.example")
    (job,) = app.execute(
        "insert into public.jobs (user_id, model, prompt) values (%s, 'm', 'p') returning id",
        (user,),
    ).fetchone()
    app.execute(
        """insert into public.files
             (job_id, user_id, bucket, object_key, content_type, size_bytes, sha256, created_at)
           values (%s, %s, 'videos', 'k', 'video/mp4', 1, repeat('a', 64),
                   now() - interval '400 days')""",
        (job, user),
    )
    args = {"default_school": DEFAULT_SCHOOL, "bucket": "videos", "skip": [], "limit": 5}
    assert [r[0] for r in app.execute(EXPIRED, args)] == ["k"]
    app.execute(DELETE_ROWS, {"bucket": "videos", "keys": ["k"], "days": [90]})
    assert app.execute(
        "select video_deleted_at is not null, video_kept_days from public.jobs where id = %s",
        (job,),
    ).fetchone() == (True, 90)
    assert app.execute("select count(*) from public.files").fetchone() == (0,)
    (event,) = db.execute(
        """insert into public.safety_events (school_id, rule, prompt, created_at)
           values (%s, 'school', 'p', now() - interval '400 days') returning id""",
        (DEFAULT_SCHOOL,),
    ).fetchone()
    assert app.execute(REMOVE_OLD_PROMPTS, {"limit": 5}).rowcount == 1
    # the prompt text only: the rest of a safety event is never rewritten or deleted
    assert refused(app, "update public.safety_events set rule = 'x' where id = %s", event)
    assert refused(app, "update public.safety_events set user_id = null where id = %s", event)
    assert refused(app, "delete from public.safety_events where id = %s", event)


def test_app_runs_the_tenancy_statements(app: psycopg.Connection, db) -> None:
    """Issue 15, the tenancy slice: schools/school_repository.py creates and changes a
    school, schools/activity.py appends and reads the log, admin/service.py moves a user
    (school_id) and takes them out of the old school's classes; a job inserted by the app
    takes its owner's school (the trigger runs under the app's grants). The log is never
    rewritten by the app."""
    user = _user(db, "ada@school.example")
    default = "00000000-0000-0000-0000-000000000001"
    db.execute("update public.profiles set school_id = %s where id = %s", (default, user))
    db.commit()
    (school,) = app.execute(
        "insert into public.schools (name, time_zone) values ('B', 'UTC') returning id"
    ).fetchone()
    app.execute(
        "update public.schools set blocklist_terms = %s, allowed_models = %s,"
        " updated_at = now() where id = %s",
        (["dragon"], None, school),
    )
    assert app.execute("select name from public.schools where id = %s for update", (school,))
    (job,) = app.execute(
        "insert into public.jobs (user_id, model, prompt) values (%s, 'm', 'p') returning id",
        (user,),
    ).fetchone()
    assert app.execute("select school_id from public.jobs where id = %s", (job,)).fetchone() == (
        uuid.UUID(default),
    )
    (class_id,) = app.execute(
        "insert into public.classes (school_id, name) values (%s, '7B') returning id", (default,)
    ).fetchone()
    app.execute(
        "insert into public.class_members (class_id, user_id, role) values (%s, %s, 'student')",
        (class_id, user),
    )
    app.execute(
        "update public.profiles set school_id = %s, updated_at = now() where id = %s",
        (school, user),
    )
    assert (
        app.execute(
            """delete from public.class_members m using public.classes c
               where c.id = m.class_id and m.user_id = %s and c.school_id is distinct from %s""",
            (user, school),
        ).rowcount
        == 1
    )
    app.execute(
        """insert into public.school_activity
             (school_id, actor_id, action, subject_type, subject_id, details)
           values (%s, %s, 'school.update', 'school', %s, '{}')""",
        (school, user, school),
    )
    assert app.execute(
        """select a.action, p.email from public.school_activity a
           left join public.profiles p on p.id = a.actor_id
           where a.school_id = %s order by a.created_at desc, a.id desc limit 2""",
        (school,),
    ).fetchall() == [("school.update", "ada@school.example")]
    for statement in (
        "update public.school_activity set action = 'x' where school_id = %s",
        "delete from public.school_activity where school_id = %s",
    ):
        assert refused(app, statement, school), statement


def test_app_runs_the_enrolment_and_class_statements(app: psycopg.Connection, db) -> None:
    """Issue 15: schools/repository.py's statements as the app's login: a class with its
    teacher, a join code consumed, a pending enrolment recorded that the auth.users trigger
    (security definer) applies: profile school and role, class membership, row deleted."""
    teacher = _user(db, "teacher@school.example")
    school = "00000000-0000-0000-0000-000000000001"
    (class_id,) = app.execute(
        "insert into public.classes (school_id, name, created_by) values (%s, 'c', %s)"
        " returning id",
        (school, teacher),
    ).fetchone()
    app.execute(
        "insert into public.class_members (class_id, user_id, role) values (%s, %s, 'teacher')",
        (class_id, teacher),
    )
    app.execute(
        "insert into public.join_codes (class_id, code_hash, expires_at, max_uses, created_by)"
        " values (%s, repeat('a', 64), now() + interval '1 hour', 2, %s)",
        (class_id, teacher),
    )
    consumed = app.execute(
        """update public.join_codes j set uses = j.uses + 1 from public.classes c
           where j.code_hash = repeat('a', 64) and c.id = j.class_id and c.archived_at is null
             and j.revoked_at is null and j.expires_at > now() and j.uses < j.max_uses
           returning j.id, c.id, c.school_id"""
    ).fetchone()
    assert consumed is not None
    app.execute("delete from public.pending_enrolments where expires_at <= now()")
    app.execute(
        """insert into public.pending_enrolments
             (email_sha256, school_id, class_id, role, expires_at)
           values (encode(sha256(convert_to(lower(trim(%s)), 'UTF8')), 'hex'), %s, %s,
                   'student', now() + interval '1 hour')
           on conflict (email_sha256) do update set class_id = excluded.class_id""",
        (" Pupil@School.Example", school, class_id),
    )
    (pupil,) = app.execute(  # the local identity's insert (Supabase Auth's, in production)
        "insert into auth.users (email) values ('pupil@school.example') returning id"
    ).fetchone()
    assert app.execute(
        "select role, school_id::text from public.profiles where id = %s", (pupil,)
    ).fetchone() == ("student", school)
    assert app.execute(
        "select role from public.class_members where class_id = %s and user_id = %s",
        (class_id, pupil),
    ).fetchone() == ("student",)
    assert app.execute("select count(*) from public.pending_enrolments").fetchone() == (0,)
    app.execute(
        "delete from public.class_members where class_id = %s and user_id = %s and role ="
        " 'student' returning user_id",
        (class_id, pupil),
    )
    app.execute(
        "insert into public.school_activity (school_id, actor_id, action, subject_type,"
        " subject_id, details) values (%s, %s, 'member.remove', 'user', %s, '{}'::jsonb)",
        (school, teacher, pupil),
    )
    for statement in (
        "truncate public.pending_enrolments",
        "update public.school_activity set action = 'x'",
        "delete from public.school_activity",
        "delete from public.join_codes",
        "delete from public.classes",
    ):
        assert refused(app, statement), statement
