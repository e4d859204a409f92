"""Who may see what, written once as SQL predicates (docs/architecture.md, "Tenancy").

Four rules, each one function here, called by every listing and lookup that needs it:
- `in_school`: a school's rows (invites, settings): operators every school, anyone else
  their own (a caller with no school: nothing);
- `classes_seen`: the classes in a caller's list: a school admin their school's, a teacher
  the classes they teach, a student the classes they are in;
- `class_in_reach`: the classes a caller may oversee (roster, videos): as `classes_seen`
  without students;
- `student_work`: rows of students (jobs, safety events): a school admin their school's, a
  teacher the students of the classes they teach, nobody else.
Each returns an SQL fragment and its named parameters, to `and` into a query: an object out
of reach is simply not found (404), never a 403.
"""

from __future__ import annotations

from typing import Any

from videogen.auth.members import SCHOOL_ADMIN_ROLES, Member

Predicate = tuple[str, dict[str, Any]]

_EVERYTHING: Predicate = ("true", {})
_NOTHING: Predicate = ("false", {})


def _params(member: Member) -> dict[str, Any]:
    return {"scope_me": member.id, "scope_school": member.school_id}


def in_school(member: Member, *, school_column: str = "school_id") -> Predicate:
    """A row of the caller's school (operators: of any school)."""
    if member.is_operator:
        return _EVERYTHING
    if member.school_id is None:  # never "every school": only operators reach across
        return _NOTHING
    return f"{school_column} = %(scope_school)s", _params(member)


def _member_of(class_alias: str, role: str) -> str:
    return f"""exists (select 1 from public.class_members m where m.class_id = {class_alias}.id
                 and m.user_id = %(scope_me)s and m.role = '{role}')"""


def classes_seen(member: Member, *, class_alias: str = "c") -> Predicate:
    """The classes a caller sees: all of their school's for its admins, the ones they teach
    for a teacher, the ones they joined for a student."""
    if member.role in SCHOOL_ADMIN_ROLES:
        return in_school(member, school_column=f"{class_alias}.school_id")
    role = "teacher" if member.role == "teacher" else "student"
    return (
        f"({class_alias}.school_id = %(scope_school)s and {_member_of(class_alias, role)})",
        _params(member),
    )


def class_in_reach(member: Member, *, class_alias: str = "c") -> Predicate:
    """A class the caller may oversee: a teacher one they teach, an admin their school's."""
    if member.role == "student":
        return _NOTHING
    return classes_seen(member, class_alias=class_alias)


_TAUGHT_STUDENTS = """(
    select s.user_id from public.class_members s
    join public.class_members t on t.class_id = s.class_id
    join public.classes c on c.id = s.class_id
    where t.user_id = %(scope_me)s and t.role = 'teacher' and s.role = 'student'
      and c.school_id = %(scope_school)s)"""


def student_work(member: Member, *, user_column: str, school_column: str) -> Predicate:
    """Rows (jobs, safety events) of a student the caller is responsible for."""
    if member.role in SCHOOL_ADMIN_ROLES:
        return in_school(member, school_column=school_column)
    if member.role == "teacher":
        return (
            f"({school_column} = %(scope_school)s and {user_column} in {_TAUGHT_STUDENTS})",
            _params(member),
        )
    return _NOTHING
