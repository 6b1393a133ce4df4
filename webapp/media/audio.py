"""Voice memos: recognise a recording by its content, and store one copy every browser plays.

Browsers record different things: Safari and recent Chrome ``audio/mp4`` (Chrome puts Opus
in it, Safari AAC), Firefox ``audio/webm`` with Opus. Safari on iOS plays neither Opus
variant reliably, and recordings made by ``MediaRecorder`` carry no duration. So every memo
is transcoded on the server (PyAV, which ships FFmpeg) to AAC-LC, mono, in an MP4 file with
a proper index: Safari (iOS 16.4+), Chrome on Android and Firefox all play that, and show
its length. The recording as sent is not kept.
"""

from __future__ import annotations

from typing import BinaryIO

import av

SAMPLE_RATE = 48_000
BIT_RATE = 64_000  # plenty for a voice, mono: about 29 MB for 60 minutes
STORED_TYPE = "audio/mp4"
# Chunks of 256 KiB the MP4 muxer may go back into while writing its index at the end:
# the index grows with the length (about 0.8 MB for 30 minutes); this covers hours.
INDEX_CHUNKS = 16
FORMATS = {"webm": "matroska", "mp4": "mov"}  # FFmpeg's names for what sniff() finds


class NotAudio(ValueError):
    """What arrived is not a recording Tend can read."""


class TooLong(ValueError):
    """The recording is longer than a memo may be."""


def sniff(head: bytes) -> str | None:
    """The container a recording's first bytes announce, or None: names and declared types
    are never trusted."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    return None


def probe(source: BinaryIO) -> None:
    """Raise NotAudio unless ``source`` is a container with a sound stream FFmpeg decodes."""
    container = sniff(source.read(16))
    source.seek(0)
    if container is None:
        raise NotAudio("not a recording")
    try:
        with av.open(source, mode="r", format=FORMATS.get(container, container)) as inp:
            stream = next((s for s in inp.streams if s.type == "audio"), None)
            if stream is None:
                raise NotAudio("no sound in it")
            for _frame in inp.decode(stream):
                return
    except (av.FFmpegError, ValueError, OSError, EOFError) as exc:
        raise NotAudio(str(exc)) from exc
    raise NotAudio("the recording holds no sound")


def transcode(source: BinaryIO, sink: BinaryIO, *, max_seconds: int) -> int:
    """Decode the audio in ``source`` and write it as AAC in MP4 to ``sink``, a piece at a
    time; returns the duration in milliseconds. Raises NotAudio or TooLong."""
    head = source.read(16)
    source.seek(0)
    container = sniff(head)
    if container is None:
        raise NotAudio("not a recording")
    try:
        inp = av.open(source, mode="r", format=FORMATS.get(container, container))
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise NotAudio(str(exc)) from exc
    samples = 0
    limit = max_seconds * SAMPLE_RATE
    try:
        streams = [s for s in inp.streams if s.type == "audio"]
        if not streams:
            raise NotAudio("no sound in it")
        out = av.open(sink, mode="w", format="mp4")
        try:
            encoded = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            encoded.bit_rate = BIT_RATE
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=SAMPLE_RATE)
            for frame in inp.decode(streams[0]):
                for piece in resampler.resample(frame):
                    samples += piece.samples
                    if samples > limit:
                        raise TooLong("longer than a memo may be")
                    out.mux(encoded.encode(piece))
            for piece in resampler.resample(None):
                samples += piece.samples
                out.mux(encoded.encode(piece))
            out.mux(encoded.encode(None))
        finally:
            out.close()
    except (av.FFmpegError, ValueError, OSError, EOFError) as exc:
        if isinstance(exc, NotAudio | TooLong):
            raise
        raise NotAudio(str(exc)) from exc
    finally:
        inp.close()
    if samples == 0:
        raise NotAudio("the recording is silent: it holds no sound at all")
    return round(samples * 1000 / SAMPLE_RATE)
