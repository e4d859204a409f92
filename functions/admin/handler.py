"""Lambda: admin views of jobs and users, role and daily cap changes, actions on stuck jobs;
schools (operators) and a school's settings and activity (its admins); classes, their join
codes and teacher invites; teacher oversight of classes and the safety events; budgets
(a school's budget and per-role limits, a class's cap and spend)."""

from mangum import Mangum

from videogen.admin.router import router as admin_router
from videogen.api import create_app
from videogen.budgets.router import router as budgets_router
from videogen.safety.router import router as safety_router
from videogen.schools.oversight_router import router as oversight_router
from videogen.schools.router import router as schools_router
from videogen.schools.school_router import router as school_router
from videogen.settings import require_settings

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "token_verifier", "storage", "fal", "copy_queue", "school_codes")
require_settings(*ADAPTERS)
app = create_app(
    admin_router,
    school_router,
    schools_router,
    oversight_router,
    safety_router,
    budgets_router,
    title="VideoGen admin",
)
handler = Mangum(app, lifespan="off")
