"""Administration for whoever runs Tend: `flask --app wsgi users ...`. Never journal text."""

from flask import Flask


def init_admin(app: Flask) -> None:
    from webapp.admin.cli import users_cli

    app.cli.add_command(users_cli)
