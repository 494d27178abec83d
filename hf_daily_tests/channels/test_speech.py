import array
import datetime as dt
import re
import sys

import miniaudio
import pytest

from hf_daily.channels import speech
from hf_daily.channels.narration import narration_script
from hf_daily.core.layout import DataLayout
from hf_daily.steps.issue import Issue, IssuePaper

SCRIPT = ("大家好，今天是二零二五年十二月二十六日，共有两篇论文。\n"
          "第一篇，潜在隐式视觉推理。准确率提升百分之三点五。\n"
          "以上就是今天的全部内容。\n")


def spoken_chars(script: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", script))


def decode(path):
    decoded = miniaudio.decode(path.read_bytes(), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1)
    return decoded, decoded.num_frames / decoded.sample_rate


@pytest.fixture(scope="module")
def briefing(tmp_path_factory):
    return speech.write_briefing(SCRIPT, tmp_path_factory.mktemp("audio") / "2025-12-26.mp3")


def test_the_mp3_decodes_to_speech_as_long_as_the_script(briefing):
    data = briefing.path.read_bytes()
    # An ID3v2.3 tag (which script it speaks), then the first MPEG frame.
    assert data[:5] == b"ID3\x03\x00"
    start = 10 + sum(b << shift for b, shift in zip(data[6:10], (21, 14, 7, 0)))
    assert data[start] == 0xFF and data[start + 1] & 0xE0 == 0xE0, "no MPEG frame sync after the tag"
    decoded, seconds = decode(briefing.path)
    # The encoder pads a frame or two at each end; nothing more.
    assert seconds == pytest.approx(briefing.seconds, abs=0.2)
    # Mandarin at eSpeak's pace: roughly 3 to 6 characters a second, plus the pauses between lines.
    per_char = briefing.seconds / spoken_chars(SCRIPT)
    assert 0.12 < per_char < 0.5, per_char
    samples = array.array("h", decoded.samples)
    loud = sum(1 for s in samples if abs(s) > 1000)
    assert loud > len(samples) * 0.1, "the audio is (nearly) silent"
    assert briefing.engine.startswith("eSpeak NG 1.5") and "cmn" in briefing.engine


def test_the_same_script_keeps_its_mp3_and_another_script_speaks_again(tmp_path):
    # eSpeak NG never gives the same bytes twice in a process: only the tag can say nothing changed.
    path = tmp_path / "2025-12-26.mp3"
    first = speech.write_briefing(SCRIPT, path)
    data, stamp = path.read_bytes(), path.stat().st_mtime_ns
    again = speech.write_briefing(SCRIPT, path)
    assert again == first and path.read_bytes() == data and path.stat().st_mtime_ns == stamp
    changed = speech.write_briefing(SCRIPT + "再见。\n", path)
    assert changed.seconds > first.seconds and path.read_bytes() != data
    other_voice = speech.write_briefing(SCRIPT + "再见。\n", path, voice="cmn-latn-pinyin")
    assert other_voice.engine.endswith("(cmn-latn-pinyin)")


def test_no_partial_files_are_left(briefing):
    assert [p.name for p in briefing.path.parent.iterdir()] == [briefing.path.name]


def test_a_longer_script_speaks_longer():
    short = speech.synthesize(["第一篇。"])
    longer = speech.synthesize(["第一篇。", "第二篇，一种新的语言模型训练方法。"])
    assert longer.seconds > short.seconds + 1.0
    assert short.sample_rate == longer.sample_rate == 22050


def test_speech_days_speaks_the_narration_script(tmp_path):
    day = dt.date(2025, 12, 26)
    issue = Issue(day, [IssuePaper("1", "T", "视觉推理", "我们提出一种方法。", "https://huggingface.co/papers/1")], [])
    DataLayout(tmp_path).transcript(day).parent.mkdir(parents=True)
    DataLayout(tmp_path).transcript(day).write_text(narration_script(issue), encoding="utf-8")
    [(got_day, result)] = speech.speech_days([day], DataLayout(tmp_path)).items()
    assert got_day == day and result.path == tmp_path / "audio" / "2025-12-26.mp3"
    assert decode(result.path)[1] == pytest.approx(result.seconds, abs=0.2)


def test_speech_days_names_the_missing_step(tmp_path):
    with pytest.raises(FileNotFoundError, match="narration_script"):
        speech.speech_days([dt.date(2025, 12, 26)], DataLayout(tmp_path))


def test_a_missing_engine_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)  # makes `import espeakng_loader` fail
    monkeypatch.setattr(speech, "_espeak", None)
    with pytest.raises(speech.SpeechUnavailable, match="pip install espeakng-loader lameenc"):
        speech.synthesize("你好")


def test_a_missing_encoder_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "lameenc", None)
    with pytest.raises(speech.SpeechUnavailable, match="pip install espeakng-loader lameenc"):
        speech.encode_mp3(speech.Speech(b"\0\0" * 100, 22050))


def test_an_unknown_voice_is_named():
    with pytest.raises(speech.SpeechUnavailable, match="no voice 'xx-nonexistent'"):
        speech.synthesize("你好", voice="xx-nonexistent")
    # The next caller gets Mandarin again.
    assert speech.synthesize("你好").seconds > 0.3
