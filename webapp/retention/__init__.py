"""Keeping records only as long as they help: old delivery records, old security-log rows
and spent or expired links are pruned once a day (on ``daily_upkeep``)."""

from flask import Flask


def init_retention(app: Flask) -> None:
    from webapp.retention import reactions  # noqa: F401  (subscribes to daily_upkeep)
    from webapp.retention.cli import retention_cli

    app.cli.add_command(retention_cli)
