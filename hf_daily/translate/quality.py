"""Heuristic checks of a Chinese translation against its English source.

No reference translation is needed: each check compares the output with the
source only. They catch what a small model gets wrong most often:

* too little Chinese (the model echoed or continued the English);
* English sentences left untranslated;
* numbers, URLs and model/dataset names lost or changed;
* a translation far shorter (summarized, truncated) or longer (invented, looping) than its source.

``translation_stats`` gives the raw figures (the benchmark aggregates them);
``check_translation`` turns them into a list of human-readable problems, empty
when the translation passes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Literal

from hf_daily.translate.glossary import KEPT_IN_ENGLISH
from hf_daily.translate.text import URL as _URL, normalize_text
from hf_daily.translate.titles import title_problems

Kind = Literal["title", "abstract"]

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# 1,000 / 3.5 / 70 / 85%; in the output, digits glued to anything count too.
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# In the source, only standalone numbers: digits inside a name (GPT-4o, 7B, Qwen2.5) are the names check's.
_SOURCE_NUMBER = re.compile(r"(?<![A-Za-z0-9_.\-])\d+(?:,\d{3})*(?:\.\d+)?(?![A-Za-z0-9_]|\.\d|-[A-Za-z])")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'+.][A-Za-z0-9]+)*\+*")
# A name-like token: has a digit, an inner capital (ReMax, OpenRLHF), is all caps (PPO), or ends in ++.
_NAME_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*[A-Za-z0-9+]|[A-Z]")

# Below these shares of Chinese characters, a translation is "too little Chinese".
MIN_CJK_SHARE = {"title": 0.25, "abstract": 0.5}
# Chinese characters per English source character; DeepSeek references on the dev set sit near 0.3-0.4.
MIN_LENGTH_RATIO = {"title": 0.08, "abstract": 0.15}
MAX_LENGTH_RATIO = {"title": 1.2, "abstract": 0.9}
# A run of this many untranslated ordinary English words is "an English sentence left".
ENGLISH_RUN = {"title": 4, "abstract": 6}
MAX_UNTRANSLATED_SHARE = 0.15


@dataclass
class TranslationStats:
    numbers: int
    numbers_kept: int
    urls: int
    urls_kept: int
    names: int
    names_kept: int
    source_words: int
    untranslated_words: int  # ordinary English words left in the output (names and acronyms excepted)
    cjk_share: float  # Chinese characters / (Chinese characters + ordinary Latin letters) of the output
    length_ratio: float  # output characters / source characters
    longest_english_run: int
    lost_numbers: list[str]
    lost_urls: list[str]
    lost_names: list[str]
    english_run: str
    repeated: str  # a piece of text the output repeats many times (a generation loop), or ""
    english_left: list[str]  # the distinct ordinary English words left in the output, in order

    def as_dict(self) -> dict:
        return asdict(self)


def _norm_number(n: str) -> str:
    return n.replace(",", "")


_NUMERALS = "零一二三四五六七八九十"


def _as_chinese_numeral(number: str, output: str) -> bool:
    # "Stage 1" → "第一阶段", "two stages" is no digit at all: small counts may be written in Chinese.
    return number.isdigit() and int(number) <= 10 and _NUMERALS[int(number)] in output


def _urls(text: str) -> list[str]:
    return list(dict.fromkeys(u.rstrip(".,;:!?)]}'\"") for u in _URL.findall(text)))


def _is_name(token: str) -> bool:
    """A token that should be kept as written: a model, dataset, method or acronym."""
    core = token.strip("+-.")
    if not core:
        return False
    if token.endswith("++"):
        return True
    if any(c.isdigit() for c in core) and any(c.isalpha() for c in core):
        return True
    letters = [c for c in core if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True
    # An inner capital within one hyphen-free part: ReMax, OpenRLHF, DeepSeek, LLaMA (not "One-Out").
    return any(any(c.isupper() for c in part[1:]) for part in re.split(r"[-.]", core))


# Generic acronyms that Chinese writing translates (LLM → 大语言模型); their loss is no error.
GENERIC_ACRONYMS = {
    "ai", "llm", "llms", "mllm", "mllms", "vlm", "vlms", "lm", "lms", "slm", "slms", "lvlm", "lvlms", "qa", "vqa",
    "gpu", "gpus", "cpu", "cpus", "tpu", "tpus", "rl", "nlp", "cv", "ml", "dl", "usa", "us", "uk", "eu", "api", "apis",
    "sota", "moe", "cot", "cots", "agi", "nn", "dnn", "dnns", "cnn", "cnns", "rnn", "rnns", "gan", "gans", "id", "ids",
    "ui", "io", "ocr", "asr", "tts", "3d", "2d", "4d", "1d", "ar",
}


def source_names(text: str) -> list[str]:
    """The names, acronyms and versioned identifiers of an English text that a translation must keep."""
    text = _URL.sub(" ", text)
    found = []
    for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9._+\-]*[A-Za-z0-9+]", text):
        token = token.rstrip(".-")
        parts = token.split("-")
        # "LLM-based", "3D-aware": a compound with an ordinary word is translated as a whole.
        if len(parts) > 1 and any(p.isalpha() and p.islower() for p in parts):
            continue
        if token.lower() in GENERIC_ACRONYMS or token.replace(".", "").replace(",", "").isdigit():
            continue
        if _is_name(token):
            found.append(token)
    return list(dict.fromkeys(found))


# A count written with a magnitude suffix: "72k", "110K", "1.5M", "2B".
_MAGNITUDE = re.compile(r"(\d+(?:\.\d+)?)([kKmMbB])")
_SUFFIX_VALUE = {"k": 10**3, "m": 10**6, "b": 10**9}
# The Chinese ways of writing a large count: 7.2万, 15亿, 3千, 1.2百万, 2千万.
_CHINESE_UNITS = (("亿", 10**8), ("千万", 10**7), ("百万", 10**6), ("万", 10**4), ("千", 10**3))


def _decimal(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _in_chinese_units(value: float, output: str) -> bool:
    """A large count written with a Chinese unit: 72,000 as 7.2万, 2,000,000,000 as 20亿."""
    # Not glued to a digit before it: "17.2万" is not 7.2万.
    return any(re.search(rf"(?<![\d.]){re.escape(_decimal(value / unit))}{zh}", output)
               for zh, unit in _CHINESE_UNITS if value >= unit)


def _count_written_out(name: str, output: str) -> bool:
    """"72k" translated as 72,000, 72000 or 7.2万 (and 110K as 11万, 2B as 20亿) is kept, not lost."""
    m = _MAGNITUDE.fullmatch(name)
    if not m:
        return False
    value = float(m.group(1)) * _SUFFIX_VALUE[m.group(2).lower()]
    if value == int(value) and str(int(value)) in {_norm_number(n) for n in _NUMBER.findall(output)}:
        return True
    return _in_chinese_units(value, output)


def _present(name: str, output: str) -> bool:
    low = output.lower()
    if name.lower() in low or _count_written_out(name, output):
        return True
    parts = name.split("-")
    if len(parts) > 1:
        # "DPO-Kernels" → "DPO核": its name-like parts survive.
        named = [p for p in parts if _is_name(p) and p.lower() not in GENERIC_ACRONYMS]
        return all(_present(p, output) for p in named)
    # "GPT-4o" may come back as "GPT 4o"; "(RLOO)" as "RLOO": compare alphanumerics only.
    squash = lambda s: re.sub(r"[^0-9a-z+]", "", s.lower())  # noqa: E731
    return squash(name) in squash(output)


def _ordinary_words(output: str, keep: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, word) of the output's Latin words that are neither names nor kept from the source."""
    text = _URL.sub(lambda m: " " * len(m.group()), output)
    words = []
    for m in _LATIN_WORD.finditer(text):
        word = m.group()
        if _is_name(word) or word.lower() in keep:
            continue
        if word[0].isupper() and len(word) > 1 and word.lower() not in _COMMON:
            continue  # a capitalized word is most often a name (Transformer, Llama, Adam)
        words.append((m.start(), m.end(), word))
    return words


# Capitalized words that are still ordinary English when they open a left-over sentence.
_COMMON = {
    "we", "our", "the", "this", "these", "in", "to", "a", "an", "it", "however", "moreover", "furthermore",
    "additionally", "finally", "by", "with", "for", "on", "as", "experiments", "results", "code", "and",
    "that", "although", "while", "specifically", "recent", "existing", "despite", "through", "using",
}
# Enumerators such as "(iii)": Chinese writing keeps them as the source writes them.
_ROMAN = re.compile(r"(?:i{1,3}|iv|vi{0,3}|ix|xi{0,2})")


def _symbols(source: str) -> set[str]:
    """The source's one-letter variables (d, k, N) and roman enumerators: symbols, not English words, so a
    translation keeps them. Compared case-sensitively; "a" and "I" are words."""
    return {w for w in _LATIN_WORD.findall(source)
            if (len(w) == 1 and w not in "aAI") or _ROMAN.fullmatch(w)}


def _longest_english_run(output: str, words: list[tuple[int, int, str]]) -> tuple[int, str]:
    """The longest sequence of ordinary English words separated only by spaces and light punctuation."""
    best, best_text, run, run_start, prev_end = 0, "", 0, 0, None
    for start, end, _word in words:
        gap = output[prev_end:start] if prev_end is not None else ""
        if prev_end is not None and re.fullmatch(r"[\s,;:'\"()\-]*", gap) and not CJK.search(gap):
            run += 1
        else:
            run, run_start = 1, start
        if run > best:
            best, best_text = run, output[run_start:end]
        prev_end = end
    return best, best_text


def _repeated(output: str) -> str:
    # A generation loop: one chunk of 6+ characters repeated 4+ times back to back.
    m = re.search(r"(.{6,60}?)\1{3,}", output, re.DOTALL)
    return m.group(1) if m else ""


def translation_stats(source: str, output: str) -> TranslationStats:
    source, output = normalize_text(source), normalize_text(output)
    src_no_urls = _URL.sub(" ", source)
    out_no_urls = _URL.sub(" ", output)
    # Compared without thousands separators; reported as the source writes them.
    numbers = {}
    for n in _SOURCE_NUMBER.findall(src_no_urls):
        numbers.setdefault(_norm_number(n), n)
    out_numbers = {_norm_number(n) for n in _NUMBER.findall(out_no_urls)}
    lost_numbers = [written for n, written in numbers.items()
                    if n not in out_numbers and not _as_chinese_numeral(n, output)
                    and not _in_chinese_units(float(n), output)]
    urls = _urls(source)
    lost_urls = [u for u in urls if u not in output]
    names = source_names(source)
    lost_names = [n for n in names if not _present(n, output)]

    # Words of the source that may legitimately stay English in the output.
    keep = {w.lower() for w in _LATIN_WORD.findall(src_no_urls) if _is_name(w)} | KEPT_IN_ENGLISH
    symbols = _symbols(src_no_urls)
    ordinary = [w for w in _ordinary_words(output, keep) if w[2] not in symbols]
    run, run_text = _longest_english_run(output, ordinary)
    cjk = len(CJK.findall(output))
    latin_letters = sum(len(w) for _s, _e, w in ordinary)
    # One Chinese character carries about as much as 2.5 English letters; weigh them alike.
    share = cjk / (cjk + latin_letters / 2.5) if (cjk or latin_letters) else 0.0
    return TranslationStats(
        numbers=len(numbers), numbers_kept=len(numbers) - len(lost_numbers),
        urls=len(urls), urls_kept=len(urls) - len(lost_urls),
        names=len(names), names_kept=len(names) - len(lost_names),
        source_words=len(_LATIN_WORD.findall(src_no_urls)), untranslated_words=len(ordinary),
        cjk_share=round(share, 3), length_ratio=round(len(output) / max(len(source), 1), 3),
        longest_english_run=run, lost_numbers=lost_numbers, lost_urls=lost_urls, lost_names=lost_names,
        english_run=run_text, repeated=_repeated(output),
        english_left=list(dict.fromkeys(w for _s, _e, w in ordinary)),
    )


def check_translation(source: str, translation: str, kind: Kind) -> list[str]:
    """Problems with ``translation`` of ``source`` (a title or an abstract); empty when it passes."""
    if kind not in ("title", "abstract"):
        raise ValueError(f"kind must be 'title' or 'abstract', got {kind!r}")
    if not normalize_text(source):
        return []
    if not normalize_text(translation):
        return ["empty translation"]
    s = translation_stats(source, translation)
    problems: list[str] = []
    if s.cjk_share < MIN_CJK_SHARE[kind]:
        problems.append(f"too little Chinese ({s.cjk_share:.0%} of the text)")
    if s.longest_english_run >= ENGLISH_RUN[kind]:
        problems.append(f"English left untranslated: {s.english_run[:80]!r}")
    elif kind == "abstract" and s.source_words and s.untranslated_words / s.source_words > MAX_UNTRANSLATED_SHARE:
        problems.append(f"{s.untranslated_words} English words left untranslated")
    if s.lost_numbers:
        problems.append(f"numbers lost: {', '.join(s.lost_numbers[:8])}")
    if s.lost_urls:
        problems.append(f"URLs lost: {', '.join(s.lost_urls[:3])}")
    if s.lost_names:
        problems.append(f"names lost: {', '.join(s.lost_names[:8])}")
    if s.repeated:
        problems.append(f"repeats itself: {s.repeated[:40]!r}")
    if s.length_ratio < MIN_LENGTH_RATIO[kind]:
        problems.append(f"too short for its source (length ratio {s.length_ratio:.2f}): summarized or cut off?")
    elif s.length_ratio > MAX_LENGTH_RATIO[kind]:
        problems.append(f"too long for its source (length ratio {s.length_ratio:.2f}): invented content?")
    if kind == "title":
        lost = {f"drops '{name}'" for name in s.lost_names}  # already said: "names lost"
        problems += [p for p in title_problems(source, translation) if p not in lost]
    return problems


def check_paper(title: str, abstract: str, title_zh: str, abstract_zh: str) -> list[str]:
    """Both checks of one paper, each problem prefixed with ``title:`` or ``abstract:``."""
    return [f"title: {p}" for p in check_translation(title, title_zh, "title")] + [
        f"abstract: {p}" for p in check_translation(abstract, abstract_zh, "abstract")
    ]
