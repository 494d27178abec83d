"""What both backends share: lazy loading, devices and threads, de-duplication and length-sorted batching."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Callable, Literal, Sequence

from hf_daily.core.parallel import cpu_threads
from hf_daily.translate.config import TranslatorConfig
from hf_daily.translate.errors import TranslationModelError
from hf_daily.translate.glossary import apply_house_style
from hf_daily.translate.prompts import Hints
from hf_daily.translate.quality import CJK, check_translation, translation_stats
from hf_daily.translate.titles import adds_colon, dropped_words, english_words_left
from hf_daily.translate.text import join_title_name, normalize_text, split_title_name

if TYPE_CHECKING:
    import torch

Kind = Literal["title", "abstract"]
# At most this many lost numbers and names are named in a second try's prompt.
MAX_KEEP_HINTS = 12
KINDS = ("title", "abstract")
# progress(texts_done, texts_total), called as texts finish within one translate() call.
Progress = Callable[[int, int], None]


def resolve_device(device: str) -> "torch.device":
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def configure_cpu_threads() -> None:
    import torch

    # torch defaults to the physical core count of the whole machine; in a
    # container or under taskset only the CPUs we may run on help. An explicit
    # OMP_NUM_THREADS is the user's choice and wins.
    if os.environ.get("OMP_NUM_THREADS"):
        return
    available = cpu_threads()
    if available and torch.get_num_threads() != available:
        torch.set_num_threads(available)


def model_dtype(device: "torch.device") -> "torch.dtype":
    import torch

    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    # Half precision on CPU is slower than fp32 on most CPUs and changes greedy outputs.
    return torch.float32


def generation_limits(generation_config, configured_max: int) -> dict[str, int | None]:
    """max/min new tokens: the model's own cap still applies, and its minimum never exceeds the maximum."""
    cap = configured_max
    if generation_config.max_new_tokens is not None:
        cap = min(cap, generation_config.max_new_tokens)
    floor = generation_config.min_new_tokens
    return {"max_new_tokens": cap, "min_new_tokens": None if floor is None else min(floor, cap)}


class BaseTranslator:
    """Subclasses set ``model_id`` in ``__init__`` (cheap) and implement ``_load`` and ``_translate_units``."""

    model_id: str

    def __init__(self, config: TranslatorConfig) -> None:
        self.config = config
        self._loaded = False
        self._lock = threading.Lock()
        self.device: "torch.device | None" = None

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        """Load (preparing on first use) the model now rather than on the first translate() call."""
        self._ensure_loaded()

    def _ensure_loaded(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self.device = resolve_device(self.config.device)
            if self.device.type == "cpu":
                configure_cpu_threads()
            self._load()
            self._loaded = True

    def _load(self) -> None:
        raise NotImplementedError

    def _units(self, text: str, kind: Kind) -> list[str]:
        """The pieces one text is translated as; joined back by ``_join``."""
        return [text]

    def _join(self, pieces: list[str]) -> str:
        return "".join(pieces)

    # Whether _translate_units honours ``hints`` (a prompted model does; a seq2seq model cannot).
    retries_with_hints = False

    def _translate_units(self, units: list[str], kind: Kind, on_unit: Callable[[int], None] | None = None,
                         hints: dict[str, Hints] | None = None) -> list[str]:
        """Translations of ``units``; a runtime that finishes them one by one reports each to ``on_unit(i)``.

        ``hints`` maps a unit to what its translation must keep as written or must not leave out (a second try).
        """
        raise NotImplementedError

    def _unit_length(self, unit: str) -> int:
        return len(unit)

    # Batch size when the config leaves it open; subclasses pick by runtime and device.
    def default_batch_size(self) -> int:
        return 4

    @property
    def batch_size(self) -> int:
        return self.config.batch_size or self.default_batch_size()

    def units_per_call(self) -> int:
        """Units handed to one ``_translate_units`` call: a batch, unless the runtime schedules its own."""
        return self.batch_size

    def translate(self, texts: Sequence[str], kind: Kind, progress: Progress | None = None) -> list[str]:
        if isinstance(texts, str):
            raise TypeError("translate() takes a sequence of texts, not a single string")
        if kind not in KINDS:
            raise ValueError(f"kind must be 'title' or 'abstract', got {kind!r}")
        normalized = [normalize_text(t) for t in texts]
        distinct = list(dict.fromkeys(t for t in normalized if t))
        if not distinct:
            return ["" for _ in normalized]
        self._ensure_loaded()
        # A title's leading name is kept as written, and only the rest is translated.
        heads = {t: split_title_name(t) if kind == "title" else ("", t) for t in distinct}
        pieces_per_text = {t: self._units(heads[t][1], kind) for t in distinct}
        units = list(dict.fromkeys(u for pieces in pieces_per_text.values() for u in pieces))
        # Similar lengths in one batch waste less compute on padding.
        order = sorted(range(len(units)), key=lambda i: self._unit_length(units[i]))
        translated: dict[str, str] = {}
        size = self.units_per_call()
        reported = 0

        def report(done: int) -> None:
            nonlocal reported
            if progress is not None and done > reported:
                reported = done
                progress(done, len(pieces_per_text))

        finished: set[str] = set()  # units a runtime has reported done within the current call

        def texts_done() -> int:
            return sum(all(u in translated or u in finished for u in pieces) for pieces in pieces_per_text.values())

        for start in range(0, len(order), size):
            batch = [units[i] for i in order[start : start + size]]

            def on_unit(i: int, _batch: list[str] = batch) -> None:
                finished.add(_batch[i])
                if progress is not None:
                    report(texts_done())

            outputs = self._translate_units(batch, kind, on_unit)
            if len(outputs) != len(batch):
                raise RuntimeError(f"backend returned {len(outputs)} translations for {len(batch)} inputs")
            translated.update(zip(batch, outputs))
            if progress is not None:
                report(texts_done())
        if self.retries_with_hints:
            self._retry_lost(translated, kind, size)
        result = {t: apply_house_style(t, join_title_name(heads[t][0], self._join([translated[u] for u in pieces])))
                  for t, pieces in pieces_per_text.items()}
        return [result[t] if t else "" for t in normalized]

    def _retry_lost(self, translated: dict[str, str], kind: Kind, size: int) -> None:
        """Translate again, naming what was lost, each unit whose translation lost a number, URL or name,
        left ordinary English words untranslated (or, for a title, left a word out).

        Small models drop "72k" or "GPT-4o" now and then, or leave "scalable" in English; told what to keep
        or to translate, they mostly do. The second try replaces the first only when ``better`` says so.
        """
        hints = {unit: h for unit, output in translated.items() if (h := retry_hints(unit, output, kind))}
        order = sorted(hints, key=self._unit_length)
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            outputs = self._translate_units(batch, kind, None, {u: hints[u] for u in batch})
            for unit, output in zip(batch, outputs):
                translated[unit] = better(unit, translated[unit], output, kind)


def retry_hints(source: str, translation: str, kind: Kind) -> Hints | None:
    """What a second try should be told about ``translation`` of ``source``; None when it needs none."""
    keep = tuple(lost_items(source, translation))
    title = kind == "title"
    render = tuple(dropped_words(source, translation)[:MAX_KEEP_HINTS]) if title else ()
    no_colon = title and adds_colon(source, translation)
    english = english_left(source, translation)
    if title:  # a title's capitalized words are the title check's to judge (english_words_left)
        english += [w.lower() for w in english_words_left(source, translation)]
    english = tuple(dict.fromkeys(english))[:MAX_KEEP_HINTS]
    return Hints(keep, render, no_colon, english) if keep or render or no_colon or english else None


def lost_items(source: str, translation: str) -> list[str]:
    """The numbers, URLs and names of ``source`` missing from ``translation`` (at most MAX_KEEP_HINTS)."""
    stats = translation_stats(source, translation)
    return list(dict.fromkeys(stats.lost_numbers + stats.lost_urls + stats.lost_names))[:MAX_KEEP_HINTS]


def english_left(source: str, translation: str) -> list[str]:
    """The ordinary English words ``translation`` leaves untranslated (names, acronyms and the words Chinese ML
    writing keeps excepted), once the house style has translated those it knows; at most MAX_KEEP_HINTS."""
    styled = apply_house_style(source, translation)
    words = dict.fromkeys(w.lower() for w in translation_stats(source, styled).english_left if len(w) > 1)
    return list(words)[:MAX_KEEP_HINTS]


# A second try that leaves less English wins a tie only if it keeps this share of the first's Chinese:
# leaving a word out is not translating it.
MIN_CJK_KEPT = 0.9


def better(source: str, first: str, second: str, kind: Kind) -> str:
    """``second`` if the quality checks find fewer problems in it than in ``first``, or as many problems and
    fewer English words left untranslated (after the house style) without losing Chinese; else ``first``."""
    problems_first = len(check_translation(source, first, kind))
    problems_second = len(check_translation(source, second, kind))
    if problems_second != problems_first:
        return second if problems_second < problems_first else first
    left_first, left_second = _english_words_left(source, first), _english_words_left(source, second)
    kept = len(CJK.findall(second)) >= MIN_CJK_KEPT * len(CJK.findall(first))
    return second if left_second < left_first and kept else first


def _english_words_left(source: str, translation: str) -> int:
    return translation_stats(source, apply_house_style(source, translation)).untranslated_words


def wrap_load(fn, error_factory):
    """Run a loading step, turning any failure into a TranslationModelError that keeps the cause."""
    try:
        return fn()
    except TranslationModelError:
        raise
    except Exception as exc:  # any failure to load is "this model cannot be used"
        raise error_factory(exc) from exc
