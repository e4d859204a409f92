"""Lambda: admin views of jobs and users, role and quota changes."""

from mangum import Mangum

from videogen.admin.router import router as admin_router
from videogen.api import create_app

app = create_app(admin_router, title="VideoGen admin")
handler = Mangum(app, lifespan="off")
