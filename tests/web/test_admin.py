"""Admins in the browser: users (role, daily video cap) and jobs, with user text shown as text, and
the actions on a stuck job."""

from __future__ import annotations

import subprocess
import sys

import psycopg
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.web.conftest import XSS, Ui


def set_role(email: str, database_url: str, role: str = "student", school: str | None = None):
    """The role (and school) of an account, set the way `make role` does: the default
    school unless `school` is given, none for an operator."""
    subprocess.run(
        [sys.executable, "-m", "videogen.auth.roles", email, role, "--database-url", database_url]
        + (["--school", school] if school else []),
        check=True,
        capture_output=True,
    )


def make_admin(
    ui: Ui, email: str, database_url: str, role: str = "admin", school: str | None = None
) -> None:
    """Registers through the page, then promotes the account the way `make role` does."""
    ui.register("Head Teacher", email)
    set_role(email, database_url, role, school)
    ui.page.reload()
    navigation = ui.page.get_by_role("navigation", name="Main")
    expect(navigation).to_contain_text("Users")
    # the deployment-wide KPIs are the operators' (per-school ones: "School KPIs", issue 16)
    deployment_kpis = navigation.get_by_role("link", name="KPIs", exact=True)
    expect(deployment_kpis).to_have_count(1 if role == "operator" else 0)


def test_admin_manages_users_and_sees_jobs_with_user_text_shown_as_text(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    student = open_ui()
    name = f"Eve {XSS}"
    student.register(name, "eve@school.example")
    set_role("eve@school.example", database_url)  # a student of the default school
    expect(student.page.locator(".account .who")).to_contain_text(name)
    prompt = f"a comet {XSS} over the school"
    student.create_video(prompt)
    expect(student.job_card(prompt).locator(".status")).to_have_text("Ready", timeout=15_000)
    student.open("/admin/users")  # not for students: back to their start page
    student.heading("Create a video")
    expect(student.page.get_by_role("status")).to_have_text("That page is for admins.")

    admin = open_ui()
    make_admin(admin, "head@school.example", database_url)
    admin.open("/admin/users")
    admin.heading("Users")
    assert admin.unlabelled_controls() == []
    row = admin.page.locator("tr", has_text="eve@school.example")
    expect(row.locator("td").first).to_have_text(name)  # literally, markup and all
    expect(admin.page.locator("table img")).to_have_count(0)
    expect(row.locator("td").nth(4)).to_have_text("1")  # used today

    admin.page.get_by_label("Role of eve@school.example").select_option("teacher")
    admin.page.get_by_label("Daily video cap of eve@school.example (empty: the role's default)").fill(
        "7"
    )
    row.get_by_role("button", name="Save eve@school.example").click()
    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(row).to_contain_text("effective 7")
    profile = db.execute(
        "select role, daily_video_cap from public.profiles where email = %s",
        ("eve@school.example",),
    ).fetchone()
    assert profile == ("teacher", 7)

    admin.page.get_by_label("Search by email or name").fill("head")
    admin.page.get_by_role("button", name="Search").click()
    expect(admin.page.locator("tbody tr")).to_have_count(1)
    expect(admin.page.locator("tbody tr")).to_contain_text("head@school.example")
    admin.open("/admin/users")
    admin.heading("Users")
    expect(admin.page.locator("tbody tr")).to_have_count(2)
    admin.shot("admin-users")

    admin.open("/admin/jobs")
    admin.heading("Jobs")
    assert admin.unlabelled_controls() == []
    job_row = admin.page.locator("tbody tr").filter(has_text="a comet")
    expect(job_row.locator("td").nth(2)).to_have_text(prompt)
    expect(job_row.locator("td").nth(3)).to_have_text("Ready")
    expect(admin.page.locator("table img")).to_have_count(0)
    admin.shot("admin-jobs")

    admin.page.get_by_label("Status").select_option(label="Failed")
    admin.page.get_by_role("button", name="Filter").click()
    expect(admin.page.locator("tbody")).to_have_text("No jobs match.")
    admin.page.get_by_label("Status").select_option(label="Ready")
    admin.page.get_by_role("button", name="Filter").click()
    expect(admin.page.locator("tbody tr")).to_have_count(1)


def test_admin_rechecks_and_fails_a_stuck_job_from_the_jobs_page(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    """Issue 14, "Day two": the fal simulator keeps a "[stuck]" prompt in its queue with no
    webhook, as a job stuck at fal. Both actions by keyboard, the reason asked in a modal
    dialog (labelled, focus inside then back), the outcome in a live region; axe-core finds
    no WCAG 2.1 AA violation with the dialog open or after either action."""
    student = open_ui()
    student.register("Ada", "ada@school.example")
    set_role("ada@school.example", database_url)
    glacier, desert = "[stuck] a glacier", "[stuck] a desert"
    student.create_video(glacier)
    student.create_video(desert)

    admin = open_ui()
    make_admin(admin, "head@school.example", database_url)
    admin.open("/admin/jobs")
    admin.heading("Jobs")
    page = admin.page
    assert axe_violations(page) == []

    # Re-check now: fal says it is still queued; nothing changes, the focus stays put
    recheck = page.get_by_role("button", name=f"Re-check now ({glacier})")
    recheck.focus()
    page.keyboard.press("Enter")
    outcome = page.locator(".action-result")
    expect(outcome).to_have_text(
        f"Re-checked “{glacier}”: fal has it in its queue; nothing changed."
    )
    expect(outcome).to_have_attribute("role", "status")
    expect(recheck).to_be_focused()
    glacier_row = page.locator("tbody tr").filter(has_text=glacier)
    expect(glacier_row.locator("td").nth(3)).to_have_text("Submitted")

    # Fail and refund…: a modal dialog, focus on the reason; Escape closes it, focus back
    fail = page.get_by_role("button", name=f"Fail and refund… ({desert})")
    fail.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Fail and refund this job")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Job: {desert}")
    reason = dialog.get_by_label("Reason")
    expect(reason).to_be_focused()
    assert admin.unlabelled_controls() == []
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(fail).to_be_focused()

    page.keyboard.press("Enter")
    expect(reason).to_be_focused()
    submit = dialog.get_by_role("button", name="Fail and refund", exact=True)
    submit.click()  # no reason: refused in the dialog, nothing sent
    expect(dialog.get_by_role("alert")).to_have_text("Give a reason of 1 to 500 characters.")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    why = f"fal outage {XSS}"
    page.keyboard.type(why)
    page.keyboard.press("Tab")
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(outcome).to_have_text(
        f"Failed “{desert}” and released its budget reservation. fal asked to cancel its request."
    )
    expect(outcome).to_be_focused()  # the row's buttons are gone with the job finished
    desert_row = page.locator("tbody tr").filter(has_text=desert)
    expect(desert_row.locator("td").nth(3)).to_have_text("Failed")
    expect(desert_row.locator("td").nth(6)).to_have_text(why)  # as text, markup and all
    expect(desert_row.get_by_role("button")).to_have_count(0)
    expect(glacier_row.get_by_role("button")).to_have_count(2)
    assert axe_violations(page) == []
    admin.shot("admin-jobs-stuck")
    # ... and axe does see a violation when there is one (this check can fail)
    page.evaluate("() => document.querySelector('h1').after(document.createElement('input'))")
    assert [v.split(" ")[0] for v in axe_violations(page)] == ["label"]
    page.evaluate("() => document.querySelector('h1 + input').remove()")

    job = db.execute(
        "select status, error, error_code from public.jobs where prompt = %s", (desert,)
    ).fetchone()
    assert job == ("failed", why, "failed_by_admin")
    used = db.execute(
        """select sum(b.used)::int from public.budget_balances b
           join public.profiles p on p.id = b.scope_key
           where b.scope = 'student_videos' and p.email = 'ada@school.example'"""
    ).fetchone()
    assert used == (1,)  # two asked, one given back
    assert db.execute(
        "select action, reason from public.job_admin_actions order by id"
    ).fetchall() == [("recheck", None), ("fail", why)]

    student.open("/videos")
    expect(student.job_card(desert)).to_contain_text(f"Problem: {why}")
    expect(student.job_card(desert).locator(".status")).to_have_text("Failed")
