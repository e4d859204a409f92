"""Budgets in the browser (issue 16): a school admin sets the monthly budget and the role
limits (a refused value announced and tied to its field) and sees the banner at 80 % and
100 % of the month; a teacher sets a class's cap and sees its spend; a student sees money
and videos left and the price, and is refused in words when the class's cap is reached;
another school's admin sees nothing of it. axe-core finds no WCAG 2.1 AA violation.

Usage for the banner is made through the real ledger functions (`budget_reserve`,
`budget_settle`), the same SQL a submission runs."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.support.schools import DEFAULT_SCHOOL, make_school, user_by_email
from tests.web.conftest import Ui
from tests.web.test_admin import make_admin
from tests.web.test_classes import make_code, make_teacher


def reserve(db: psycopg.Connection, email: str, amount: str) -> uuid.UUID:
    """A job's reservation in the default school, as a submission makes it; refused: fails."""
    job = uuid.uuid4()
    user = user_by_email(db, email)
    row = db.execute(
        "select refused_scope from public.budget_reserve(%s, %s, %s, null, %s)",
        (job, user.id, DEFAULT_SCHOOL, Decimal(amount)),
    ).fetchone()
    assert row == (None,), row
    return job


def banner(ui: Ui):  # type: ignore[no-untyped-def]
    return ui.page.locator("#budget-banner .budget-banner")


def test_admin_sets_the_budget_and_sees_the_banner_at_80_and_100_percent(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    admin = open_ui()
    make_admin(admin, "head@school.example", database_url)
    page = admin.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Budget").click()
    admin.heading("Budget")
    expect(page.locator("#budget-status")).to_contain_text("No monthly budget: $0.00 used")
    expect(banner(admin)).to_have_count(0)
    assert admin.unlabelled_controls() == []
    assert axe_violations(page) == []

    # a bad value: refused, announced, tied to its field, nothing saved (keyboard: Enter)
    monthly = page.get_by_label("Monthly budget (USD)")
    monthly.fill("12.345")
    page.get_by_label("Daily videos for students").fill("-1")
    monthly.press("Enter")
    alert = page.locator("form [role=alert]")
    expect(alert).to_contain_text("Please check the form. Monthly budget:")
    expect(alert).to_contain_text("Students: daily video cap:")
    expect(monthly).to_have_attribute("aria-invalid", "true")
    described = (monthly.get_attribute("aria-describedby") or "").split()
    assert any("decimal places" in (page.locator(f"#{i}").text_content() or "") for i in described)
    expect(page.get_by_label("Daily videos for students")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    assert db.execute(
        "select monthly_budget from public.schools where id = %s", (DEFAULT_SCHOOL,)
    ).fetchone() == (None,)

    monthly.fill("10")
    page.get_by_label("Daily money cap for students (USD)").fill("1.50")
    page.get_by_label("Daily videos for students").fill("3")
    page.get_by_role("group", name="Models students may use").get_by_label("LTX Video").check()
    page.get_by_label("Daily money cap for teachers (USD)").fill("")
    page.get_by_role("button", name="Save budget").click()
    expect(page.locator(".action-result")).to_have_text("Budget saved.")
    expect(monthly).not_to_have_attribute("aria-invalid", "true")
    expect(alert).to_be_hidden()
    expect(page.locator("#budget-status")).to_contain_text("Used $0.00 of $10.00 this month")
    assert db.execute(
        "select monthly_budget from public.schools where id = %s", (DEFAULT_SCHOOL,)
    ).fetchone() == (Decimal("10.00"),)
    assert db.execute(
        "select daily_money, daily_videos, allowed_models from public.school_role_limits"
        " where school_id = %s and role = 'student'",
        (DEFAULT_SCHOOL,),
    ).fetchone() == (Decimal("1.50"), 3, ["fal-ai/ltx-video"])
    page.reload()  # what was saved is what the page shows
    admin.heading("Budget")
    expect(page.get_by_label("Monthly budget (USD)")).to_have_value("10")
    expect(page.get_by_label("Daily money cap for students (USD)")).to_have_value("1.5")
    expect(
        page.get_by_role("group", name="Models students may use").get_by_label("LTX Video")
    ).to_be_checked()
    expect(page.get_by_label("Daily money cap for teachers (USD)")).to_have_value("")

    # 80 %: a status banner on every page, with what is used of what and a link
    first = reserve(db, "head@school.example", "8")
    page.reload()
    admin.heading("Budget")
    warn = banner(admin)
    expect(warn).to_have_attribute("role", "status")
    expect(warn).to_contain_text("Your school has used $8.00 of its $10.00 monthly budget (80 %)")
    expect(warn).to_contain_text("It resets on")
    expect(page.locator("#budget-status")).to_contain_text(
        "Used $8.00 of $10.00 this month ($8.00 of it for videos still being made); $2.00 left."
    )
    assert axe_violations(page) == []
    admin.shot("budget-admin")
    admin.open("/videos")
    admin.heading("My videos")
    # shown on every page, announced once: no live role once its level has been heard
    expect(banner(admin)).to_contain_text("(80 %)")
    assert banner(admin).get_attribute("role") is None
    assert axe_violations(page) == []

    # 100 %: an alert; its link opens the Budget page (keyboard)
    db.execute("select public.budget_settle(%s, null)", (first,))
    reserve(db, "head@school.example", "2")
    page.reload()
    admin.heading("My videos")
    full = banner(admin)
    expect(full).to_have_attribute("role", "alert")
    expect(full).to_contain_text("Your school's monthly budget is used up: $10.00 of $10.00.")
    expect(full).to_contain_text("New videos are refused until it resets on")
    assert axe_violations(page) == []
    admin.shot("budget-banner", full_page=False)
    full.get_by_role("link", name="See the budget").focus()
    page.keyboard.press("Enter")
    admin.heading("Budget")
    expect(page.locator("#budget-status")).to_contain_text("$0.00 left")


def test_teacher_caps_a_class_and_a_student_is_refused_at_the_cap(
    open_ui, db: psycopg.Connection
) -> None:
    db.execute(
        "update public.school_role_limits set daily_money = 0.50"
        " where school_id = %s and role = 'student'",
        (DEFAULT_SCHOOL,),
    )
    teacher = open_ui()
    make_teacher(teacher, "lee@school.example", db)
    teacher.open("/classes")
    teacher.heading("Classes")
    tpage = teacher.page
    tpage.get_by_label("New class name").fill("Year 9 Art")
    tpage.get_by_role("button", name="Create class").click()
    card = tpage.locator("article.class-card", has_text="Year 9 Art")
    expect(card.locator(".class-spend")).to_have_text(
        "$0.00 spent and $0.00 reserved this month; no monthly cap."
    )
    code = make_code(teacher, "Make a code for Year 9 Art")

    cap = tpage.get_by_label("Monthly cap of Year 9 Art (USD)")
    cap.fill("lots")
    cap.press("Enter")
    alert = card.locator("form [role=alert]")
    expect(alert).to_contain_text("Please check the budget of Year 9 Art. Monthly cap:")
    expect(cap).to_have_attribute("aria-invalid", "true")
    assert axe_violations(tpage) == []
    cap.fill("0.03")
    cap.press("Enter")
    expect(card.locator(".class-spend")).to_contain_text("of a $0.03 cap: $0.03 left.")
    expect(cap).not_to_have_attribute("aria-invalid", "true")
    expect(tpage.locator("#announcer")).to_have_text("Budget of Year 9 Art saved")
    assert db.execute(
        "select monthly_cap from public.classes where name = 'Year 9 Art'"
    ).fetchone() == (Decimal("0.03"),)
    assert teacher.unlabelled_controls() == []
    assert axe_violations(tpage) == []

    student = open_ui()
    student.open("/register")
    spage = student.page
    spage.get_by_label("Display name").fill("Ada")
    spage.get_by_label("Email", exact=True).fill("ada@home.example")
    spage.get_by_label("Password", exact=True).fill("correct-horse-42")
    spage.get_by_label("Class code (optional)").fill(code)
    spage.get_by_role("button", name="Create account").click()
    student.heading("Create a video")
    allowance = spage.locator("#allowance")
    expect(allowance).to_contain_text("Left today: 5 of 5 videos and $0.50 of $0.50")
    expect(spage.get_by_label("Class", exact=True)).to_have_value(
        str(db.execute("select id from public.classes where name = 'Year 9 Art'").fetchone()[0])
    )
    spage.get_by_label("Model").select_option(label="LTX Video")
    expect(spage.locator("#estimated-cost")).to_contain_text("$0.02")
    assert student.unlabelled_controls() == []
    assert axe_violations(spage) == []
    spage.get_by_label("Prompt", exact=True).fill("a paper boat on a river")
    spage.get_by_role("button", name="Create video").click()
    student.heading("My videos")
    expect(student.job_card("a paper boat on a river").locator(".status")).to_have_text(
        "Ready", timeout=15_000
    )

    student.open("/generate")
    student.heading("Create a video")
    expect(allowance).to_contain_text("Left today: 4 of 5 videos and $0.48 of $0.50")
    spage.get_by_label("Model").select_option(label="LTX Video")
    spage.get_by_label("Prompt", exact=True).fill("a second paper boat")
    spage.get_by_label("Prompt", exact=True).press("Tab")
    spage.get_by_role("button", name="Create video").click()
    refusal = spage.locator("form [role=alert]")
    expect(refusal).to_contain_text(
        "Your class has used up its money for videos this month: $0.01 is left, not enough"
        " for this video. It starts again on "
    )
    expect(refusal).to_contain_text("Ask your teacher, or pick no class.")
    assert axe_violations(spage) == []
    student.shot("budget-refused")
    ada = user_by_email(db, "ada@home.example")
    assert db.execute(
        "select count(*) from public.jobs where user_id = %s", (ada.id,)
    ).fetchone() == (1,)  # the refused one was not made

    # the teacher sees the class's spend, on the card and on the class page
    tpage.reload()
    teacher.heading("Classes")
    expect(card.locator(".class-spend")).to_contain_text(
        "$0.02 spent and $0.00 reserved this month, of a $0.03 cap: $0.01 left. It resets on "
    )
    teacher.shot("budget-class")
    card.get_by_role("link", name="Students and videos of Year 9 Art").click()
    teacher.heading("Class: Year 9 Art")
    expect(tpage.locator("#class-spend")).to_contain_text("$0.02 spent and $0.00 reserved")
    assert axe_violations(tpage) == []


def test_another_schools_admin_sees_nothing_of_the_first_schools_budget(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    admin_a = open_ui()
    make_admin(admin_a, "head@school.example", database_url)
    db.execute("update public.schools set monthly_budget = 5 where id = %s", (DEFAULT_SCHOOL,))
    reserve(db, "head@school.example", "5")
    admin_a.page.reload()
    expect(banner(admin_a)).to_have_attribute("role", "alert")

    other = make_school(database_url, "School B")
    admin_b = open_ui()
    make_admin(admin_b, "head@school-b.example", database_url, school=str(other))
    page = admin_b.page
    admin_b.open("/school/budget")
    admin_b.heading("Budget")
    expect(page.locator("#budget-status")).to_have_text(
        "No monthly budget: $0.00 used this month, no limit."
    )
    expect(page.get_by_label("Monthly budget (USD)")).to_have_value("")
    expect(banner(admin_b)).to_have_count(0)
    assert axe_violations(page) == []
    # naming the first school by its id is the same as naming none that exists
    admin_b.open(f"/school/budget?school_id={DEFAULT_SCHOOL}")
    expect(page.locator("#main [role=alert]")).to_have_text("No such school.")
    expect(banner(admin_b)).to_have_count(0)
    admin_b.open(f"/kpis?school_id={DEFAULT_SCHOOL}")
    expect(page.locator("#main [role=alert]")).to_have_text("No such school.")

    # an operator looking at the first school sees its banner and its budget
    operator = open_ui()
    make_admin(operator, "ops@deploy.example", database_url, role="operator")
    operator.open(f"/school/budget?school_id={DEFAULT_SCHOOL}")
    operator.heading("Budget")
    expect(operator.page.locator("#budget-status")).to_contain_text("Used $5.00 of $5.00")
    expect(banner(operator)).to_have_attribute("role", "alert")
    assert axe_violations(operator.page) == []
    operator.open(f"/school/budget?school_id={other}")
    operator.heading("Budget")
    expect(operator.page.locator("#budget-status")).to_contain_text("No monthly budget")
    expect(banner(operator)).to_have_count(0)
