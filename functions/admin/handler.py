"""Lambda: admin views of jobs and users, role and quota changes, actions on stuck jobs;
classes, their join codes and teacher invites."""

from mangum import Mangum

from videogen.admin.router import router as admin_router
from videogen.api import create_app
from videogen.schools.router import router as schools_router
from videogen.settings import require_settings

# What this function is made of: its cold start fails, naming them, if their settings are
# missing, and it is deployed with these adapters' secrets only (tests/deploy).
ADAPTERS = ("database", "token_verifier", "storage", "fal", "copy_queue", "school_codes")
require_settings(*ADAPTERS)
app = create_app(admin_router, schools_router, title="VideoGen admin")
handler = Mangum(app, lifespan="off")
