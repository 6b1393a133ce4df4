"""WSGI entry point: ``gunicorn wsgi:app`` (and ``flask --app wsgi run``)."""

from webapp import create_app
from webapp.health.services import check_startup

app = create_app()
# A server stops here, clearly, when its database is unreachable or behind the migrations.
# (Other `flask --app wsgi` commands, such as `db upgrade`, skip the check.)
check_startup(app)
