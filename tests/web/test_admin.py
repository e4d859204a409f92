"""Admins in the browser: users (role, quota) and jobs, with user text shown as text."""

from __future__ import annotations

import subprocess
import sys

import psycopg
from playwright.sync_api import expect

from tests.web.conftest import XSS, Ui


def make_admin(ui: Ui, email: str, database_url: str) -> None:
    """Registers through the page, then promotes the account the way `make role` does."""
    ui.register("Head Teacher", email)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "videogen.auth.roles",
            email,
            "admin",
            "--database-url",
            database_url,
        ],
        check=True,
        capture_output=True,
    )
    ui.page.reload()
    expect(ui.page.get_by_role("navigation", name="Main")).to_contain_text("KPIs")


def test_admin_manages_users_and_sees_jobs_with_user_text_shown_as_text(
    open_ui, database_url: str, db: psycopg.Connection
) -> None:
    student = open_ui()
    name = f"Eve {XSS}"
    student.register(name, "eve@school.example")
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
    admin.page.get_by_label("Daily quota of eve@school.example (empty: the role's default)").fill(
        "7"
    )
    row.get_by_role("button", name="Save eve@school.example").click()
    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(row).to_contain_text("effective 7")
    profile = db.execute(
        "select role, daily_quota from public.profiles where email = %s",
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
