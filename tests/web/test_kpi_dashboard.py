"""The KPI dashboard in the browser (an operator's: the figures are deployment-wide): a
backfill runs the KPI job, the charts follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
from playwright.sync_api import expect

from tests.web.test_admin import make_admin


def add_jobs(conn: psycopg.Connection, user_ids: list[str], today: datetime) -> None:
    """Finished jobs on the three days before today, as the API would have left them."""
    plan = [  # days ago, model, status, duration, cost
        (3, "fal-ai/ltx-video", "completed", 20, "0.02"),
        (3, "fal-ai/ltx-video", "failed", None, "0.02"),
        (2, "fal-ai/ltx-video", "completed", 30, "0.02"),
        (2, "fal-ai/veo3", "completed", 90, "1.60"),
        (2, "fal-ai/veo3", "completed", 110, "1.60"),
        (1, "fal-ai/veo3", "cancelled", None, "1.60"),
        (1, "fal-ai/ltx-video", "completed", 25, "0.02"),
    ]
    for index, (days_ago, model, status, duration, cost) in enumerate(plan):
        created = today - timedelta(days=days_ago) + timedelta(hours=9, minutes=index)
        submitted = created + timedelta(seconds=2)
        finished = submitted + timedelta(seconds=duration or 5)
        conn.execute(
            """insert into public.jobs (user_id, model, prompt, status, cost_estimate_usd,
                   created_at, submitted_at, finished_at)
               values (%s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                user_ids[index % len(user_ids)],
                model,
                f"lesson clip {index}",
                status,
                Decimal(cost),
                created,
                submitted,
                finished,
            ),
        )


def test_admin_starts_a_kpi_backfill_and_sees_the_dashboard(
    open_ui, configure, database_url: str, db: psycopg.Connection, tmp_path
) -> None:
    configure(KPI_RUNS_DIR=str(tmp_path / "runs"), KPI_OUTPUT_PATH=str(tmp_path / "kpis"))
    admin = open_ui()
    make_admin(admin, "head@school.example", database_url, role="operator")
    db.execute(
        "insert into auth.users (id, email) values (gen_random_uuid(), 'pupil@school.example')"
    )
    users = [str(r[0]) for r in db.execute("select id from public.profiles").fetchall()]
    assert len(users) == 2
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    add_jobs(db, users, today)

    admin.open("/admin/kpis")
    admin.heading("KPI dashboard")
    expect(admin.page.get_by_text("No KPIs for this range yet")).to_be_visible()
    assert admin.unlabelled_controls() == []

    first_day = (today - timedelta(days=3)).date().isoformat()
    admin.page.get_by_label("First day").fill(first_day)
    admin.page.get_by_role("button", name="Start KPI backfill").click()
    state = admin.page.locator(".run-state")
    expect(state).to_contain_text("Run ")
    expect(state).to_contain_text("SUCCESS", timeout=120_000)

    dashboard = admin.page.locator("#kpi-dashboard")
    tiles = dashboard.locator(".tile")
    expect(tiles.filter(has_text="Jobs").first).to_contain_text("7")
    expect(tiles.filter(has_text="Succeeded")).to_contain_text("5")
    expect(tiles.filter(has_text="Failed")).to_contain_text("1")
    expect(tiles.filter(has_text="Success rate")).to_contain_text("71.4")  # 5 of 7 finished
    expect(tiles.filter(has_text="Cost")).to_contain_text("$3.26")
    expect(tiles.filter(has_text="Active users")).to_contain_text("2")
    expect(dashboard.locator("figure.chart")).to_have_count(5)
    # Jobs per day: one bar segment per status and day that had one (2 + 1 + 2).
    expect(dashboard.locator("figure.chart").first.locator("rect")).to_have_count(5)
    per_model = dashboard.get_by_role("region", name="Per model over the range")
    expect(per_model.locator("tbody tr")).to_have_count(2)
    # fal retired fal-ai/veo3: its old jobs still count, shown by key (GET /models no longer
    # names it).
    veo = per_model.locator("tbody tr", has_text="fal-ai/veo3")
    expect(veo).to_contain_text("$3.20")
    expect(veo).to_contain_text("66.7 %")
    admin.page.get_by_text("Daily numbers as a table").click()
    admin.shot("admin-kpis")
