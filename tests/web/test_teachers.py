"""A new school in the browser (issue 15): an operator creates it and invites its first
admin; the admin registers with the invite link, sees the Teachers page, invites a teacher
and revokes another invite; the admin of another school sees nothing of it. Keyboard only
where a pupil's teacher would use it; axe-core finds no WCAG 2.1 AA violation."""

from __future__ import annotations

import psycopg
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.support.users import PASSWORD
from tests.web.test_admin import make_admin


def test_an_operator_starts_a_school_and_its_admin_invites_teachers(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    operator = open_ui()
    make_admin(operator, "ops@deploy.example", database_url, role="operator")
    operator.open("/school")
    operator.heading("School")
    page = operator.page
    page.get_by_label("New school name").fill("Hill School")
    page.get_by_label("Its time zone").fill("Europe/London")
    page.get_by_role("button", name="Create school").click()
    operator.heading("Teachers of Hill School")
    expect(page.get_by_role("status").first).to_contain_text("invite its first admin")
    expect(page.locator("p.empty")).to_have_text("No teachers yet: invite one below.")
    assert operator.unlabelled_controls() == []
    assert axe_violations(page) == []

    page.get_by_label("Email", exact=True).fill("Head@Hill.Example")
    page.get_by_label("Role").select_option("admin")
    page.get_by_role("button", name="Create invite").click()
    link = page.get_by_label("Invite link")
    expect(link).to_be_focused()
    url = link.input_value()
    assert "#/register?invite=" in url
    row = page.locator("tbody tr", has_text="head@hill.example")
    expect(row.locator("td").nth(1)).to_have_text("School admin")
    expect(row.locator("td").nth(2)).to_have_text("pending")
    assert axe_violations(page) == []
    operator.shot("teachers-new-school")

    head = open_ui()
    head.page.goto(url)
    head.heading("Create an account")
    head.page.get_by_label("Display name").fill("Ms Hill")
    head.page.get_by_label("Email", exact=True).fill("head@hill.example")
    head.page.get_by_label("Password", exact=True).fill(PASSWORD)
    head.page.get_by_role("button", name="Create account").click()
    expect(head.page.get_by_role("alert")).to_have_count(0)
    head.heading("Create a video")
    head.page.get_by_role("navigation", name="Main").get_by_role("link", name="Teachers").click()
    head.heading("Teachers of Hill School")
    staff = head.page.locator("table").first.locator("tbody tr")
    expect(staff).to_have_count(1)
    expect(staff.locator("td").nth(2)).to_have_text("School admin")
    for email in ("mr.brook@hill.example", "wrong@hill.example"):
        head.page.get_by_label("Email", exact=True).fill(email)
        head.page.get_by_role("button", name="Create invite").click()
        expect(head.page.locator("tbody tr", has_text=email)).to_have_count(1)
    revoke = head.page.get_by_role("button", name="Revoke the invite of wrong@hill.example")
    revoke.focus()
    head.page.keyboard.press("Enter")
    wrong = head.page.locator("tbody tr", has_text="wrong@hill.example")
    expect(wrong.locator("td").nth(2)).to_have_text("revoked")
    expect(head.page.get_by_label("Invite link")).to_have_count(0)  # its link is gone too
    expect(
        head.page.get_by_role("button", name="Revoke the invite of wrong@hill.example")
    ).to_have_count(0)
    assert axe_violations(head.page) == []
    head.shot("teachers")
    school = db.execute(
        "select school_id, role from public.profiles where email = 'head@hill.example'"
    ).fetchone()
    assert school[1] == "admin"
    assert db.execute(
        "select count(*) from public.teacher_invites where school_id = %s", (school[0],)
    ).fetchone() == (3,)

    # the default school's admin sees nothing of Hill School
    other = open_ui()
    make_admin(other, "head@school.example", database_url)
    other.open("/school/teachers")
    other.heading("Teachers of Default school")
    expect(other.page.locator("#main")).not_to_contain_text("hill.example")
    other.open(f"/school/teachers?school_id={school[0]}")
    expect(other.page.locator("#main [role=alert]")).to_have_text("No such school.")
