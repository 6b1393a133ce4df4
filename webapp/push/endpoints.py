"""Which push addresses Tend will send to: only the public push services of the browsers, never
a machine of the host's own network.

A push endpoint is a URL the browser hands over; Tend POSTs to it. Left open, that would let
anyone make the server send requests inside its own network (server-side request forgery):
to ``127.0.0.1``, to a cloud's metadata address, to a database's port. So an endpoint must be
``https://`` on a host of a known push service (or one the host configured in
``PUSH_ALLOWED_HOSTS``), never an IP address, and its name must resolve to public addresses
only. The name is checked again whenever the sender looks it up to connect
(``PublicOnlyResolver``; an answer is reused for at most five minutes), so a name that later
points inside the network is refused then.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

# The Web Push services of Apple, Google (Chrome, Edge on Android, Samsung Internet), Mozilla
# and Microsoft (Edge on Windows). ``*.`` matches any name below it.
KNOWN_PUSH_HOSTS = (
    "web.push.apple.com",
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.notify.windows.com",
)

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class UnsafeAddress(OSError):
    """A push host resolved to an address inside a network, not on the public internet."""


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address) -> bool:
    """Private, loopback, link-local, shared, reserved and multicast addresses are not."""
    return address.is_global and not address.is_multicast


def host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.strip().lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


@dataclass(frozen=True)
class EndpointPolicy:
    """What a push address may be. ``allow_http`` and ``allow_loopback`` exist for Tend's own
    tests, which run a push service on this machine; nothing else sets them."""

    extra_hosts: tuple[str, ...] = ()
    allow_http: bool = False
    allow_loopback: bool = False

    @classmethod
    def from_config(cls, config) -> EndpointPolicy:
        return cls(
            extra_hosts=tuple(config.get("PUSH_ALLOWED_HOSTS", ())),
            allow_http=bool(config.get("PUSH_ALLOW_HTTP_ENDPOINTS")),
            allow_loopback=bool(config.get("PUSH_ALLOW_LOOPBACK_ENDPOINTS")),
        )

    def is_loopback(self, host: str) -> bool:
        address = _ip(host)
        return host in LOOPBACK_NAMES or (address is not None and address.is_loopback)

    def known_host(self, host: str) -> bool:
        return any(host_matches(host, p) for p in (*KNOWN_PUSH_HOSTS, *self.extra_hosts))

    @staticmethod
    def built_in_host(host: str) -> bool:
        return any(host_matches(host, p) for p in KNOWN_PUSH_HOSTS)

    def refusal(self, endpoint: str) -> str | None:
        """Why ``endpoint`` is not a push address Tend sends to; None when it is."""
        try:
            parts = urlsplit(endpoint)
            host = (parts.hostname or "").rstrip(".").lower()
            parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
        except ValueError:
            return "The push address is not a valid URL."
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in schemes or not host:
            return "The push address must be an https:// address."
        if parts.username is not None or parts.password is not None:
            return "The push address must not carry a user name or password."
        if self.allow_loopback and self.is_loopback(host):
            return None
        if _ip(host) is not None:
            return "The push address must name a push service, not an IP address."
        if not self.known_host(host):
            return "The push address is not one of the push services Tend sends to."
        return None

    def resolves_inside(self, host: str) -> bool:
        """Whether a configured extra host resolves to an address that is not public (checked
        when a device subscribes; a name that does not resolve now is checked when sending)."""
        if self.allow_loopback and self.is_loopback(host):
            return False
        try:
            infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return False
        return any(not is_public(_ip(info[4][0])) for info in infos)


class PublicOnlyResolver:
    """Looks a push host's name up, refusing any name that resolves to a non-public address:
    checked at the moment of connecting, so DNS that changes after subscribing cannot reach
    inside. A name's (checked) addresses are reused for ``ttl`` seconds, and connections
    opened at the same moment share one look-up."""

    def __init__(self, allow_loopback: bool = False, ttl: float = 300.0):
        self.allow_loopback = allow_loopback
        self.ttl = ttl
        self._known: dict[tuple[str, int], tuple[float, list]] = {}
        self._pending: dict[tuple[str, int], asyncio.Task] = {}

    async def resolve(self, host: str, port: int) -> list[tuple[socket.AddressFamily, str]]:
        """Every (family, address) of ``host``; UnsafeAddress if any is not public."""
        loop = asyncio.get_running_loop()
        key = (host, port)
        known = self._known.get(key)
        if known and known[0] > loop.time():
            return known[1]
        task = self._pending.get(key)
        if task is None:
            task = self._pending[key] = loop.create_task(self._look_up(host, port))
            task.add_done_callback(lambda done: self._done(key, done))
        return await asyncio.shield(task)

    async def _look_up(self, host: str, port: int) -> list[tuple[socket.AddressFamily, str]]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       proto=socket.IPPROTO_TCP)
        found = []
        for family, _, _, _, sockaddr in infos:
            address = _ip(sockaddr[0])
            allowed = address is not None and (
                is_public(address) or (self.allow_loopback and address.is_loopback))
            if not allowed:
                raise UnsafeAddress(f"{host} resolves to an address inside a network")
            if (family, sockaddr[0]) not in found:
                found.append((family, sockaddr[0]))
        self._known[(host, port)] = (loop.time() + self.ttl, found)
        return found

    def _done(self, key: tuple[str, int], task: asyncio.Task) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # looked at, even when every connection waiting gave up
