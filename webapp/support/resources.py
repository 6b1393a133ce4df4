"""The host's crisis resources: read once from their file, or Tend's defaults."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from flask import current_app

from webapp.content import DEFAULT_SUPPORT_RESOURCES, SupportResource


class SupportFileError(ValueError):
    """The host's support file could not be read; the message says why."""


def load_support_resources(path: str | Path | None) -> list[SupportResource]:
    """The host's crisis resources from a JSON or TOML file, or the defaults.

    The file holds a list named ``resources`` of objects with ``name``, ``description``,
    ``contact`` and optional ``href``.
    """
    if not path:
        return list(DEFAULT_SUPPORT_RESOURCES)
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (OSError, ValueError) as exc:
        raise SupportFileError(f"cannot read support resources from {path}: {exc}") from exc
    items = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise SupportFileError(f"{path} needs a non-empty list named 'resources'")
    resources = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and item.get(k).strip() for k in ("name", "contact")
        ):
            raise SupportFileError(f"resource {number} in {path} needs a 'name' and a 'contact'")
        href = str(item.get("href", ""))
        if href and not href.startswith(("tel:", "sms:", "https:", "mailto:")):
            raise SupportFileError(
                f"resource {number} in {path}: href must be tel:, sms:, mailto: or https:"
            )
        resources.append(
            SupportResource(
                item["name"].strip(),
                str(item.get("description", "")),
                item["contact"].strip(),
                href,
            )
        )
    return resources


def support_resources() -> list[SupportResource]:
    """The crisis resources for this instance, read at start-up (see the blueprint)."""
    resources = current_app.extensions.get("tend_support_resources")
    if resources is None:
        resources = load_support_resources(current_app.config.get("SUPPORT_FILE"))
        current_app.extensions["tend_support_resources"] = resources
    return resources
