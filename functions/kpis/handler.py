"""Lambda: the admin KPI dashboard data and on-demand (backfill) KPI job runs."""

from mangum import Mangum

from videogen.api import create_app
from videogen.kpis.router import router as kpis_router
from videogen.settings import require_settings

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "token_verifier", "kpi_runner")
require_settings(*ADAPTERS)
app = create_app(kpis_router, title="VideoGen KPIs")
handler = Mangum(app, lifespan="off")
