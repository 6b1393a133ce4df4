"""A fast local push service for the reminder benchmark.

It answers every POST with 201 after a fixed delay (30 ms, like a real push service), keeps
connections alive, and fully checks a sample of requests (VAPID JWT and aes128gcm
decryption, with the same checks as the test suite's push service double) so the
benchmark proves it measured real, readable pushes. It runs in its own process so its CPU
time is counted apart from the dispatcher's.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import http_ece  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from tests.push.push_double import verify_push  # noqa: E402

RESPONSE = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nLocation: /m/1\r\n\r\n"


class KeyedSubscriber:
    """A browser's keys, rebuilt in this process from (private value, auth secret)."""

    def __init__(self, private_value: int, auth_secret: bytes):
        self.private_key = ec.derive_private_key(private_value, ec.SECP256R1())
        self.auth_secret = auth_secret

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.private_key,
                                auth_secret=self.auth_secret, version="aes128gcm")


class Stats:
    def __init__(self):
        self.requests = 0
        self.verified = 0
        self.problems: list[str] = []
        self.subscription_ids: set[int] = set()


def serve(ready, results, stop, *, delay: float, sample_every: int, vapid_public_key: str,
          subscriber_keys: list[tuple[int, bytes]]) -> None:
    """Process entry point: serve until ``stop`` is set, then report Stats on ``results``."""
    stats = Stats()
    subscribers = [KeyedSubscriber(value, auth) for value, auth in subscriber_keys]

    async def main():
        loop = asyncio.get_running_loop()
        origin_holder = {}

        class PushProtocol(asyncio.Protocol):
            def connection_made(self, transport):
                self.transport = transport
                self.buffer = bytearray()

            def data_received(self, data):
                self.buffer += data
                while True:
                    end = self.buffer.find(b"\r\n\r\n")
                    if end < 0:
                        return
                    head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
                    headers = {}
                    for line in head[1:]:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                    length = int(headers.get("content-length", "0"))
                    if len(self.buffer) < end + 4 + length:
                        return
                    body = bytes(self.buffer[end + 4 : end + 4 + length])
                    del self.buffer[: end + 4 + length]
                    path = head[0].split(" ")[1]
                    number = int(path.rsplit("/", 1)[-1])
                    stats.requests += 1
                    stats.subscription_ids.add(number)
                    if stats.requests % sample_every == 1:
                        self.check(headers, body, number)
                    loop.call_later(delay, self.answer)

            def check(self, headers, body, number):
                class Headers(dict):
                    def get(self, key, default=None):
                        return super().get(key.lower(), default)

                problem, _, plaintext = verify_push(
                    Headers(headers), body, origin=origin_holder["origin"],
                    vapid_public_key=vapid_public_key,
                    subscriber=subscribers[number % len(subscribers)],
                )
                if problem or b'"web_push":8030' not in plaintext:
                    stats.problems.append(problem or "not a declarative push message")
                else:
                    stats.verified += 1

            def answer(self):
                if not self.transport.is_closing():
                    self.transport.write(RESPONSE)

        server = await loop.create_server(PushProtocol, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        origin_holder["origin"] = f"http://127.0.0.1:{port}"
        ready.put(port)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        server.close()

    asyncio.run(main())
    cpu = time.process_time()
    results.put({
        "requests": stats.requests, "verified": stats.verified, "problems": stats.problems[:5],
        "distinct_subscriptions": len(stats.subscription_ids), "cpu_seconds": cpu,
    })
