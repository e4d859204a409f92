"""KPIs per school and per class in the browser (issue 16): an operator's sortable table of
schools with sparklines, a school admin's school with its classes, a teacher's classes; an
admin of another school and a teacher of another class see nothing of them. axe-core finds
no WCAG 2.1 AA violation; sorting works from the keyboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.support.schools import make_class, make_school, user_by_email
from tests.web.test_admin import set_role


def put_day(
    db: psycopg.Connection, school: UUID, days_ago: int, klass: UUID | None = None, **values: Any
) -> None:
    """A KPI row as the Spark job writes it (its figures: tests/kpis/test_scopes.py)."""
    day = (datetime.now(UTC) - timedelta(days=days_ago)).date()
    table, keys = ("kpi_class_daily", {"class_id": klass}) if klass else ("kpi_school_daily", {})
    columns = {**keys, "school_id": school, "job_date": day, **values}
    db.execute(
        f"insert into public.{table} ({', '.join(columns)}) "
        f"values ({', '.join(['%s'] * len(columns))})",
        list(columns.values()),
    )


def test_operator_admin_and_teachers_see_their_kpis_and_nothing_more(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    north, south = make_school(db, "North Academy"), make_school(db, "South College")
    people = {}
    for key, name, email in (
        ("operator", "Olu Operator", "ops@deploy.example"),
        ("admin", "Hana Head", "head@north.example"),
        ("art", "Ari Art", "art@north.example"),
        ("maths", "Mo Maths", "maths@north.example"),
        ("south", "Sam South", "head@south.example"),
    ):
        ui = open_ui()
        ui.register(name, email)
        people[key] = ui
    set_role("ops@deploy.example", database_url, "operator")
    set_role("head@north.example", database_url, "admin", str(north))
    set_role("art@north.example", database_url, "teacher", str(north))
    set_role("maths@north.example", database_url, "teacher", str(north))
    set_role("head@south.example", database_url, "admin", str(south))
    art = make_class(db, north, "Art 7B", teachers=(user_by_email(db, "art@north.example"),))
    maths = make_class(db, north, "Maths 9C", teachers=(user_by_email(db, "maths@north.example"),))
    # North: busy and cheap; South: fewer jobs, more spend
    put_day(db, north, 2, jobs_total=12, jobs_succeeded=10, active_users=6, spend_usd="1.2000")
    put_day(
        db,
        north,
        1,
        jobs_total=8,
        jobs_succeeded=8,
        active_users=4,
        spend_usd="0.8000",
        blocked_prompts=2,
    )
    put_day(db, south, 1, jobs_total=9, jobs_succeeded=9, active_users=3, spend_usd="12.5000")
    put_day(db, north, 2, art, jobs_total=12, jobs_succeeded=10, spend_usd="1.2000")
    put_day(
        db, north, 1, maths, jobs_total=8, jobs_succeeded=8, spend_usd="0.8000", blocked_prompts=2
    )

    # The operator: every school, by spend first; the Jobs button re-sorts by activity
    ops = people["operator"]
    ops.page.reload()
    ops.open("/kpis")
    ops.heading("KPIs per school")
    table = ops.page.get_by_role("region", name="Schools, ")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)  # with the default school, quiet
    expect(rows.first.locator("th")).to_have_text("South College")
    expect(rows.first).to_contain_text("$12.50")
    expect(table.locator("svg.sparkline")).to_have_count(6)
    expect(table.locator("th[aria-sort=descending]")).to_contain_text("Spend")
    assert axe_violations(ops.page) == []
    assert ops.unlabelled_controls() == []
    jobs_sort = table.get_by_role("button", name="Jobs")
    jobs_sort.focus()
    ops.page.keyboard.press("Enter")
    expect(rows.first.locator("th")).to_have_text("North Academy")
    expect(table.locator("th[aria-sort=descending]")).to_contain_text("Jobs")
    expect(table.get_by_role("button", name="Jobs")).to_be_focused()  # focus stays on it
    north_spark = rows.first.get_by_role("img", name="Jobs per day, North Academy")
    expect(north_spark).to_have_attribute(
        "aria-label",
        "Jobs per day, North Academy: 20 in total, at most 12 on "
        + (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
        + ".",
    )
    ops.shot("school-kpis-operator")
    ops.page.get_by_role("link", name="North Academy").click()
    ops.heading("School KPIs")
    expect(
        ops.page.get_by_role("region", name="Classes of North Academy").locator("tbody tr")
    ).to_have_count(2)

    # The school admin: their school, the per-class breakdown, the budget's place
    admin = people["admin"]
    admin.page.reload()
    nav = admin.page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="School KPIs").click()
    admin.heading("School KPIs")
    tiles = admin.page.locator(".tile")
    expect(tiles.filter(has_text="Jobs").first).to_contain_text("20")
    expect(tiles.filter(has_text="Spend")).to_contain_text("$2.00")
    expect(tiles.filter(has_text="Blocked prompts")).to_contain_text("2")
    budget = admin.page.locator("[data-slot=budget]")
    expect(budget).to_contain_text("Spend against budget")
    expect(budget).to_contain_text("No monthly budget")
    classes = admin.page.get_by_role("region", name="Classes of North Academy").locator("tbody tr")
    expect(classes).to_have_count(2)
    expect(classes.first.locator("th")).to_have_text("Art 7B")  # by spend
    expect(admin.page.locator("figure.chart")).to_have_count(2)
    assert axe_violations(admin.page) == []
    admin.shot("school-kpis-admin")
    # another school's page: not found, nothing shown
    admin.open(f"/kpis?school_id={south}")
    expect(admin.page.get_by_role("alert")).to_have_text("No such school.")
    expect(admin.page.get_by_text("South College")).to_have_count(0)

    # Teachers: each their own class only
    for key, mine, theirs in (("art", "Art 7B", "Maths 9C"), ("maths", "Maths 9C", "Art 7B")):
        teacher = people[key]
        teacher.page.reload()
        teacher.open("/kpis")
        teacher.heading("Class KPIs")
        region = teacher.page.get_by_role("region", name="Your classes")
        expect(region.locator("tbody tr")).to_have_count(1)
        expect(region.locator("tbody th")).to_have_text(mine)
        expect(teacher.page.get_by_text(theirs)).to_have_count(0)
        assert axe_violations(teacher.page) == []
    people["art"].shot("school-kpis-teacher")

    # The admin of another school: their school only, none of North's figures
    south_admin = people["south"]
    south_admin.page.reload()
    south_admin.open("/kpis")
    south_admin.heading("School KPIs")
    expect(south_admin.page.get_by_role("heading", name="South College")).to_be_visible()
    expect(south_admin.page.get_by_text("North Academy")).to_have_count(0)
    expect(south_admin.page.get_by_text("No classes yet.")).to_be_visible()
    assert axe_violations(south_admin.page) == []
