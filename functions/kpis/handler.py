"""Lambda: the admin KPI dashboard data and on-demand (backfill) KPI job runs."""

from mangum import Mangum

from videogen.api import create_app
from videogen.kpis.router import router as kpis_router
from videogen.kpis.runner import check_kpi_settings
from videogen.settings import get_settings

check_kpi_settings(get_settings())  # fail at cold start, naming what is missing
app = create_app(kpis_router, title="VideoGen KPIs")
handler = Mangum(app, lifespan="off")
