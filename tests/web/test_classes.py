"""Classes in the browser (issue 15): a teacher creates a class and makes (then rotates) a
join code shown large enough to project; a student registers with it and sees the class;
a wrong code is announced (role=alert). axe-core checks each page."""

from __future__ import annotations

import re

import psycopg
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.web.conftest import Ui

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def make_teacher(ui: Ui, email: str, db: psycopg.Connection) -> None:
    ui.register("Ms Lee", email)
    db.execute("update public.profiles set role = 'teacher' where email = %s", (email,))
    ui.page.reload()
    expect(ui.page.locator(".account .role")).to_have_text("teacher")


def make_code(ui: Ui, button: str, previous: str | None = None) -> str:
    ui.page.get_by_role("button", name=button).click()
    shown = ui.page.locator(".join-code")
    if previous:
        expect(shown).not_to_have_text(previous)
    expect(shown).to_have_text(CODE)
    return shown.inner_text()


def test_a_teacher_makes_a_code_and_a_student_registers_with_it(
    open_ui, db: psycopg.Connection
) -> None:
    teacher = open_ui()
    make_teacher(teacher, "lee@school.example", db)
    teacher.open("/classes")
    teacher.heading("Classes")
    teacher.page.get_by_label("New class name").fill("Year 9 Art")
    teacher.page.get_by_role("button", name="Create class").click()
    card = teacher.page.locator("article.class-card", has_text="Year 9 Art")
    expect(card.locator(".roster")).to_have_text("0 students")
    expect(card.locator(".code-summary")).to_have_text("No join code yet.")
    first = make_code(teacher, "Make a code for Year 9 Art")
    size = teacher.page.locator(".join-code").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert size >= 40  # big enough to read off a projected screen
    expect(card.locator(".code-summary")).to_contain_text("0 of 40 uses")
    assert teacher.unlabelled_controls() == []
    assert axe_violations(teacher.page) == []
    teacher.shot("classes-teacher")
    # rotate: a new code, the first one stops working
    code = make_code(teacher, "New code for Year 9 Art", previous=first)

    student = open_ui()
    student.open("/register")
    student.page.get_by_label("Display name").fill("Ada")
    student.page.get_by_label("Email", exact=True).fill("ada@home.example")
    student.page.get_by_label("Password", exact=True).fill("correct-horse-42")
    student.page.get_by_label("Class code (optional)").fill(first)
    student.page.get_by_role("button", name="Create account").click()
    alert = student.page.get_by_role("alert")
    expect(alert).to_contain_text("This class code does not work")
    assert axe_violations(student.page) == []
    student.page.get_by_label("Class code (optional)").fill(code.lower())
    student.page.get_by_role("button", name="Create account").click()
    student.heading("Create a video")
    student.open("/classes")
    student.heading("My classes")
    expect(student.page.locator(".my-classes li")).to_have_text(["Year 9 Art"])
    assert axe_violations(student.page) == []

    student.page.get_by_label("Class code").fill("ZZZZ-ZZZZ")
    student.page.get_by_role("button", name="Join").click()
    expect(student.page.get_by_role("alert")).to_contain_text("This class code does not work")

    teacher.page.reload()
    expect(card.locator(".roster")).to_have_text("1 student")
