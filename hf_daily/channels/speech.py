"""Mandarin speech, offline: eSpeak NG (from the `espeakng-loader` wheel) through ctypes, then MP3 with lameenc.

Debian's eSpeak NG 1.51 misreads Mandarin; the wheel ships 1.52 with its data, so nothing outside
pip is needed. eSpeak keeps one global engine per process, so every call holds a lock.
"""

from __future__ import annotations

import array
import ctypes
import datetime as dt
import hashlib
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hf_daily.core.files import write_atomically
from hf_daily.core.layout import DataLayout
from hf_daily.core.parallel import map_days

INSTALL_HINT = "install the speech packages with `pip install espeakng-loader lameenc` (or `pip install -e .`)"
MIN_VERSION = (1, 52)

# eSpeak NG's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit() inside our process
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_POS_CHARACTER = 1
_RATE, _PITCH = 1, 3

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class SpeechUnavailable(RuntimeError):
    """The speech engine or encoder cannot be loaded."""


@dataclass(frozen=True)
class Speech:
    pcm: bytes  # 16-bit signed native-endian mono
    sample_rate: int
    engine: str = ""

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


def _collect(wav, count, _events) -> int:
    if count > 0:
        _sink[-1].frombytes(ctypes.string_at(wav, count * 2))
    return 0  # 0: go on synthesizing


# One callback for the life of the process: eSpeak keeps calling the last one it was given, and a
# collected ctypes callback would crash it.
_CALLBACK = _SynthCallback(_collect)
_sink: list[array.array] = [array.array("h")]


class _Espeak:
    """The process's one eSpeak NG: its state (voice, callback, parameters) is global to the library."""

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError as exc:
            raise SpeechUnavailable(f"eSpeak NG is not installed: {INSTALL_HINT}") from exc
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as exc:
            raise SpeechUnavailable(
                f"cannot load eSpeak NG from espeakng-loader ({exc}): reinstall it, {INSTALL_HINT}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.version = (lib.espeak_Info(None) or b"").decode()
        release = re.match(r"(\d+)\.(\d+)", self.version)
        if not release or (int(release[1]), int(release[2])) < MIN_VERSION:
            raise SpeechUnavailable(f"eSpeak NG {self.version} reads Mandarin wrongly; 1.52 or later is needed: "
                                    f"upgrade, `pip install -U espeakng-loader`")
        self.sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise SpeechUnavailable(f"eSpeak NG failed to start with data {data_path}: reinstall it, {INSTALL_HINT}")
        lib.espeak_SetSynthCallback(_CALLBACK)
        self.lib = lib
        self.voice: str | None = None

    def speak(self, text: str, voice: str, rate: int, pitch: int) -> bytes:
        if voice != self.voice:
            self.voice = None  # after a failed switch the library's voice is unknown
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechUnavailable(f"eSpeak NG {self.version} has no voice {voice!r}: {INSTALL_HINT}")
            self.voice = voice
        self.lib.espeak_SetParameter(_RATE, rate, 0)
        self.lib.espeak_SetParameter(_PITCH, pitch, 0)
        _sink[-1] = array.array("h")
        data = text.encode("utf-8") + b"\0"
        error = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
        if error != 0:
            raise RuntimeError(f"eSpeak NG could not synthesize the text (error {error})")
        return _sink[-1].tobytes()


_lock = threading.Lock()
_espeak: _Espeak | None = None


def _engine() -> _Espeak:
    global _espeak
    if _espeak is None:
        _espeak = _Espeak()
    return _espeak


def synthesize(paragraphs: Sequence[str] | str, voice: str = "cmn", rate: int = 165, pitch: int = 50,
               pause_s: float = 0.5) -> Speech:
    """Speak each paragraph (or each line of a text), with a pause between them."""
    if isinstance(paragraphs, str):
        paragraphs = paragraphs.splitlines()
    with _lock:
        engine = _engine()
        silence = b"\0\0" * int(engine.sample_rate * pause_s)
        pieces = [engine.speak(p, voice, rate, pitch) for p in (p.strip() for p in paragraphs) if p]
    return Speech(silence.join(pieces), engine.sample_rate, f"eSpeak NG {engine.version} ({voice})")


def encode_mp3(speech: Speech, bit_rate: int = 48) -> bytes:
    """Mono MP3: 48 kbit/s keeps a voice clear at about 360 KB a minute."""
    try:
        import lameenc
    except ImportError as exc:
        raise SpeechUnavailable(f"lameenc is not installed: {INSTALL_HINT}") from exc
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bit_rate)
    encoder.set_in_sample_rate(speech.sample_rate)
    encoder.set_channels(1)
    # LAME's fast setting (7) takes a third of the time of its careful one (2), and a voice at 48 kbit/s
    # stays clear either way; a backfill encodes hours of speech.
    encoder.set_quality(7)
    return bytes(encoder.encode(speech.pcm) + encoder.flush())


@dataclass(frozen=True)
class Briefing:
    path: Path
    seconds: float
    sample_rate: int
    bytes: int
    engine: str


# eSpeak NG's waveform depends on what it spoke before in the process, so the same script never gives the same
# bytes twice. The MP3 says which script and voice it speaks, in an ID3v2.3 TXXX frame (players show or skip
# it), and a briefing whose script is unchanged is kept as it is: a re-run rewrites (and the git channel
# commits) nothing, and a backfill does not speak hours of audio again.
_TAG_DESCRIPTION = b"hf-daily"


def _id3_tag(fields: dict) -> bytes:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("ascii")
    body = b"\0" + _TAG_DESCRIPTION + b"\0" + text  # ISO-8859-1, description, value
    frame = b"TXXX" + len(body).to_bytes(4, "big") + b"\0\0" + body
    size = len(frame)
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\3\0\0" + syncsafe + frame


def _tag_of(path: Path) -> dict | None:
    """The hf-daily fields of an MP3 this module wrote, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(10)
            if len(head) < 10 or head[:3] != b"ID3":
                return None
            tag = f.read(sum(b << shift for b, shift in zip(head[6:10], (21, 14, 7, 0))))
    except OSError:
        return None
    marker = b"TXXX"
    if not tag.startswith(marker):
        return None
    body = tag[10:10 + int.from_bytes(tag[4:8], "big")]
    prefix = b"\0" + _TAG_DESCRIPTION + b"\0"
    if not body.startswith(prefix):
        return None
    try:
        return json.loads(body[len(prefix):])
    except ValueError:
        return None


def write_briefing(script: str, path: Path, voice: str = "cmn") -> Briefing:
    """Speak a narration script into an MP3, written so that readers never see half a file; an MP3 of the
    same script and voice already there is kept."""
    path = Path(path)
    wanted = {"script_sha256": hashlib.sha256(script.encode("utf-8")).hexdigest(), "voice": voice}
    found = _tag_of(path)
    if found and {k: found.get(k) for k in wanted} == wanted:
        return Briefing(path, found["seconds"], found["sample_rate"], path.stat().st_size, found["engine"])
    speech = synthesize(script, voice=voice)
    seconds = round(speech.seconds, 2)
    mp3 = _id3_tag(wanted | {"seconds": seconds, "sample_rate": speech.sample_rate, "engine": speech.engine}) \
        + encode_mp3(speech)
    write_atomically(path, mp3)
    return Briefing(path, seconds, speech.sample_rate, len(mp3), speech.engine)


def _briefing_job(job: tuple[str, Path]) -> Briefing:
    return write_briefing(*job)


def speech_days(days: Sequence[dt.date], layout: DataLayout) -> dict[dt.date, Briefing]:
    """Speak each day's narration script (see hf_daily.channels.narration) into data/audio/YYYY-MM-DD.mp3."""
    jobs = []
    for day in days:
        source = layout.transcript(day)
        if not source.is_file():
            raise FileNotFoundError(f"{source} is missing: materialize narration_script for {day} first")
        jobs.append((source.read_text(encoding="utf-8"), layout.audio(day)))
    return dict(zip(days, map_days(_briefing_job, jobs)))
