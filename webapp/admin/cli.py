"""`flask --app wsgi users list|create|invite|reset-password|import|disable|enable|delete`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.admin import services
from webapp.auth.services import set_password
from webapp.errors import ValidationError
from webapp.importer.services import ImportError_, import_file
from webapp.mail.sender import mail_enabled, send_mail
from webapp.onboarding.services import create_invitation
from webapp.recovery.services import make_reset_link

users_cli = AppGroup("users", help="Accounts on this Tend (never their journal text).")


def _account(email: str):
    try:
        return services.account_by_email(email)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None


def _refuse(exc: ValidationError):
    raise click.ClickException(" ".join(exc.errors.values()))


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"


@users_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
def list_users(as_json: bool):
    """Every account: email, created, last seen, entries, media (items, size), status."""
    accounts = services.list_accounts()
    if as_json:
        click.echo(json.dumps([a.as_json() for a in accounts], indent=2))
        return
    if not accounts:
        click.echo("No accounts yet.")
        return
    width = max(len(a.email) for a in accounts)
    click.echo(f"{'EMAIL':<{width}}  {'CREATED (UTC)':<16}  {'LAST SEEN (UTC)':<16}  "
               f"{'ENTRIES':>7}  {'MEDIA':>5}  {'MEDIA SIZE':>10}  STATUS")
    for a in accounts:
        click.echo(f"{a.email:<{width}}  {_when(a.created_at):<16}  {_when(a.last_seen_at):<16}  "
                   f"{a.entries:>7}  {a.media_items:>5}  {_size(a.media_bytes):>10}  "
                   f"{'paused' if a.disabled else 'active'}")


def _size(count: int) -> str:
    """Bytes for a person to read: 0 B, 912 KB, 14.2 MB, 1.3 GB (powers of 1000)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{count} B"


@users_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given (give it only from a script's secret store).")
@click.option("--timezone", default="UTC", show_default=True, help="An IANA zone name.")
def create(email: str, password: str, timezone: str):
    """Create an account (whatever REGISTRATION_OPEN says)."""
    try:
        user = services.create_account(email, password, timezone)
    except ValidationError as exc:
        _refuse(exc)
    click.echo(f"Created {user.email}. Recovery codes are offered when they first sign in.")


@users_cli.command("invite")
@click.argument("email", required=False)
@click.option("--days", type=click.IntRange(1, 90), default=None,
              help="How long the link works (INVITATION_DAYS, 7 by default).")
@click.option("--send", is_flag=True, help="Also email the link to EMAIL (needs MAIL_SERVER).")
def invite(email: str | None, days: int | None, send: bool):
    """Print a single-use link that creates one account (for EMAIL only, if given)."""
    if send and not (email and mail_enabled()):
        raise click.ClickException("--send needs an EMAIL and MAIL_SERVER set.")
    try:
        invitation, link = create_invitation(email, days)
    except ValidationError as exc:
        _refuse(exc)
    click.echo(link)
    until = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(f"Works once, until {until}" + (f", for {invitation.email}." if email else "."),
               err=True)
    if send:
        thread = send_mail(invitation.email, "invitation", link=link,
                           days=(invitation.expires_at - invitation.created_at).days)
        thread.join(timeout=30)
        click.echo(f"Emailed to {invitation.email}.", err=True)


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--minutes", type=click.IntRange(5, 7 * 24 * 60), default=24 * 60,
              show_default=True, help="How long the link works.")
@click.option("--set", "set_now", is_flag=True,
              help="Instead of a link, type a new password now (signs out every device).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (with --set).")
def reset_password(email: str, minutes: int, set_now: bool, yes: bool):
    """Print a single-use link with which the person sets a new password themselves."""
    user = _account(email)
    if not set_now:
        click.echo(make_reset_link(user, minutes))
        click.echo(f"Works once, for {minutes} minutes. Hand it to {user.email} privately.",
                   err=True)
        return
    if not yes:
        click.confirm(f"Set a new password for {user.email} and sign out all their devices?",
                      abort=True)
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(user, password, event="password_reset")
    except ValidationError as exc:
        _refuse(exc)
    click.echo(f"New password set for {user.email}; every device is signed out.")


@users_cli.command("import")
@click.argument("email")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_journal(email: str, path: Path):
    """Import a Tend export or a Day One export (JSON or zip) into an account."""
    user = _account(email)
    try:
        summary = import_file(user, path.name, path.read_bytes())
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Imported from {summary.source}: " + (
        ", ".join(f"{n} {what}" for what, n in summary.imported.items()) or "nothing new"))
    for (what, why), count in summary.skipped.items():
        click.echo(f"  left out {count} {what}: {why}")


@users_cli.command("disable")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def disable(email: str, yes: bool):
    """Pause an account: no sign-in, no reminders. Nothing is deleted."""
    user = _account(email)
    if not yes:
        click.confirm(f"Pause {user.email}? They cannot sign in until enabled again.", abort=True)
    changed = services.disable_account(user)
    click.echo(f"{user.email} is paused." if changed else f"{user.email} was already paused.")


@users_cli.command("enable")
@click.argument("email")
def enable(email: str):
    """Open a paused account again, with everything as it was."""
    user = _account(email)
    changed = services.enable_account(user)
    click.echo(f"{user.email} is open again." if changed else f"{user.email} was not paused.")


@users_cli.command("delete")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(email: str, yes: bool):
    """Erase an account and everything in it, for good (its data key first)."""
    user = _account(email)
    if not yes:
        click.confirm(
            f"Erase {user.email} and their whole journal for good? This cannot be undone.",
            abort=True,
        )
    address = user.email
    services.delete_account(user)
    click.echo(f"{address} and everything in it are erased.")
