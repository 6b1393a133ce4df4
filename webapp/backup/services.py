"""Making, checking and restoring backups, on SQLite and on PostgreSQL.

- SQLite: the online backup API copies the database page by page while Tend keeps writing,
  and the copy is a consistent snapshot.
- PostgreSQL: ``pg_dump`` in its custom format (one consistent snapshot, compressed), and
  ``pg_restore`` into an empty database.

A backup holds journal text only as ciphertext. The wrapped data keys in it name the master
key they need (by id); restoring refuses to start unless that key is at hand.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from webapp.config import child_environment
from webapp.crypto import Keyring, KeyringError, epoch_of, wrapped_key_id
from webapp.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """The backup cannot be made, read or restored; the message says what to do."""


@dataclass
class BackupReport:
    """What a backup holds: its kind, rows per table, its migration, the master keys it needs."""

    kind: str
    tables: dict[str, int] = field(default_factory=dict)
    revision: str | None = None
    key_ids: set[str] = field(default_factory=set)
    sample_keys: dict[str, bytes] = field(default_factory=dict)  # one wrapped key per id


def database_url() -> URL:
    return db.engine.url


def master_key_location() -> str:
    keyring: Keyring = current_app.extensions["tend_keyring"]
    if keyring.path is None:
        return "the TEND_MASTER_KEY environment variable (and TEND_OLD_MASTER_KEYS, if set)"
    return str(keyring.path)


def check_keys_open(report: BackupReport, keyring: Keyring) -> None:
    """Refuse unless every master key the backup's data keys need is at hand and right."""
    for kid, wrapped in report.sample_keys.items():
        try:
            keyring.unwrap(wrapped)
        except KeyringError as exc:
            raise BackupError(
                f"This backup's journals need master key {kid}, which is not at hand here "
                f"({exc}). Put the right master_keys.json in the instance folder or set "
                "TEND_MASTER_KEY, then try again. Without it the journal text cannot be read."
            ) from None


# -- Create --------------------------------------------------------------------------------------


def create_backup(target: Path) -> BackupReport:
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    url = database_url()
    partial = target.with_name(target.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(Path(url.database), partial)
        elif url.get_backend_name() == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}"], url)
        else:
            raise BackupError(f"Backups of {url.get_backend_name()} are not supported.")
        os.chmod(partial, 0o600)
        report = read_backup(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return report


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin, \
            sqlite3.connect(target) as copy:
        origin.backup(copy)  # the online backup API: consistent while Tend writes
    origin.close()
    copy.close()


def _pg_environment(url: URL) -> dict[str, str]:
    settings = {}
    for name, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                        ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value:
            settings[name] = str(value)
    if "sslmode" in url.query:
        settings["PGSSLMODE"] = str(url.query["sslmode"])
    return child_environment(**settings)


def _run(command: list[str], url: URL, **options) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client tool; the password travels in the environment, not argv."""
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"`{command[0]}` is not installed. Install the PostgreSQL client tools of the "
            "server's major version (Debian: apt-get install postgresql-client)."
        )
    result = subprocess.run(  # noqa: S603 (a fixed tool and arguments, no shell)
        command, env=_pg_environment(url), capture_output=True, **options
    )
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace") if isinstance(result.stderr, bytes) \
            else result.stderr
        raise BackupError(f"{command[0]} failed: {stderr.strip()[:2000]}")
    return result


# -- Read and verify -------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror}.") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a Tend backup (neither SQLite nor a pg_dump archive).")


def read_backup(path: Path) -> BackupReport:
    """Open the backup, check it, count its rows and find the master keys it needs."""
    kind = backup_kind(Path(path))
    report = _read_sqlite(Path(path)) if kind == "sqlite" else _read_pg_archive(Path(path))
    if "users" not in report.tables:
        raise BackupError(f"{path} holds no Tend tables.")
    return report


def _note_key(report: BackupReport, wrapped: bytes) -> None:
    """Note which master key ``wrapped`` needs. Data keys wrapped in a key epoch need the
    master key only through their epoch's key, which is noted from ``key_epochs``."""
    if wrapped and epoch_of(wrapped) is None:
        kid = wrapped_key_id(wrapped)
        report.key_ids.add(kid)
        report.sample_keys.setdefault(kid, wrapped)


def _read_sqlite(path: Path) -> BackupReport:
    report = BackupReport("sqlite")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"{path} is damaged: {verdict}")
            names = [row[0] for row in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                count = f"SELECT count(*) FROM {quoted}"  # noqa: S608 (a quoted table name)
                report.tables[name] = copy.execute(count).fetchone()[0]
            if "alembic_version" in names:
                row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
                report.revision = row[0] if row else None
            if "users" in names:
                for (wrapped,) in copy.execute("SELECT data_key FROM users"):
                    _note_key(report, bytes(wrapped))
            if "key_epochs" in names:
                for (wrapped,) in copy.execute("SELECT wrapped_key FROM key_epochs"):
                    _note_key(report, bytes(wrapped))
        copy.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be opened as a database: {exc}") from None
    return report


def _read_pg_archive(path: Path) -> BackupReport:
    """Count rows straight from the archive: pg_restore writes its data as COPY blocks."""
    report = BackupReport("postgresql")
    tool = shutil.which("pg_restore")
    if tool is None:
        raise BackupError("`pg_restore` is not installed (Debian: apt-get install "
                          "postgresql-client).")
    listing = subprocess.run(  # noqa: S603 (a fixed tool and arguments, no shell)
        [tool, "--list", str(path)], capture_output=True, text=True
    )
    if listing.returncode != 0:
        raise BackupError(f"{path} cannot be read by pg_restore: {listing.stderr.strip()}")
    process = subprocess.Popen([tool, "--data-only", "--file=-", str(path)],  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    counts: Counter = Counter()
    table = columns = None
    for line in process.stdout:
        if table is None:
            if line.startswith("COPY "):
                head = line[5:]
                table = head.split(" ", 1)[0].split(".")[-1].strip('"')
                columns = [c.strip().strip('"') for c in head[head.index("(") + 1:
                                                                head.index(")")].split(",")]
                counts[table] += 0
            continue
        if line.rstrip("\n") == "\\.":
            table = None
            continue
        counts[table] += 1
        values = line.rstrip("\n").split("\t")
        if table == "users" and "data_key" in columns:
            _note_key(report, _copy_bytea(values[columns.index("data_key")]))
        elif table == "key_epochs" and "wrapped_key" in columns:
            _note_key(report, _copy_bytea(values[columns.index("wrapped_key")]))
        elif table == "alembic_version":
            report.revision = values[0]
    stderr = process.stderr.read()
    if process.wait() != 0:
        raise BackupError(f"{path} is damaged: {stderr.strip()[:2000]}")
    report.tables = dict(sorted(counts.items()))
    return report


def _copy_bytea(value: str) -> bytes:
    """A bytea in COPY's text format: ``\\\\x`` then hex (the backslash itself escaped)."""
    if value == "\\N":
        return b""
    value = value.replace("\\\\", "\\")
    return bytes.fromhex(value[2:]) if value.startswith("\\x") else value.encode()


# -- Restore -------------------------------------------------------------------------------------


def database_is_empty() -> bool:
    with db.engine.connect() as connection:
        return not inspect(connection).get_table_names()


def restore_backup(source: Path) -> BackupReport:
    """Restore into this app's database, which must be empty, with the master key at hand."""
    source = Path(source)
    report = read_backup(source)
    check_keys_open(report, current_app.extensions["tend_keyring"])
    if not database_is_empty():
        raise BackupError(
            "The database is not empty. Restore into a new, empty database (createdb, or a "
            "new SQLite file in DATABASE_URL), so that nothing is overwritten."
        )
    url = database_url()
    if report.kind != url.get_backend_name():
        raise BackupError(f"This is a {report.kind} backup; DATABASE_URL is "
                          f"{url.get_backend_name()}. Restore it into the same kind.")
    db.session.remove()
    db.engine.dispose()
    if report.kind == "sqlite":
        target = Path(url.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            staged = Path(scratch) / "restore.db"
            _sqlite_copy(source, staged)
            os.replace(staged, target)
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={url.database}", str(source)], url, text=True)
    return report
