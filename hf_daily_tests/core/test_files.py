"""write_atomically: readers see the old file or the new one, and what is published can be read by others."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from hf_daily.core import files
from hf_daily.core.files import write_atomically


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Sets the process's umask for one test, and puts the old one back."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def test_a_published_file_is_readable_by_everyone(tmp_path, umask):
    umask(0o022)
    path = write_atomically(tmp_path / "issues" / "2025-12-26.md", "# 今日\n")
    assert path.read_text(encoding="utf-8") == "# 今日\n"
    assert mode(path) == 0o644


def test_the_umask_still_has_its_say(tmp_path, umask):
    umask(0o027)
    assert mode(write_atomically(tmp_path / "private.png", b"\x89PNG")) == 0o640
    umask(0o077)
    assert mode(write_atomically(tmp_path / "more-private.png", b"\x89PNG")) == 0o600


def test_replacing_a_file_leaves_no_temporary_file_and_keeps_the_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "feed.xml"
    write_atomically(path, "old")
    write_atomically(path, "new")
    assert path.read_text() == "new" and mode(path) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.xml"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "poster.png"
    write_atomically(path, b"old")

    def broken(fd):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poster.png"]


def test_a_reader_sees_the_old_or_the_new_content_never_a_mix(tmp_path):
    path = tmp_path / "page.html"
    old, new = "a" * 200_000, "b" * 200_000
    write_atomically(path, old)
    seen, stop = set(), threading.Event()

    def read():
        while not stop.is_set():
            seen.add(path.read_text())

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(20):
        write_atomically(path, new)
        write_atomically(path, old)
    stop.set()
    reader.join()
    assert seen <= {old, new}
