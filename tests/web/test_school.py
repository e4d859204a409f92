"""School settings and activity in the browser (issue 15): a school's admin changes the
settings with a labelled form (a refused value announced and tied to its field), sees the
change in the Activity page; the admin of another school sees nothing of the first school;
an operator sees the School column. axe-core finds no WCAG 2.1 AA violation."""

from __future__ import annotations

import psycopg
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.support.schools import DEFAULT_SCHOOL, make_school
from tests.web.conftest import XSS
from tests.web.test_admin import make_admin, set_role


def test_admin_changes_the_school_settings_and_sees_them_in_the_activity(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    admin = open_ui()
    make_admin(admin, "head@school.example", database_url)
    admin.page.get_by_role("navigation", name="Main").get_by_role("link", name="School", exact=True).click()
    admin.heading("School")
    page = admin.page
    expect(page.get_by_label("School name")).to_have_value("Default school")
    assert admin.unlabelled_controls() == []
    assert axe_violations(page) == []

    page.get_by_label("School name").fill(f"Hillside {XSS}")
    page.get_by_label("Keep videos for (days)").fill("30")
    page.get_by_label("Email domains").fill("Hillside.Example")
    page.get_by_label("Blocked prompt terms").fill("  dragon\nDragon\nstorm")
    page.get_by_role("button", name="Save settings").click()
    alert = page.locator("form [role=alert]")
    expect(alert).to_contain_text("Email domains:")
    domains = page.get_by_label("Email domains")
    expect(domains).to_have_attribute("aria-invalid", "true")
    described = domains.get_attribute("aria-describedby") or ""
    assert any(
        "lower-case" in (page.locator(f"#{i}").text_content() or "") for i in described.split()
    )
    assert axe_violations(page) == []
    assert db.execute(
        "select retention_days from public.schools where id = %s", (DEFAULT_SCHOOL,)
    ).fetchone() == (90,)  # nothing saved

    domains.fill("hillside.example")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".action-result")).to_have_text("Settings saved.")
    expect(domains).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Blocked prompt terms")).to_have_value("dragon\nstorm")
    row = db.execute(
        "select name, retention_days, email_domains, blocklist_terms from public.schools"
        " where id = %s",
        (DEFAULT_SCHOOL,),
    ).fetchone()
    assert row == (f"Hillside {XSS}", 30, ["hillside.example"], ["dragon", "storm"])
    admin.shot("school-settings")

    admin.open("/school/activity")
    admin.heading("Activity")
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("school.update")
    expect(first).to_contain_text("head@school.example")
    expect(first).to_contain_text("retention_days: 90 → 30")
    expect(first).to_contain_text(XSS)  # the new name, as text
    expect(page.locator("table img")).to_have_count(0)
    assert axe_violations(page) == []
    admin.shot("school-activity")


def test_another_schools_admin_sees_nothing_of_the_first_school(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    student = open_ui()
    student.register("Ada", "ada@school.example")
    set_role("ada@school.example", database_url)
    student.create_video("a comet over the default school")
    admin_a = open_ui()
    make_admin(admin_a, "head@school.example", database_url)
    admin_a.open("/school")
    admin_a.heading("School")
    admin_a.page.get_by_label("Keep videos for (days)").fill("12")
    admin_a.page.get_by_role("button", name="Save settings").click()
    expect(admin_a.page.locator(".action-result")).to_have_text("Settings saved.")

    other = make_school(database_url, "School B")
    admin_b = open_ui()
    make_admin(admin_b, "head@school-b.example", database_url, school=str(other))
    page = admin_b.page
    admin_b.open("/school")
    admin_b.heading("School")
    expect(page.get_by_label("School name")).to_have_value("School B")
    expect(page.get_by_label("Keep videos for (days)")).to_have_value("90")
    admin_b.open("/admin/users")
    admin_b.heading("Users")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("head@school-b.example")
    expect(page.locator("table")).not_to_contain_text("school.example")
    expect(page.get_by_role("columnheader", name="School")).to_have_count(0)
    admin_b.open("/admin/jobs")
    admin_b.heading("Jobs")
    expect(page.locator("tbody")).to_have_text("No jobs match.")
    admin_b.open("/school/activity")
    admin_b.heading("Activity")
    expect(page.locator("tbody")).to_have_text("Nothing has happened yet.")
    assert axe_violations(page) == []
    # naming the first school by its id is the same as naming none that exists
    admin_b.open(f"/school?school_id={DEFAULT_SCHOOL}")
    expect(page.locator("#main [role=alert]")).to_have_text("No such school.")

    operator = open_ui()
    make_admin(operator, "ops@deploy.example", database_url, role="operator")
    operator.open("/admin/jobs")
    operator.heading("Jobs")
    expect(operator.page.get_by_role("columnheader", name="School")).to_be_visible()
    job = operator.page.locator("tbody tr").filter(has_text="a comet")
    expect(job.locator("td").nth(1)).to_have_text("Default school")
    operator.open("/admin/users")
    operator.heading("Users")
    b_row = operator.page.locator("tr", has_text="head@school-b.example")
    expect(b_row.locator("td").nth(2)).to_have_text("School B")
    assert axe_violations(operator.page) == []
    operator.open(f"/school?school_id={other}")
    operator.heading("School")
    expect(operator.page.get_by_label("School name", exact=True)).to_have_value("School B")
    expect(operator.page.get_by_label("School", exact=True)).to_have_value(str(other))
