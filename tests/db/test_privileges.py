"""Who may do what in the database (issue 13, "Database privileges"; docs/security.md).

Every table and view in `public` is found in the catalog, so a new one is tried too: as
`anon` (the public anon key), as a signed-in student whose neighbour's rows are in reach, as
an admin, and as `videogen_app`, the role the functions run as. Supabase's Data API sets the
role and the claims exactly this way (`set local role`, `request.jwt.claims`):
https://supabase.com/docs/guides/database/postgres/row-level-security#authenticated-and-unauthenticated-roles
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.conftest import BOOTSTRAP
from videogen.db.migrations import apply_sql_file

DENIED = "denied"
NOT_UPDATABLE = "view not updatable"
COMMANDS = ("select", "insert", "update", "delete", "truncate")


@dataclass(frozen=True)
class Reads:
    """What a signed-in user's SELECT returns: `own` rows (those whose `owner` column is the
    user), `school` rows (own school's: `school_id` is the reader's school), `all` rows, or
    `none` (allowed, but no row passes the policy)."""

    owner: str | None
    student: str
    admin: str  # the admin of ONE school (issue 15)
    operator: str  # runs the deployment


#: The SELECT policies; a relation not named here is closed to `anon` and `authenticated`
#: alike (no privilege at all), which is what a new table gets by default.
READS = {
    "profiles": Reads("id", "own", "own", "own"),
    "jobs": Reads("user_id", "own", "school", "all"),
    "files": Reads("user_id", "own", "own", "own"),
    "kpi_spark_daily": Reads(None, "none", "none", "all"),
    "kpi_spark_daily_models": Reads(None, "none", "none", "all"),
}
DEFAULT_SCHOOL = uuid.UUID("00000000-0000-0000-0000-000000000001")


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str  # pg_class.relkind: r table, p partitioned table, v view, m materialized view
    first_column: str

    @property
    def is_table(self) -> bool:
        return self.kind in ("r", "p")

    def statement(self, command: str) -> sql.Composed:
        target = sql.Identifier("public", self.name)
        column = sql.Identifier(self.first_column)
        return {
            "select": sql.SQL("select * from {}").format(target),
            "insert": sql.SQL("insert into {} default values").format(target),
            "update": sql.SQL("update {} set {} = {}").format(target, column, column),
            "delete": sql.SQL("delete from {}").format(target),
            "truncate": sql.SQL("truncate {}").format(target),
        }[command]


def public_relations(conn: psycopg.Connection) -> list[Relation]:
    rows = conn.execute(
        """select c.relname, c.relkind::text,
                  (select a.attname from pg_attribute a
                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                     and a.attgenerated = '' and a.attidentity <> 'a'
                   order by a.attnum limit 1)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
           order by c.relname"""
    ).fetchall()
    return [Relation(*row) for row in rows]


def attempt(
    conn: psycopg.Connection,
    role: str,
    statement: sql.Composable | str,
    claims: dict[str, Any] | None = None,
) -> Any:
    """Runs `statement` as `role` in a savepoint that is always rolled back: the rows it
    returns, the row count, or DENIED when Postgres refuses the privilege."""
    outcome: Any = None
    try:
        with conn.transaction() as savepoint:
            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            if claims is not None:
                conn.execute(
                    "select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),)
                )
            cursor = conn.execute(statement)
            outcome = cursor.fetchall() if cursor.description else cursor.rowcount
            raise psycopg.Rollback(savepoint)
    except psycopg.errors.InsufficientPrivilege:
        return DENIED
    except psycopg.errors.ObjectNotInPrerequisiteState:  # checked before the privilege
        return NOT_UPDATABLE
    except psycopg.errors.FeatureNotSupported:  # truncate allowed, stopped by a foreign key
        return "allowed, stopped by a foreign key"
    return outcome


def claims_of(user_id: uuid.UUID) -> dict[str, Any]:
    return {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"}


@dataclass(frozen=True)
class World:
    conn: psycopg.Connection
    student: uuid.UUID
    neighbour: uuid.UUID
    admin: uuid.UUID
    stranger: uuid.UUID  # a student of another school
    operator: uuid.UUID


def _user(
    conn: psycopg.Connection,
    email: str,
    role: str = "student",
    school: uuid.UUID | None = DEFAULT_SCHOOL,
) -> uuid.UUID:
    (user_id,) = conn.execute(
        "insert into auth.users (email) values (%s) returning id", (email,)
    ).fetchone()
    conn.execute(
        "update public.profiles set role = %s, school_id = %s where id = %s",
        (role, school, user_id),
    )
    return user_id


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    """Two students and an admin of the default school, a student of another school and an
    operator, with a row of their own in every per-user table, plus a delivery and the KPIs;
    all written as the superuser and rolled back afterwards."""
    with psycopg.connect(database_url) as conn:
        student = _user(conn, "ada@school.example")
        neighbour = _user(conn, "bob@school.example")
        admin = _user(conn, "head@school.example", "admin")
        (other,) = conn.execute(
            "insert into public.schools (name) values ('Other school') returning id"
        ).fetchone()
        stranger = _user(conn, "cy@other.example", school=other)
        operator = _user(conn, "ops@deploy.example", "operator", school=None)
        for owner in (student, neighbour, admin, stranger, operator):
            (job_id,) = conn.execute(
                "insert into public.jobs (user_id, model, prompt) values (%s, 'm', 'p')"
                " returning id",
                (owner,),
            ).fetchone()
            conn.execute(
                """insert into public.files
                     (job_id, user_id, bucket, object_key, content_type, size_bytes, sha256)
                   values (%s, %s, 'videos', %s, 'video/mp4', 1, repeat('a', 64))""",
                (job_id, owner, f"videos/{owner}/{job_id}.mp4"),
            )
            conn.execute(  # ledger rows (and so balances) for everyone
                "select public.budget_reserve(%s, %s, (select school_id from public.profiles"
                " where id = %s), null, 0.02)",
                (job_id, owner, owner),
            )
        conn.execute("insert into public.webhook_events (outcome) values ('finishing')")
        conn.execute(
            """insert into public.job_admin_actions (job_id, admin_id, action, outcome, reason)
               select id, %s, 'fail', 'failed', 'stuck' from public.jobs where user_id = %s""",
            (admin, student),
        )
        conn.execute("insert into public.kpi_spark_daily (job_date) values (current_date)")
        conn.execute(
            "insert into public.kpi_spark_daily_models (job_date, model) values (current_date, 'm')"
        )
        # per-school and per-class KPIs (issue 16): the API's only, closed to the Data API
        conn.execute(
            "insert into public.kpi_school_daily (school_id, job_date) values (%s, current_date)",
            (DEFAULT_SCHOOL,),
        )
        conn.execute(
            """with c as (insert into public.classes (school_id, name) values (%s, 'KPI class')
                          returning id, school_id)
               insert into public.kpi_class_daily (class_id, school_id, job_date)
               select id, school_id, current_date from c""",
            (DEFAULT_SCHOOL,),
        )
        yield World(conn, student, neighbour, admin, stranger, operator)
        conn.rollback()


def _expected_select(world: World, relation: Relation, user: uuid.UUID | None) -> str:
    reads = READS.get(relation.name)
    if user is None or reads is None:
        return DENIED
    if user == world.operator:
        return reads.operator
    return reads.admin if user == world.admin else reads.student


def _check_select(world: World, relation: Relation, user: uuid.UUID | None) -> str | None:
    """None if the SELECT does what the policies intend, else what went wrong."""
    role, claims = ("anon", None) if user is None else ("authenticated", claims_of(user))
    expected = _expected_select(world, relation, user)
    query = relation.statement("select")
    got = attempt(world.conn, role, query, claims)
    if expected == DENIED or got == DENIED:
        return None if got == expected else f"select as {role}: {got!r}, expected {expected}"
    every = world.conn.execute(query).fetchall()  # as the superuser
    if expected == "none":
        ok = got == [] and every != []
    elif expected == "all":
        ok = sorted(map(str, got)) == sorted(map(str, every)) and every != []
    elif expected == "school":  # the admin's school's rows, and another school's exist
        position = [c.name for c in world.conn.execute(query).description].index("school_id")
        ours = [row for row in every if row[position] == DEFAULT_SCHOOL]
        ok = sorted(map(str, got)) == sorted(map(str, ours)) and ours != [] and ours != every
    else:  # own: every row of theirs, no one else's
        owner = READS[relation.name].owner
        position = [c.name for c in world.conn.execute(query).description].index(owner)
        theirs = [row for row in every if row[position] == user]
        ok = sorted(map(str, got)) == sorted(map(str, theirs)) and theirs != []
    return None if ok else f"select as {role} ({expected}): {len(got)} of {len(every)} rows"


def _matrix_problems(world: World, user: uuid.UUID | None) -> list[str]:
    role, claims = ("anon", None) if user is None else ("authenticated", claims_of(user))
    problems = []
    for relation in public_relations(world.conn):
        problem = _check_select(world, relation, user)
        if problem:
            problems.append(f"{relation.name}: {problem}")
        for command in COMMANDS[1:]:
            if command == "truncate" and not relation.is_table:
                continue  # only tables can be truncated at all
            got = attempt(world.conn, role, relation.statement(command), claims)
            if not relation.is_table:  # a join view refuses writes before any privilege check
                privilege = world.conn.execute(
                    "select has_table_privilege(%s, %s, %s)",
                    (role, f"public.{relation.name}", command),
                ).fetchone()
                if privilege == (True,):
                    got = f"{got}, and the {command} privilege"
                elif got == NOT_UPDATABLE:
                    got = DENIED
            if got != DENIED:
                problems.append(f"{relation.name}: {command} as {role} gave {got!r}")
    return problems


def test_anon_can_do_nothing_with_any_table_or_view(world: World) -> None:
    """The anon key is public: no relation in `public` is readable or writable with it."""
    assert len(public_relations(world.conn)) >= len(READS) + 1  # webhook_events too
    assert _matrix_problems(world, None) == []


def test_signed_in_student_reads_only_their_rows_and_writes_nothing(world: World) -> None:
    """With another student's and an admin's rows in every table: own rows only, role
    defaults, no KPIs, no deliveries; every insert, update, delete and truncate refused."""
    assert _matrix_problems(world, world.student) == []


def test_school_admin_reads_their_schools_jobs_only_and_writes_nothing(world: World) -> None:
    """Admins' extra reach through the Data API is read-only (changes go through the API)
    and ends at their school: none of another school's jobs, no deployment-wide KPIs."""
    assert _matrix_problems(world, world.admin) == []
    stranger_jobs = f"select id from public.jobs where user_id = '{world.stranger}'"
    assert attempt(world.conn, "authenticated", stranger_jobs, claims_of(world.admin)) == []
    assert world.conn.execute(stranger_jobs).fetchall() != []


def test_operator_reads_every_job_and_the_kpis_and_writes_nothing(world: World) -> None:
    assert _matrix_problems(world, world.operator) == []


def test_a_student_of_another_school_reads_only_their_rows(world: World) -> None:
    assert _matrix_problems(world, world.stranger) == []


def test_anon_and_users_cannot_touch_limits_or_the_ledger(world: World) -> None:
    """The old finding (`role_quotas` open to the anon key) must not come back with budgets:
    neither the public anon key nor a signed-in user reads or writes the per-role limits,
    the ledger, its balances or the budget functions; only the API changes limits."""
    school = f"'{DEFAULT_SCHOOL}'"
    for role, claims in (("anon", None), ("authenticated", claims_of(world.student))):
        for statement in (
            "select * from public.school_role_limits",
            "update public.school_role_limits set daily_videos = 100000",
            f"update public.school_role_limits set daily_money = 0 where school_id = {school}",
            "delete from public.school_role_limits",
            f"insert into public.school_role_limits (school_id, role) values ({school}, 'x')",
            "truncate public.school_role_limits cascade",
            "select * from public.budget_ledger",
            "select * from public.budget_balances",
            "update public.budget_ledger set amount = 0",
            "update public.budget_ledger set user_id = null",
            "delete from public.budget_ledger",
            "insert into public.budget_ledger (job_id, user_id, scope, kind, amount, period)"
            f" values (gen_random_uuid(), '{world.student}', 'student_day', 'release', -9,"
            " '2026-01-01')",
            "truncate public.budget_ledger",
            "select public.budget_release((select id from public.jobs limit 1))",
            f"select public.budget_reserve(gen_random_uuid(), '{world.student}', null, null, 0)",
            "update public.schools set monthly_budget = 1000000",
            "update public.classes set monthly_cap = null",
            f"update public.profiles set daily_video_cap = 1000 where id = '{world.student}'",
            f"update public.profiles set daily_money_cap = 1000 where id = '{world.student}'",
        ):
            assert attempt(world.conn, role, statement, claims) == DENIED, (role, statement)
    limits = dict(
        world.conn.execute(
            "select role, daily_videos from public.school_role_limits where school_id = %s",
            (DEFAULT_SCHOOL,),
        )
    )
    assert limits == {"student": 5, "teacher": 20, "admin": 100, "operator": 100}
    assert world.conn.execute(
        "select count(*), sum(amount) from public.budget_ledger where kind = 'reservation'"
    ).fetchone() == (14, Decimal("5.1800"))  # 4 users with a school x 3 scopes, 1 without x 2


def test_signed_in_user_cannot_make_themselves_admin(world: World) -> None:
    statement = f"update public.profiles set role = 'admin' where id = '{world.student}'"
    assert attempt(world.conn, "authenticated", statement, claims_of(world.student)) == DENIED
    assert attempt(world.conn, "anon", statement) == DENIED


def test_every_public_table_has_row_level_security(db: psycopg.Connection) -> None:
    """A table without it is open to any role the grants let in (role_quotas was)."""
    open_tables = db.execute(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
           order by 1"""
    ).fetchall()
    assert open_tables == []


def test_every_public_view_is_security_invoker(db: psycopg.Connection) -> None:
    """A view runs as its owner unless `security_invoker`: it would bypass the tables' RLS."""
    views = db.execute(
        """select c.relname, coalesce(c.reloptions, '{}') from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind = 'v' order by 1"""
    ).fetchall()
    assert views, "budget_balances at least"
    assert [name for name, options in views if "security_invoker=true" not in options] == []


def test_api_roles_hold_no_sequence_and_call_only_their_functions(
    db: psycopg.Connection,
) -> None:
    sequences = db.execute(
        """select c.oid::regclass::text, r from pg_class c
           join pg_namespace n on n.oid = c.relnamespace,
           unnest(array['anon', 'authenticated']) r
           where n.nspname = 'public' and c.relkind = 'S'
             and (has_sequence_privilege(r, c.oid, 'usage')
                  or has_sequence_privilege(r, c.oid, 'select')
                  or has_sequence_privilege(r, c.oid, 'update'))"""
    ).fetchall()
    assert sequences == []
    callable_ = db.execute(
        """select p.proname, r from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
           unnest(array['anon', 'authenticated', 'videogen_app']) r
           where n.nspname = 'public' and has_function_privilege(r, p.oid, 'execute')"""
    ).fetchall()
    assert sorted(callable_) == [
        ("budget_period", "videogen_app"),  # budgets (20261128000100_budgets.sql): the app
        ("budget_release", "videogen_app"),  # reserves, releases and settles through them
        ("budget_release_rows", "videogen_app"),  # the one release rule (…000300)
        ("budget_reserve", "videogen_app"),
        ("budget_scope_key", "videogen_app"),
        ("budget_scopes", "videogen_app"),
        ("budget_settle", "videogen_app"),
        ("is_admin", "authenticated"),
        ("is_operator", "authenticated"),  # policies of 20261127000300_tenancy.sql
        ("my_school", "authenticated"),
        ("session_is_active", "videogen_app"),  # reads auth.sessions for the app
    ]


def test_new_tables_are_not_granted_to_the_api_roles(database_url: str) -> None:
    """Supabase's default grants would hand a table created by a later migration to `anon`
    and `authenticated`; the migration revokes them, and a restart of the local stack
    (which applies the bootstrap again) must not grant them back."""
    with psycopg.connect(database_url) as conn:
        apply_sql_file(conn, BOOTSTRAP)  # what every `make run` start does
        conn.execute("create table public.added_later (id bigserial primary key)")
        conn.execute(
            "create function public.added_later_fn() returns int language sql as 'select 1'"
        )
        granted = conn.execute(
            """select r, p from unnest(array['anon', 'authenticated', 'videogen_app']) r,
               unnest(array['select', 'insert', 'update', 'delete', 'truncate',
                            'references', 'trigger']) p
               where has_table_privilege(r, 'public.added_later', p)"""
        ).fetchall()
        sequence = conn.execute(
            """select r from unnest(array['anon', 'authenticated']) r
               where has_sequence_privilege(r, 'public.added_later_id_seq', 'usage')"""
        ).fetchall()
        function = conn.execute(  # a grant to PUBLIC would show for every role
            """select r from unnest(array['anon', 'authenticated', 'videogen_app']) r
               where has_function_privilege(r, 'public.added_later_fn()', 'execute')"""
        ).fetchall()
        conn.rollback()
    assert (granted, sequence, function) == ([], [], [])


def test_the_admin_action_audit_is_closed_to_the_data_api(world: World) -> None:
    """Issue 14: who failed a job and why is the backend's record. Not even an admin reads
    or writes it through the Data API (their actions go through POST /admin/jobs/...)."""
    for role, claims in (
        ("anon", None),
        ("authenticated", claims_of(world.student)),
        ("authenticated", claims_of(world.admin)),
    ):
        for statement in (
            "select * from public.job_admin_actions",
            "update public.job_admin_actions set reason = 'x'",
            "delete from public.job_admin_actions",
            "insert into public.job_admin_actions (job_id, action, outcome, reason)"
            " select id, 'fail', 'failed', 'x' from public.jobs",
        ):
            assert attempt(world.conn, role, statement, claims) == DENIED, (role, statement)
    assert world.conn.execute("select count(*) from public.job_admin_actions").fetchone() == (1,)


def test_pending_enrolments_are_closed_to_the_data_api(world: World) -> None:
    """Issue 15: what a registration decided (school, class, role) is the backend's; no one
    reads or writes it through the Data API, not even an admin."""
    world.conn.execute(
        """insert into public.pending_enrolments (email_sha256, school_id, role, expires_at)
           values (repeat('b', 64), '00000000-0000-0000-0000-000000000001', 'teacher',
                   now() + interval '1 hour')"""
    )
    for role, claims in (
        ("anon", None),
        ("authenticated", claims_of(world.student)),
        ("authenticated", claims_of(world.admin)),
    ):
        for statement in (
            "select * from public.pending_enrolments",
            "update public.pending_enrolments set role = 'teacher'",
            "delete from public.pending_enrolments",
            "insert into public.pending_enrolments (email_sha256, school_id, role, expires_at)"
            " values (repeat('c', 64), '00000000-0000-0000-0000-000000000001', 'teacher', now())",
        ):
            assert attempt(world.conn, role, statement, claims) == DENIED, (role, statement)
