"""map_days: per-day work in worker processes, with the results and errors of a plain loop."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from hf_daily.channels import poster, speech
from hf_daily.core import parallel
from hf_daily.steps.issue import Issue, IssuePaper


def pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def fails_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three is not allowed")
    return n


@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(parallel, "cpu_threads", lambda: 2)


def test_many_items_go_to_workers_and_keep_their_order(two_cpus):
    results = parallel.map_days(pid_and_square, list(range(8)))
    assert [square for _, square in results] == [n * n for n in range(8)]
    assert os.getpid() not in {pid for pid, _ in results}


def test_few_items_or_one_cpu_stay_in_this_process(monkeypatch, two_cpus):
    assert {pid for pid, _ in parallel.map_days(pid_and_square, [1, 2, 3])} == {os.getpid()}
    monkeypatch.setattr(parallel, "cpu_threads", lambda: 1)
    assert {pid for pid, _ in parallel.map_days(pid_and_square, list(range(8)))} == {os.getpid()}


def test_a_failure_in_a_worker_is_raised_here(two_cpus):
    with pytest.raises(ValueError, match="three is not allowed"):
        parallel.map_days(fails_on_three, list(range(8)))


def test_posters_and_audio_made_in_workers_are_the_same_bytes(tmp_path, two_cpus):
    issues = [Issue(dt.date(2025, 12, d), [IssuePaper(paper_id=f"2512.0000{d}", title=f"Paper {d}",
                                                      title_zh=f"第{d}篇论文", abstract_zh="我们提出了一种方法。" * d,
                                                      hf_url="https://huggingface.co/papers/x", upvotes=d)], [])
              for d in range(1, 5)]
    jobs = [(issue, tmp_path / "workers" / f"{issue.day}.png") for issue in issues]
    made = parallel.map_days(poster._poster_job, jobs)
    assert [p.read_bytes() for p in made] == [poster.render_poster(issue) for issue in issues]

    # eSpeak NG varies its pitch a little at random, so speech is compared by length, not by bytes.
    scripts = [(f"第{d}篇，测试。" * d, tmp_path / "workers" / f"{d}.mp3") for d in range(1, 5)]
    briefings = parallel.map_days(speech._briefing_job, scripts)
    here = [speech.write_briefing(text, tmp_path / "here" / path.name) for text, path in scripts]
    assert [b.path for b in briefings] == [path for _, path in scripts]
    for b in briefings:  # the ID3 tag naming the script, then MPEG audio frames
        data = b.path.read_bytes()
        start = 10 + sum(byte << shift for byte, shift in zip(data[6:10], (21, 14, 7, 0)))
        assert data[:3] == b"ID3" and data[start:start + 2] == b"\xff\xf3"
    assert all(abs(a.seconds - b.seconds) < 0.1 for a, b in zip(briefings, here))
    assert [b.seconds for b in here] == sorted(b.seconds for b in here) and here[0].seconds > 0.5
