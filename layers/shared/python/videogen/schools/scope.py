"""Who may see whose work, written once as SQL predicates (docs/architecture.md, "Tenancy").

Operators reach everything; a school admin reaches their school; a teacher reaches the
students of the classes they teach (class_members role teacher), inside their school.
Each function returns an SQL fragment and its named parameters, to `and` into a query:
an object out of reach is simply not found (404), never a 403.
"""

from __future__ import annotations

from typing import Any

from videogen.auth.members import SCHOOL_ADMIN_ROLES, Member

Predicate = tuple[str, dict[str, Any]]

_TAUGHT_STUDENTS = """(
    select s.user_id from public.class_members s
    join public.class_members t on t.class_id = s.class_id
    join public.classes c on c.id = s.class_id
    where t.user_id = %(scope_me)s and t.role = 'teacher' and s.role = 'student'
      and c.school_id = %(scope_school)s)"""


def student_work(member: Member, *, user_column: str, school_column: str) -> Predicate:
    """Rows (jobs, safety events) of a student the caller is responsible for."""
    if member.is_operator:
        return "true", {}
    params = {"scope_me": member.id, "scope_school": member.school_id}
    if member.role in SCHOOL_ADMIN_ROLES:
        return f"{school_column} = %(scope_school)s", params
    if member.role == "teacher":
        return (
            f"({school_column} = %(scope_school)s and {user_column} in {_TAUGHT_STUDENTS})",
            params,
        )
    return "false", {}


def class_in_reach(member: Member, *, class_alias: str = "c") -> Predicate:
    """A class the caller may oversee: an operator any, an admin their school's, a teacher
    one they teach."""
    if member.is_operator:
        return "true", {}
    params = {"scope_me": member.id, "scope_school": member.school_id}
    if member.role in SCHOOL_ADMIN_ROLES:
        return f"{class_alias}.school_id = %(scope_school)s", params
    if member.role == "teacher":
        return (
            f"""({class_alias}.school_id = %(scope_school)s and exists (
                select 1 from public.class_members t where t.class_id = {class_alias}.id
                  and t.user_id = %(scope_me)s and t.role = 'teacher'))""",
            params,
        )
    return "false", {}
