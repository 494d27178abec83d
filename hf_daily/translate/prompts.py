"""The chat prompt for instruction-tuned causal models.

Bump PROMPT_VERSION whenever the wording changes: it is part of the causal
translator's model_id, so cached translations made with an older prompt are
not reused as if they came from this one.
"""

from __future__ import annotations

from typing import Literal

from hf_daily.translate.glossary import relevant_terms

PROMPT_VERSION = "prompt-v1"

Kind = Literal["title", "abstract"]

_SYSTEM = (
    "You are a professional translator of machine-learning research papers. "
    "Translate the English paper {kind} given by the user into fluent, accurate Simplified Chinese.\n"
    "Rules:\n"
    "- Keep the names of models, datasets, methods and benchmarks, as well as code, numbers and URLs, "
    "exactly as written.\n"
    "- Use standard Chinese machine-learning terminology.\n"
    "- {kind_rule}\n"
    "- Output only the Chinese translation: no explanations, notes, quotation marks or Markdown."
)
_KIND_RULES = {
    "title": "Translate the title as a concise Chinese title.",
    "abstract": "Translate the whole abstract sentence by sentence; do not summarize, add or omit anything.",
}


def build_messages(text: str, kind: Kind) -> list[dict[str, str]]:
    system = _SYSTEM.format(kind=kind, kind_rule=_KIND_RULES[kind])
    terms = relevant_terms(text)
    if terms:
        system += "\nTerminology:\n" + "\n".join(f"- {en} → {zh}" for en, zh in terms.items())
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]
