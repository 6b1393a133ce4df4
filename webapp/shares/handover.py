"""Handing a link over the way phones do: a QR code to show, a message to a therapist."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from urllib.parse import quote

import segno

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+?\d[\d ()./-]{5,}\d")


def qr_svg(link: str) -> str:
    """The link as a QR code: an SVG, dark on light in every colour scheme, drawn here so
    the page needs no script or outside service to show it."""
    code = segno.make(link, error="m")
    buffer = io.BytesIO()
    code.save(
        buffer, kind="svg", scale=6, border=4, dark="#000", light="#fff",
        xmldecl=False, svgclass=None, lineclass=None,
    )
    return buffer.getvalue().decode()


def qr_data_uri(link: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(link).encode()).decode()


@dataclass(frozen=True)
class TherapistHandover:
    """How "Send to my therapist" starts: an email, a text message, or neither (just words)."""

    contact: str
    href: str | None
    method: str | None  # "email" or "message"


def therapist_handover(
    contact: str | None, link: str, subject: str, body: str
) -> TherapistHandover | None:
    """From the free-text contact in Settings: email when it holds an address, else a text
    message when it holds a phone number, else only the contact to copy the link to."""
    if not contact or not contact.strip():
        return None
    message = f"{body}\n\n{link}"
    email = EMAIL.search(contact)
    if email:
        href = f"mailto:{email.group(0)}?subject={quote(subject)}&body={quote(message)}"
        return TherapistHandover(contact, href, "email")
    phone = PHONE.search(contact)
    if phone:
        number = re.sub(r"[^\d+]", "", phone.group(0))
        return TherapistHandover(contact, f"sms:{number}?&body={quote(message)}", "message")
    return TherapistHandover(contact, None, None)
