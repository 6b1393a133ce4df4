"""Flask extensions, created once and bound to an app in the factory."""

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

from webapp.types import render_migration_type


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations can refer to them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class DatabaseUnreachable(RuntimeError):
    """DATABASE_URL names no database Tend can reach: stop at start-up and say so."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, render_item=render_migration_type)
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reading_is_never_limited() -> bool:
    """Every limit guards a change (sign-in, sign-up, sync); reading pages costs nothing."""
    return request.method in ("GET", "HEAD", "OPTIONS")


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite applies ON DELETE CASCADE and SET NULL only when asked, per connection;
    PostgreSQL always does. Tend relies on them on both: deleting a person deletes their
    rows, deleting a journey unties its entries. And SQLite overwrites what is deleted with
    zeros only when asked (``secure_delete``): an erased account must leave no bytes behind
    in the file (see ``webapp.auth.epochs``)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def _shown(uri: str) -> str:
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def init_database(app: Flask) -> None:
    """Bind the database, and unless testing, connect once: a wrong DATABASE_URL stops Tend at
    start-up with a clear message, instead of a generic error at the first request."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        db.init_app(app)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise DatabaseUnreachable(
            f"Tend cannot start: DATABASE_URL {_shown(uri)} is not a database address it can "
            f"use ({exc}). Use sqlite:///path/to/tend.db or "
            "postgresql+psycopg://user:password@host/dbname."
        ) from None
    if app.config.get("TESTING"):
        return
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseUnreachable(
                f"Tend cannot start: the database at {_shown(uri)} cannot be reached: {reason}. "
                "Check DATABASE_URL, and that the database server is running."
            ) from None
        finally:
            db.engine.dispose()
