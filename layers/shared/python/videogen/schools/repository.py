"""SQL of classes, join codes, teacher invites, pending enrolments and the activity log.

Who may see which class or invite is decided in `videogen.schools.scope` (`classes_seen`,
`in_school`), written once there; 404s across schools and a teacher's other classes follow.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from videogen.schools.scope import classes_seen, in_school

if TYPE_CHECKING:
    from videogen.auth.members import Member
    from videogen.db import Connection

DEFAULT_SCHOOL_ID = UUID("00000000-0000-0000-0000-000000000001")

_CLASS_COLUMNS = """c.id, c.school_id, c.name, c.archived_at, c.created_at, c.updated_at,
  (select count(*) from public.class_members m
    where m.class_id = c.id and m.role = 'student') as student_count,
  (select count(*) from public.class_members m
    where m.class_id = c.id and m.role = 'teacher') as teacher_count,
  k.expires_at as code_expires_at, k.max_uses as code_max_uses, k.uses as code_uses,
  k.created_at as code_created_at"""
_CURRENT_CODE = """left join lateral (
  select j.expires_at, j.max_uses, j.uses, j.created_at from public.join_codes j
  where j.class_id = c.id and j.revoked_at is null order by j.created_at desc limit 1
) k on true"""


# --- classes ------------------------------------------------------------------------------


def list_classes(conn: Connection, member: Member) -> list[dict[str, Any]]:
    scope, params = classes_seen(member)
    return conn.execute(
        f"""select {_CLASS_COLUMNS} from public.classes c {_CURRENT_CODE}
            where {scope} order by c.archived_at is not null, c.created_at desc, c.id""",
        params,
    ).fetchall()


def get_class(
    conn: Connection, member: Member, class_id: UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    scope, params = classes_seen(member)
    if lock:  # the class row first, so a rotation and a rename never interleave
        locked = conn.execute(
            f"select c.id from public.classes c where c.id = %(id)s and {scope} for update",
            {**params, "id": class_id},
        ).fetchone()
        if locked is None:
            return None
    return conn.execute(
        f"""select {_CLASS_COLUMNS} from public.classes c {_CURRENT_CODE}
            where c.id = %(id)s and {scope}""",
        {**params, "id": class_id},
    ).fetchone()


def insert_class(conn: Connection, school_id: UUID, name: str, creator: UUID) -> UUID:
    row = conn.execute(
        "insert into public.classes (school_id, name, created_by) values (%s, %s, %s) returning id",
        (school_id, name, creator),
    ).fetchone()
    assert row is not None
    conn.execute(
        "insert into public.class_members (class_id, user_id, role) values (%s, %s, 'teacher')",
        (row["id"], creator),
    )
    return UUID(str(row["id"]))


def update_class(
    conn: Connection, class_id: UUID, *, name: str | None, archived: bool | None
) -> None:
    conn.execute(
        """update public.classes set
             name = coalesce(%(name)s, name),
             archived_at = case when %(archived)s::boolean is null then archived_at
                                when %(archived)s then coalesce(archived_at, now())
                                else null end,
             updated_at = now()
           where id = %(id)s""",
        {"id": class_id, "name": name, "archived": archived},
    )


def remove_student(conn: Connection, class_id: UUID, user_id: UUID) -> bool:
    row = conn.execute(
        """delete from public.class_members where class_id = %s and user_id = %s
           and role = 'student' returning user_id""",
        (class_id, user_id),
    ).fetchone()
    return row is not None


def add_student(conn: Connection, class_id: UUID, user_id: UUID) -> None:
    conn.execute(
        """insert into public.class_members (class_id, user_id, role) values (%s, %s, 'student')
           on conflict do nothing""",
        (class_id, user_id),
    )


def is_member(conn: Connection, class_id: UUID, user_id: UUID) -> bool:
    row = conn.execute(
        "select 1 from public.class_members where class_id = %s and user_id = %s",
        (class_id, user_id),
    ).fetchone()
    return row is not None


# --- join codes -----------------------------------------------------------------------------


def rotate_code(
    conn: Connection,
    class_id: UUID,
    code_hash: str,
    expires_at: datetime,
    max_uses: int,
    creator: UUID,
) -> dict[str, Any]:
    """Revokes the class's current code and stores the new one's hash."""
    conn.execute(
        """update public.join_codes set revoked_at = now()
           where class_id = %s and revoked_at is null""",
        (class_id,),
    )
    row = conn.execute(
        """insert into public.join_codes (class_id, code_hash, expires_at, max_uses, created_by)
           values (%s, %s, %s, %s, %s) returning id, expires_at, max_uses, uses, created_at""",
        (class_id, code_hash, expires_at, max_uses, creator),
    ).fetchone()
    assert row is not None
    return row


_CONSUME = """update public.join_codes j set uses = j.uses + 1
  from public.classes c
  where j.code_hash = %(hash)s and c.id = j.class_id and c.archived_at is null
    and j.revoked_at is null and j.expires_at > now() and j.uses < j.max_uses
    {extra}
  returning j.id as code_id, c.id as class_id, c.school_id"""


def consume_code(conn: Connection, code_hash: str) -> dict[str, Any] | None:
    """One use of a valid code, atomically: concurrent callers queue on the row's lock and
    each re-checks `uses < max_uses`, so a code of N uses admits exactly N."""
    return conn.execute(_CONSUME.format(extra=""), {"hash": code_hash}).fetchone()


def consume_code_for(
    conn: Connection, code_hash: str, school_id: UUID | None, user_id: UUID
) -> dict[str, Any] | None:
    """As `consume_code`, for a signed-in student: only a class of their school (any, when
    they have none yet) that they are not in already."""
    extra = """and (%(school)s::uuid is null or c.school_id = %(school)s)
    and not exists (select 1 from public.class_members m
                    where m.class_id = c.id and m.user_id = %(user)s)"""
    return conn.execute(
        _CONSUME.format(extra=extra), {"hash": code_hash, "school": school_id, "user": user_id}
    ).fetchone()


def class_of_code_if_member(conn: Connection, code_hash: str, user_id: UUID) -> UUID | None:
    """The class of a valid code that the user is in already (joining twice is no error)."""
    row = conn.execute(
        """select c.id from public.join_codes j join public.classes c on c.id = j.class_id
           join public.class_members m on m.class_id = c.id and m.user_id = %s
           where j.code_hash = %s and j.revoked_at is null and j.expires_at > now()
             and c.archived_at is null""",
        (user_id, code_hash),
    ).fetchone()
    return None if row is None else UUID(str(row["id"]))


def release_code(conn: Connection, code_id: UUID) -> None:
    conn.execute(
        "update public.join_codes set uses = uses - 1 where id = %s and uses > 0", (code_id,)
    )


# --- teacher invites ------------------------------------------------------------------------

_INVITE_COLUMNS = "id, school_id, email, role, expires_at, created_at, used_at, revoked_at"


def insert_invite(
    conn: Connection,
    school_id: UUID,
    email: str,
    token_hash: str,
    expires_at: datetime,
    creator: UUID,
    role: str,
) -> dict[str, Any]:
    row = conn.execute(
        f"""insert into public.teacher_invites
              (school_id, email, role, token_hash, expires_at, created_by)
            values (%s, %s, %s, %s, %s, %s) returning {_INVITE_COLUMNS}""",
        (school_id, email, role, token_hash, expires_at, creator),
    ).fetchone()
    assert row is not None
    return row


def list_invites(conn: Connection, school_id: UUID) -> list[dict[str, Any]]:
    """The school's invites (the caller's reach is checked by `target_school`)."""
    return conn.execute(
        f"""select {_INVITE_COLUMNS} from public.teacher_invites where school_id = %s
            order by created_at desc, id limit 500""",
        (school_id,),
    ).fetchall()


def get_invite(
    conn: Connection, member: Member, invite_id: UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    scope, params = in_school(member)
    return conn.execute(
        f"""select {_INVITE_COLUMNS} from public.teacher_invites
            where id = %(id)s and {scope} {"for update" if lock else ""}""",
        {**params, "id": invite_id},
    ).fetchone()


def revoke_invite(conn: Connection, invite_id: UUID) -> None:
    conn.execute(
        """update public.teacher_invites set revoked_at = coalesce(revoked_at, now())
           where id = %s""",
        (invite_id,),
    )


def consume_invite(conn: Connection, token_hash: str, email: str) -> dict[str, Any] | None:
    """Single use: the first registration with the invite's own email takes it."""
    return conn.execute(
        """update public.teacher_invites set used_at = now()
           where token_hash = %s and email = %s and used_at is null and revoked_at is null
             and expires_at > now()
           returning id, school_id, role""",
        (token_hash, email),
    ).fetchone()


def release_invite(conn: Connection, invite_id: UUID) -> None:
    conn.execute(
        "update public.teacher_invites set used_at = null where id = %s and used_by is null",
        (invite_id,),
    )


# --- enrolment ------------------------------------------------------------------------------


def school_for_domain(conn: Connection, domain: str) -> UUID | None:
    row = conn.execute(
        """select id from public.schools where %s = any(email_domains)
           order by created_at, id limit 1""",
        (domain,),
    ).fetchone()
    return None if row is None else UUID(str(row["id"]))


def put_pending(
    conn: Connection,
    *,
    email: str,
    school_id: UUID,
    class_id: UUID | None,
    role: str,
    invite_id: UUID | None,
    expires_at: datetime,
) -> None:
    """What the account made for `email` becomes (public.handle_new_user reads it); the
    latest registration's decision wins. Expired rows are purged on the way."""
    conn.execute("delete from public.pending_enrolments where expires_at <= now()")
    conn.execute(
        """insert into public.pending_enrolments
             (email_sha256, school_id, class_id, role, invite_id, expires_at)
           values (encode(sha256(convert_to(lower(trim(%(email)s)), 'UTF8')), 'hex'),
                   %(school)s, %(class)s, %(role)s, %(invite)s, %(expires)s)
           on conflict (email_sha256) do update set
             school_id = excluded.school_id, class_id = excluded.class_id,
             role = excluded.role, invite_id = excluded.invite_id,
             expires_at = excluded.expires_at, created_at = now()""",
        {
            "email": email,
            "school": school_id,
            "class": class_id,
            "role": role,
            "invite": invite_id,
            "expires": expires_at,
        },
    )


def drop_pending(conn: Connection, email: str) -> bool:
    """Whether a pending enrolment was there (public.handle_new_user takes it when it makes
    the account: one still there after the sign-up means no account was made)."""
    row = conn.execute(
        """delete from public.pending_enrolments
           where email_sha256 = encode(sha256(convert_to(lower(trim(%s)), 'UTF8')), 'hex')
           returning 1""",
        (email,),
    ).fetchone()
    return row is not None


def set_school(conn: Connection, user_id: UUID, school_id: UUID) -> None:
    conn.execute(
        """update public.profiles set school_id = %s, updated_at = now()
           where id = %s and school_id is null""",
        (school_id, user_id),
    )


# --- activity -------------------------------------------------------------------------------
