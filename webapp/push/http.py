"""A small HTTP/1.1 client for posting to push services, and nothing else.

A general client (aiohttp) cost more CPU per message than the Web Push encryption itself;
cookies, redirects, URL objects and a timer per read are of no use here. This one keeps
connections alive per origin, one request at a time on each, writes each request as one
prebuilt block, and reads only what an answer needs: its status, Retry-After, and for a
refusal the beginning of its body.

Answers are untrusted, so everything read is bounded: the head (16 KiB), the body kept
(``MAX_ANSWER_BYTES``), each chunk-size line. A connection is used again only after an
answer that ended exactly where it said, never after a refusal cut short, an HTTP/1.0
answer or ``Connection: close``. One sweep of the requests in flight, a few times a second,
keeps the time limits (not a timer per request): ``connect_timeout`` for resolving and
connecting (TLS included), ``read_timeout`` without a byte, and each request's deadline.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from webapp.push.endpoints import PublicOnlyResolver

MAX_HEAD = 16 * 1024
MAX_ANSWER_BYTES = 4096  # of a refusal's body
MAX_CHUNK_LINE = 1024
IDLE_SECONDS = 15.0  # a kept-alive connection unused for longer is closed, not used again
MAX_CONNECTING = 8  # connections being opened to one origin at once; more wait, or reuse


class AnswerError(Exception):
    """The push service's answer is not HTTP/1.1 that can be read."""


@dataclass(frozen=True, slots=True)
class Origin:
    tls: bool
    host: str  # as connected to and checked against the certificate
    port: int
    host_header: bytes

    @classmethod
    def of(cls, prefix: str) -> Origin:
        """From ``scheme://host[:port]`` (checked by ``EndpointPolicy.refusal`` first)."""
        parts = urlsplit(prefix)
        tls = parts.scheme == "https"
        host = (parts.hostname or "").rstrip(".")
        port = parts.port or (443 if tls else 80)
        return cls(tls, host, port, parts.netloc.encode("ascii"))


@dataclass(slots=True)
class Answer:
    status: int
    retry_after: str | None
    body: bytes  # read for refusals only (status 300 and up), at most MAX_ANSWER_BYTES


def parse_head(head: bytes) -> tuple[int, bool, dict[str, str]]:
    """Status, whether the connection may stay open, and the headers (names lower case; of
    a repeated header the last)."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if version not in ("HTTP/1.1", "HTTP/1.0") or not (code.isdigit() and code.isascii()) \
            or rest[3:4] not in ("", " "):
        raise AnswerError("not an HTTP/1.1 answer")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise AnswerError("a malformed header line")
        name = name.lower()
        value = value.strip()
        if name == "content-length" and headers.get(name, value) != value:
            raise AnswerError("two different Content-Lengths")
        headers[name] = value
    keep = version == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    return int(code), keep, headers


class Connection(asyncio.Protocol):
    """One connection to one origin; answers one request at a time."""

    def __init__(self, pool: ConnectionPool, origin: Origin):
        self.pool, self.origin = pool, origin
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.buffer = bytearray()
        self.closed = False
        self.deadline = self.activity = self.used_at = 0.0
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.keep = False
        self.retry_after = None
        self.framing = ""  # "" while reading the head, then length, chunked or close
        self.left = 0  # bytes of the body (or of the current chunk) still to come
        self.body = bytearray()

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.pool.open_count += 1

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.pool.open_count -= 1
        self.fail(exc or ConnectionResetError("the push service closed the connection"))

    def eof_received(self):
        if self.waiter is not None and self.framing == "close":  # the body ends here
            self._finish(reusable=False)
        self.fail(ConnectionResetError("the push service closed the connection"))
        return False

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:  # nothing was asked: a service speaking out of turn
            self.close()
            return
        self.activity = self.pool.loop.time()
        self.buffer += data
        try:
            self._read()
        except AnswerError as exc:
            self.fail(exc)

    # --- one request -----------------------------------------------------------------------

    def send(self, data: bytes, deadline: float) -> asyncio.Future:
        self.waiter = self.pool.loop.create_future()
        self.deadline = deadline
        self.activity = self.pool.loop.time()
        self.pool.busy.add(self)
        self.pool.watch()
        self.transport.write(data)
        return self.waiter

    def fail(self, exc: BaseException) -> None:
        waiter, self.waiter = self.waiter, None
        self.pool.busy.discard(self)
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _finish(self, reusable: bool) -> None:
        answer = Answer(self.status, self.retry_after, bytes(self.body[:MAX_ANSWER_BYTES]))
        waiter, self.waiter = self.waiter, None
        self.pool.busy.discard(self)
        if reusable and self.keep and not self.buffer and not self.closed:
            self._reset()
            self.pool.release(self)
        else:
            self.close()
        if not waiter.done():
            waiter.set_result(answer)

    def _read(self) -> None:
        if not self.framing:
            while True:  # interim (1xx) answers are skipped
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0 or end > MAX_HEAD:
                    if len(self.buffer) > MAX_HEAD:
                        raise AnswerError("the answer's head is too long")
                    return
                status, self.keep, headers = parse_head(bytes(self.buffer[:end]))
                del self.buffer[: end + 4]
                if status == 101 or not 100 <= status < 200:
                    break
            self._start_body(status, headers)
            if self.waiter is None:
                return
        if self.framing == "length":
            take = min(self.left, len(self.buffer))
            self.body += self.buffer[:take]
            del self.buffer[:take]
            self.left -= take
            if not self.left:
                self._finish(reusable=True)
            elif len(self.body) >= MAX_ANSWER_BYTES:
                self._finish(reusable=False)
        elif self.framing == "chunked":
            self._read_chunks()
        else:  # until the service closes the connection
            self.body += self.buffer
            self.buffer.clear()
            if len(self.body) >= MAX_ANSWER_BYTES:
                self._finish(reusable=False)

    def _start_body(self, status: int, headers: dict[str, str]) -> None:
        self.status, self.retry_after = status, headers.get("retry-after")
        coding = headers.get("transfer-encoding")
        length = headers.get("content-length")
        if status in (204, 304):
            self.framing, self.left = "length", 0
        elif coding is not None:
            chunked = coding.lower().rsplit(",", 1)[-1].strip() == "chunked"
            self.framing = "chunked" if chunked else "close"
            self.keep = self.keep and chunked and length is None
        elif length is not None:
            if not (length.isdigit() and length.isascii()):
                raise AnswerError("a Content-Length that is not a number")
            self.framing, self.left = "length", int(length)
        else:
            self.framing, self.keep = "close", False
        if status < 300:
            # Nothing of a success is read: the connection is kept only if its body (empty,
            # as push services send it) is already here in full.
            whole = (self.framing == "length" and len(self.buffer) == self.left) or (
                self.framing == "chunked" and bytes(self.buffer) == b"0\r\n\r\n")
            self.buffer.clear()
            self._finish(reusable=whole)

    def _read_chunks(self) -> None:
        while self.waiter is not None:
            if self.left:  # inside a chunk (its data, then CRLF)
                take = min(self.left, len(self.buffer))
                if take == 0:
                    return
                if len(self.body) < MAX_ANSWER_BYTES:
                    self.body += self.buffer[: min(take, max(0, self.left - 2))]
                del self.buffer[:take]
                self.left -= take
                if len(self.body) >= MAX_ANSWER_BYTES:
                    self._finish(reusable=False)
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                if len(self.buffer) > MAX_CHUNK_LINE:
                    raise AnswerError("a chunk size line is too long")
                return
            size = bytes(self.buffer[:end]).split(b";", 1)[0].strip()
            if not size or len(size) > 8 or size.strip(b"0123456789abcdefABCDEF"):
                raise AnswerError("a chunk size is not a number")
            del self.buffer[: end + 2]
            if int(size, 16) == 0:  # the last chunk; then trailers up to an empty line
                if self.buffer[:2] == b"\r\n":
                    del self.buffer[:2]
                    self._finish(reusable=True)
                else:
                    self._finish(reusable=False)
                return
            self.left = int(size, 16) + 2


class ConnectionPool:
    """Connections kept alive per origin, at most ``limit`` open at once."""

    def __init__(self, loop, *, connect_timeout: float, read_timeout: float, limit: int,
                 resolver: PublicOnlyResolver, ssl_context: ssl.SSLContext | None = None):
        self.loop = loop
        self.connect_timeout, self.read_timeout, self.limit = connect_timeout, read_timeout, limit
        self.resolver = resolver
        self.ssl_context = ssl_context
        self.idle: dict[Origin, list[Connection]] = {}
        self.busy: set[Connection] = set()
        self.open_count = 0
        self._gates: dict[Origin, asyncio.Semaphore] = {}
        self._sweep_handle: asyncio.TimerHandle | None = None
        self._tick = max(0.05, min(0.25, read_timeout / 4, connect_timeout / 4))

    async def post(self, origin: Origin, request: bytes, deadline: float) -> Answer:
        """Send ``request`` (head and body) and wait for the answer, by ``deadline``
        (``loop.time()``). Raises TimeoutError, OSError (UnsafeAddress included) or
        AnswerError."""
        connection = self._idle_connection(origin)
        if connection is None:
            connection = await self._connect(origin, deadline)
        return await connection.send(request, deadline)

    def release(self, connection: Connection) -> None:
        connection.used_at = self.loop.time()
        self.idle.setdefault(connection.origin, []).append(connection)

    def watch(self) -> None:
        if self._sweep_handle is None:
            self._sweep_handle = self.loop.call_later(self._tick, self._sweep)

    def _sweep(self) -> None:
        self._sweep_handle = None
        now = self.loop.time()
        for connection in list(self.busy):
            if now >= connection.deadline or now - connection.activity >= self.read_timeout:
                connection.fail(TimeoutError())
        if self.busy:
            self.watch()

    def _idle_connection(self, origin: Origin) -> Connection | None:
        waiting = self.idle.get(origin)
        while waiting:
            connection = waiting.pop()
            if connection.closed or connection.transport.is_closing():
                continue
            if self.loop.time() - connection.used_at > IDLE_SECONDS:
                connection.close()
                continue
            return connection
        return None

    async def _connect(self, origin: Origin, deadline: float) -> Connection:
        """A new connection, or one that came free while waiting for a turn to open one."""
        gate = self._gates.get(origin) or self._gates.setdefault(
            origin, asyncio.Semaphore(MAX_CONNECTING))
        tls = self.ssl_context if origin.tls else None
        async with asyncio.timeout_at(min(deadline, self.loop.time() + self.connect_timeout)), \
                gate:
            connection = self._idle_connection(origin)
            if connection is not None:
                return connection
            if self.open_count >= self.limit:  # make room: close an idle connection elsewhere
                fullest = max(self.idle.values(), key=len, default=[])
                if fullest:
                    fullest.pop(0).close()
            error: OSError = OSError(f"{origin.host} has no address")
            for family, address in await self.resolver.resolve(origin.host, origin.port):
                try:
                    _, connection = await self.loop.create_connection(
                        lambda: Connection(self, origin), address, origin.port, family=family,
                        ssl=tls, server_hostname=origin.host if tls else None,
                        ssl_handshake_timeout=self.connect_timeout if tls else None)
                    return connection
                except OSError as exc:  # refused, unreachable, a certificate that is not right
                    error = exc
            raise error

    def close(self) -> None:
        if self._sweep_handle is not None:
            self._sweep_handle.cancel()
            self._sweep_handle = None
        for connection in list(self.busy):
            connection.fail(ConnectionAbortedError("the sender was closed"))
        for waiting in self.idle.values():
            for connection in waiting:
                connection.close()
        self.idle.clear()
