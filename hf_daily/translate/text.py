"""Text handling around the models: normalising input, cache keys, sentence splitting, cleaning output."""

from __future__ import annotations

import hashlib
import re

# A URL in running text, English or Chinese: it ends at a space, a quote or Chinese punctuation.
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'（）()，。；]+", re.IGNORECASE)

_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Collapse whitespace runs (the API's abstracts carry hard line breaks) into single spaces."""
    return _WS.sub(" ", text).strip()


def source_hash(text: str) -> str:
    """sha256 hex of the text as it is translated, i.e. after :func:`normalize_text`.

    Re-wrapped or re-indented text hashes the same, so it hits the same cache entry.
    """
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


# A period ends a sentence unless the word before it is one of these (or a single letter, as in "A. Smith").
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "al", "vs", "fig", "figs", "eq", "eqs", "sec", "tab", "no", "cf", "approx", "resp",
    "dr", "mr", "ms", "prof", "inc", "ref", "refs", "vol", "pp", "ca",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split English prose into sentences for sentence-level MT models."""
    text = normalize_text(text)
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()].rstrip()
        last_word = candidate.rsplit(" ", 1)[-1].rstrip(".!?\"')]").lower()
        if candidate.endswith(".") and (last_word in _ABBREVIATIONS or len(last_word) == 1):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def group_sentences(text: str, max_chars: int) -> list[str]:
    """Consecutive sentences of ``text`` in groups of at most ``max_chars`` (a longer sentence is a group alone)."""
    groups: list[str] = []
    for sentence in split_sentences(text):
        if groups and len(groups[-1]) + 1 + len(sentence) <= max_chars:
            groups[-1] += " " + sentence
        else:
            groups.append(sentence)
    return groups


_CJK_END = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$")


def join_translations(pieces: list[str]) -> str:
    """Translated pieces of one text as one: Chinese sentences follow each other directly, Latin ones get a space."""
    out = ""
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        out += piece if not out or _CJK_END.search(out) else " " + piece
    return out


# "REINFORCE++: A Simple ...", "Seed-Prover 1.5: ...": one name (with an optional version) before a colon.
# Longer heads ("Ground Slow, Move Fast: ...") are phrases to translate, so they stay in the text.
_TITLE_NAME = re.compile(r"^([^\s:：]{1,40}(?: v?\d+(?:\.\d+)*)?)\s*[:：]\s+(\S.*)$")


def split_title_name(title: str) -> tuple[str, str]:
    """(name, rest) of a title that leads with a system's name, else ("", title).

    Small models translate or drop such names ("Cosmos", "MotionBench"); keeping the
    name out of what the model sees keeps it exactly as written.
    """
    match = _TITLE_NAME.match(normalize_text(title))
    if not match or not re.search(r"[A-Za-z]", match[1]):
        return "", normalize_text(title)
    return match[1], match[2]


def join_title_name(name: str, translation: str) -> str:
    if not name:
        return translation
    return f"{name}：{translation}" if translation else name


_QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "`": "`"}
# Labels an instruction model puts in front of the answer. Only a known label
# followed by a colon is removed, so real content that happens to contain a
# colon (a title like "X: Y") is never cut.
_LABELS = (
    "translation", "chinese translation", "simplified chinese", "translated title", "translated abstract",
    "title", "abstract", "翻译", "译文", "中文翻译", "中文", "翻译结果", "标题", "摘要", "标题翻译", "摘要翻译",
    "text", "文本", "中文标题", "中文摘要",
)
_LABEL_PREFIX = re.compile(
    r"^\**(?:" + "|".join(re.escape(label) for label in sorted(_LABELS, key=len, reverse=True)) + r")\**\s*[:：]\s*\**",
    re.IGNORECASE,
)


def _strip_fence(text: str) -> str:
    if text.startswith("```") and text.endswith("```") and len(text) >= 6:
        inner = text[3:-3]
        first_newline = inner.find("\n")
        # ```text\n...\n``` : the first line is a language tag if it has no spaces.
        if first_newline != -1 and " " not in inner[:first_newline].strip():
            inner = inner[first_newline + 1 :]
        return inner.strip()
    return text


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and _QUOTE_PAIRS.get(text[0]) == text[-1]:
        inner = text[1:-1]
        # "A" and "B" is not one quoted string.
        if text[0] not in inner and text[-1] not in inner:
            return inner.strip()
    return text


def clean_output(text: str) -> str:
    """Reduce a chat model's answer to the bare translation.

    The prompt asks for the translation only; this removes the wrappers models
    still add around it: surrounding whitespace, a code fence, matching quotes,
    a leading "翻译：" style label, and a lead-in line such as "以下是翻译：".
    """
    previous = None
    text = text.strip()
    while text != previous:
        previous = text
        text = _strip_fence(text)
        text = _strip_quotes(text)
        text = _LABEL_PREFIX.sub("", text, count=1).strip()
        lines = text.split("\n", 1)
        if len(lines) == 2 and lines[0].rstrip().endswith((":", "：")) and lines[1].strip():
            text = lines[1].strip()
    return text
