"""Recordings and pictures made by the tests themselves, and a device that uploads them."""

from __future__ import annotations

import hashlib
import io
import math
import uuid
import wave
from functools import cache

import av
from PIL import Image

PIECE = 64 * 1024


@cache
def tone_wav(seconds: float, rate: int = 16_000, pitch: float = 440.0) -> bytes:
    """A sine tone as 16-bit mono WAV."""
    frames = bytearray()
    for n in range(int(seconds * rate)):
        value = int(12_000 * math.sin(2 * math.pi * pitch * n / rate))
        frames += value.to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(bytes(frames))
    return out.getvalue()


@cache
def tone_encoded(seconds: float, container: str = "webm", codec: str = "libopus") -> bytes:
    """A tone encoded as a browser would record it (WebM/Opus by default)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=48_000, layout="mono")
        frame_samples = 960  # 20 ms: six whole periods of a 300 Hz tone, the same every frame
        pcm = b"".join(
            int(9_000 * math.sin(2 * math.pi * 300 * n / 48_000)).to_bytes(2, "little",
                                                                        signed=True)
            for n in range(frame_samples)
        )
        for start in range(0, int(seconds * 48_000), frame_samples):
            frame = av.AudioFrame(format="s16", layout="mono", samples=frame_samples)
            frame.planes[0].update(pcm)
            frame.sample_rate = 48_000
            frame.pts = start
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return out.getvalue()


def photo_bytes(size=(1200, 800), fmt="JPEG", exif=None, **save) -> bytes:
    image = Image.new("RGB", size, (180, 120, 60))
    for x in range(0, size[0], 40):
        image.paste((20, 80, 160), (x, 0, x + 10, size[1] // 2))
    out = io.BytesIO()
    if exif is not None:
        save["exif"] = exif
    image.save(out, fmt, **save)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Uploader:
    """What a device does: announce, send pieces from the acknowledged offset, complete."""

    def __init__(self, client):
        self.client = client

    def token(self) -> str:
        return self.client.get("/api/session").get_json()["csrf_token"]

    def headers(self, **extra) -> dict:
        return {"X-CSRFToken": self.token(), **extra}

    def start(self, data: bytes, kind: str = "memo", media_id: str | None = None):
        media_id = media_id or str(uuid.uuid4())
        return self.client.post("/api/media", json={"id": media_id, "kind": kind,
                                                    "size": len(data)}, headers=self.headers())

    def piece(self, media_id: str, offset: int, data: bytes):
        return self.client.post(
            f"/api/media/{media_id}/content", data=data,
            headers=self.headers(**{"Upload-Offset": str(offset),
                                    "Content-Type": "application/octet-stream"}),
        )

    def complete(self, media_id: str, body: dict | None = None):
        return self.client.post(f"/api/media/{media_id}/complete", json=body or {},
                                headers=self.headers())

    def send_all(self, media_id: str, data: bytes, piece: int = PIECE, start: int = 0) -> int:
        offset = start
        while offset < len(data):
            response = self.piece(media_id, offset, data[offset : offset + piece])
            assert response.status_code == 200, response.get_json()
            offset = response.get_json()["offset"]
        return offset

    def upload(self, data: bytes, kind: str = "memo", body: dict | None = None,
               media_id: str | None = None) -> dict:
        started = self.start(data, kind, media_id)
        assert started.status_code in (200, 201), started.get_json()
        media_id = started.get_json()["id"]
        self.send_all(media_id, data, start=started.get_json()["offset"])
        done = self.complete(media_id, {"sha256": sha(data), **(body or {})})
        assert done.status_code == 200, done.get_json()
        return done.get_json()
