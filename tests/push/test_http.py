"""Tend's own HTTP/1.1 client for push services keeps a connection alive only while answers end
where they say they do, reads a refusal however it is framed, treats anything that is not
HTTP as a connection problem worth retrying, and speaks TLS only to the name it dialled."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections import deque

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from py_vapid import Vapid02

from tests.push.conftest import LOCAL_PUSH
from tests.push.push_double import Subscriber
from webapp.push.endpoints import EndpointPolicy
from webapp.push.http import MAX_HEAD, parse_head
from webapp.push.sender import PushMessage, PushSender
from webapp.push.vapid import VapidSigner

CREATED = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"


class ScriptedService:
    """A push service on 127.0.0.1 answering each request with the next bytes of a script
    (201 when it runs out; ``(bytes, "close")`` closes the connection after them); it counts
    the connections and requests it sees."""

    def __init__(self, *answers, tls: ssl.SSLContext | None = None):
        self.answers = deque(answers)
        self.tls = tls
        self.connections = self.requests = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            if self.tls:
                connection = self.tls.wrap_socket(connection, server_side=True)
            self.connections += 1
            stream = connection.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = stream.readline()
                    if not line:
                        return
                    head += line
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                stream.read(length)
                self.requests += 1
                answer = self.answers.popleft() if self.answers else CREATED
                data, then = answer if isinstance(answer, tuple) else (answer, "")
                connection.sendall(data)
                if then == "close":
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            connection.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def service():
    made: list[ScriptedService] = []

    def start(*answers, tls: ssl.SSLContext | None = None) -> ScriptedService:
        made.append(ScriptedService(*answers, tls=tls))
        return made[-1]

    yield start
    for each in made:
        each.close()


def send(endpoint_base: str, count: int, *, ssl_context=None, policy=LOCAL_PUSH,
         timeout: float = 2.0) -> list:
    """``count`` messages, one after the other, to ``endpoint_base``/push/<n>."""
    vapid = Vapid02()
    vapid.generate_keys()
    sender = PushSender(VapidSigner(vapid, "mailto:care@example.org"), concurrency=1,
                        connect_timeout=timeout, read_timeout=timeout, policy=policy,
                        ssl_context=ssl_context)
    phone = Subscriber(f"{endpoint_base}/push/phone")
    messages = [PushMessage(n, f"{endpoint_base}/push/{n}", phone.p256dh, phone.auth,
                            b'{"web_push":8030}', 60) for n in range(count)]
    try:
        return sender.send_batch(messages, time.monotonic() + 30)
    finally:
        sender.close()


def test_one_kept_alive_connection_carries_message_after_message(service):
    push = service()
    results = send(f"http://127.0.0.1:{push.port}", 5)
    assert [r.outcome for r in results] == ["sent"] * 5
    assert (push.connections, push.requests) == (1, 5)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\n",  # a body still to come
        b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",  # more
        b"HTTP/1.1 400 No\r\nContent-Length: 1000000\r\n\r\n" + b"n" * 1_000_000,
    ],
    ids=["connection-close", "http-1.0", "body-to-come", "an-answer-too-many", "cut-refusal"],
)
def test_a_connection_is_not_used_again_unless_its_answer_ended_cleanly(service, answer):
    push = service(answer)
    results = send(f"http://127.0.0.1:{push.port}", 2)
    assert results[1].outcome == "sent"
    assert (push.connections, push.requests) == (2, 2)


def test_a_chunked_refusal_is_read_as_its_text_and_the_connection_kept(service):
    push = service(b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5;note=x\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    refused, then = send(f"http://127.0.0.1:{push.port}", 2)
    assert (refused.outcome, refused.status_code, refused.detail) == (
        "rejected", 400, "400 hello world")
    assert then.outcome == "sent" and push.connections == 1


def test_an_interim_answer_is_skipped_for_the_final_one(service):
    push = service(b"HTTP/1.1 100 Continue\r\n\r\n" + CREATED.replace(b"201 Created", b"202 A"))
    [result] = send(f"http://127.0.0.1:{push.port}", 1)
    assert (result.outcome, result.status_code) == ("sent", 202)


def test_a_refusal_without_a_length_ends_when_the_service_closes(service):
    push = service((b"HTTP/1.1 429 Too Many\r\nRetry-After: 120\r\n\r\nslow down", "close"),
                   b"HTTP/1.1 429 Too Many\r\nRetry-After: 120\r\n\r\nslow down")
    closed, endless = send(f"http://127.0.0.1:{push.port}", 2, timeout=0.5)
    assert (closed.outcome, closed.retry_after, closed.detail) == (
        "rate_limited", 120, "429 slow down")
    assert (endless.outcome, endless.detail) == ("retry", "timed out"), "the read timeout"
    assert push.connections == 2


@pytest.mark.parametrize(
    "answer, problem",
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "not an HTTP/1.1 answer"),
        (b"HTTP/1.1 2x1 Created\r\n\r\n", "not an HTTP/1.1 answer"),
        (b"HTTP/1.1 201 Created\r\nX-Long: " + b"a" * MAX_HEAD, "head is too long"),
        (b"HTTP/1.1 201 Created\r\n Folded: line\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 400 No\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
         "two different Content-Lengths"),
        (b"HTTP/1.1 400 No\r\nContent-Length: -1\r\n\r\n", "not a number"),
        (b"HTTP/1.1 400 No\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
    ],
    ids=["not-http", "odd-status", "endless-head", "folded", "two-lengths", "negative",
         "bad-chunk"],
)
def test_an_answer_that_is_not_http_is_a_connection_problem_to_retry(service, answer, problem):
    push = service(answer)
    started = time.monotonic()
    [result] = send(f"http://127.0.0.1:{push.port}", 1)
    assert time.monotonic() - started < 2, "never waits for more of what cannot be read"
    assert result.outcome == "retry"
    assert result.detail.startswith("connection error: AnswerError") and problem in result.detail


def test_the_head_of_an_answer_is_read_strictly():
    status, keep, headers = parse_head(b"HTTP/1.1 429 Too Many\r\nRetry-After: 30\r\n"
                                       b"Connection: Keep-Alive\r\nX-A: 1\r\nx-a: 2")
    assert (status, keep, headers["retry-after"], headers["x-a"]) == (429, True, "30", "2")
    assert parse_head(b"HTTP/1.1 201 Created\r\nConnection: close")[1] is False


# --- TLS ------------------------------------------------------------------------------------


def certificate_for(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def tls_pair(name: str, tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name``, and a client trusting only it."""
    cert, key = certificate_for(name)
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client = ssl.create_default_context(cadata=cert.decode())
    return server, client


TLS_LOCAL = EndpointPolicy(allow_loopback=True)  # https only, on this machine


def test_a_push_service_over_tls_is_reached_with_its_certificate_checked(service, tmp_path):
    server, client = tls_pair("localhost", tmp_path)
    push = service(tls=server)
    results = send(f"https://localhost:{push.port}", 3, ssl_context=client, policy=TLS_LOCAL)
    assert [r.outcome for r in results] == ["sent"] * 3
    assert (push.connections, push.requests) == (1, 3)


def test_a_certificate_for_another_name_is_refused_before_anything_is_sent(service, tmp_path):
    server, client = tls_pair("push.example.org", tmp_path)
    push = service(tls=server)
    [result] = send(f"https://localhost:{push.port}", 1, ssl_context=client, policy=TLS_LOCAL)
    assert result.outcome == "retry" and "certificate verify failed" in result.detail
    assert push.requests == 0
