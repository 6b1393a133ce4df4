"""Where a ``next`` parameter may send a person after signing in or unlocking: only to a path
on this site, never anywhere else.

Browsers are lenient with what follows ``/``: ``//host``, ``/\\host``, ``/<tab>/host`` (tabs and
newlines are dropped) and ``\\\\host`` all lead to another site. So a target is followed only
when it is one plain path: a single leading ``/``, no backslash, no control character or
space; and its path must not decode (once or twice) into ``//`` or a backslash either.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_NEXT = 2048


def _plain_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or not target.isprintable() or any(ch.isspace() for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _decodes_to_plain_path(target: str) -> bool:
    path = target.split("?", 1)[0].split("#", 1)[0]
    once = unquote(path)
    return all(
        form.startswith("/") and not form.startswith("//") and "\\" not in form
        and form.isprintable()
        for form in (once, unquote(once))
    )


def safe_next(target: object, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``."""
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT:
        return default
    if _plain_path(target) and _decodes_to_plain_path(target):
        return target
    return default
