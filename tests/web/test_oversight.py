"""Teachers in the browser: the Class page (roster, videos, hiding one with a reason in a
modal dialog), the Safety page and its badge; the student's hidden video card; a teacher of
another class sees nothing. axe-core finds no WCAG 2.1 AA violation on any of them."""

from __future__ import annotations

import psycopg
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.support.schools import make_class, make_school, user_by_email
from tests.web.conftest import XSS


def test_teacher_hides_a_video_and_sees_refused_prompts(open_ui, db: psycopg.Connection) -> None:
    student = open_ui()
    name = f"Ada {XSS}"
    student.register(name, "ada@school.example")
    teacher = open_ui()
    teacher.register("Mr Tom", "tom@school.example")
    other = open_ui()
    other.register("Ms Olga", "olga@school.example")
    ada, tom, olga = (
        user_by_email(db, e)
        for e in ("ada@school.example", "tom@school.example", "olga@school.example")
    )
    db.execute(
        "update public.profiles set role = 'teacher' where id = any(%s)", ([tom.id, olga.id],)
    )
    school = make_school(db, "Springfield")
    class_id = make_class(db, school, "7B Science", teachers=(tom,), students=(ada,))
    make_class(db, school, "8C Art", teachers=(olga,))

    prompt = "a comet over the school"
    student.create_video(prompt)
    card = student.job_card(prompt)
    expect(card.locator(".status")).to_have_text("Ready", timeout=15_000)
    db.execute("update public.jobs set school_id = %s where user_id = %s", (school, ada.id))
    # refused: the student is told, without the term; the teacher will see it
    student.open("/generate")
    student.page.get_by_label("Prompt", exact=True).fill("a pistol on a desk")
    student.page.get_by_role("button", name="Create video").click()
    expect(student.page.get_by_role("alert")).to_contain_text("not allowed at school")
    expect(student.page.get_by_role("alert")).not_to_contain_text("pistol")

    # The teacher: a badge on Safety, then the class
    teacher.page.reload()
    safety_link = teacher.page.get_by_role("link", name="Safety 1 new")
    expect(safety_link).to_be_visible()
    teacher.open("/class")  # no class named: the one list of classes
    teacher.heading("Classes")
    expect(teacher.page.get_by_role("link", name="Class work")).to_have_count(0)
    work = teacher.page.get_by_role("link", name="Students and videos of 7B Science")
    work.focus()
    teacher.page.keyboard.press("Enter")
    teacher.heading("Class: 7B Science")
    assert f"id={class_id}" in teacher.page.url
    row = teacher.page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(name)  # as text, markup and all
    expect(row.locator("td").nth(3)).to_have_text("1")
    video_card = teacher.job_card(prompt)
    expect(video_card.locator("video")).to_have_count(1)
    assert teacher.unlabelled_controls() == []
    assert axe_violations(teacher.page) == []

    hide = teacher.page.get_by_role("button", name=f"Hide… {prompt}")
    hide.focus()
    teacher.page.keyboard.press("Enter")
    dialog = teacher.page.get_by_role("dialog", name="Hide this video")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    assert axe_violations(teacher.page) == []
    dialog.get_by_role("button", name="Hide video").click()
    expect(dialog.get_by_role("alert")).to_have_text("Give a reason of 1 to 500 characters.")
    dialog.get_by_label("Reason").fill("Please redo it without the logo")
    dialog.get_by_role("button", name="Hide video").click()
    expect(dialog).to_be_hidden()
    hidden_card = teacher.job_card(prompt)
    expect(hidden_card.locator(".status")).to_have_text("Hidden")
    expect(hidden_card).to_contain_text("Hidden from the student: Please redo it without the logo")
    expect(hidden_card.locator("video")).to_have_count(0)
    expect(teacher.page.get_by_role("button", name=f"Show again {prompt}")).to_be_focused()
    assert axe_violations(teacher.page) == []
    teacher.shot("class")

    # The student: the reason, no playback, no download
    student.open("/videos")
    student.heading("My videos")
    mine = student.job_card(prompt)
    expect(mine.locator(".status")).to_have_text("Hidden")
    expect(mine).to_contain_text("Hidden by your teacher: Please redo it without the logo")
    expect(mine.locator("video")).to_have_count(0)
    expect(mine.get_by_role("link", name="Download")).to_have_count(0)
    assert axe_violations(student.page) == []
    student.open("/safety")  # not for students
    student.heading("Create a video")
    expect(student.page.get_by_role("status")).to_have_text("That page is for teachers.")

    # The Safety page: the refused prompt, then no badge
    teacher.open("/safety")
    teacher.heading("Safety")
    event = teacher.page.locator("tbody tr")
    expect(event).to_have_count(1)
    expect(event).to_contain_text("a pistol on a desk")
    expect(event).to_contain_text("Violence or weapons")
    assert axe_violations(teacher.page) == []
    teacher.open("/videos")
    expect(teacher.page.get_by_role("link", name="Safety", exact=True)).to_be_visible()

    # A teacher of another class sees nothing of it
    other.page.reload()
    expect(other.page.get_by_role("link", name="Safety", exact=True)).to_be_visible()
    other.open(f"/class?id={class_id}")
    expect(other.page.get_by_role("alert")).to_contain_text("No such class")
    expect(other.page.locator("article.job")).to_have_count(0)
    other.open("/safety")
    other.heading("Safety")
    expect(other.page.get_by_text("No refused prompts.")).to_be_visible()
    assert axe_violations(other.page) == []

    # Last, the teacher removes the student: confirmed in place, then no row for them (and
    # no longer their teacher: the Safety page shows none of their refusals)
    teacher.open(f"/class?id={class_id}")
    teacher.heading("Class: 7B Science")
    remove = teacher.page.get_by_role("button", name=f"Remove {name}", exact=True)
    remove.focus()
    teacher.page.keyboard.press("Enter")
    keep = teacher.page.get_by_role("button", name=f"Keep {name}")
    expect(teacher.page.get_by_role("button", name=f"Yes, remove — {name}")).to_be_focused()
    assert axe_violations(teacher.page) == []
    keep.click()
    expect(remove).to_be_focused()
    remove.click()
    teacher.page.get_by_role("button", name=f"Yes, remove — {name}").click()
    expect(teacher.page.locator("tbody tr")).to_have_count(0)
    assert db.execute(
        "select count(*) from public.class_members where class_id = %s and role = 'student'",
        (class_id,),
    ).fetchone() == (0,)
    teacher.open("/safety")
    expect(teacher.page.get_by_text("No refused prompts.")).to_be_visible()
