"""The chat prompt for instruction-tuned causal models (local or behind an OpenAI-compatible API).

Bump PROMPT_VERSION whenever the wording changes: it is part of the causal
translator's model_id, so cached translations made with an older prompt are
not reused as if they came from this one.

The system message depends only on the kind of text, never on the text itself,
so a runtime can compute the model state after it once and reuse it for every
title (or abstract) of a run (CTranslate2's static prompt, llama.cpp's shared
sequence). The terms of the glossary that occur in the text go in the user
message, before the text, and so, on a second try, do the numbers and names
that the first try lost and the English words it left untranslated.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from hf_daily.translate.glossary import relevant_terms

# v7: a second try also names the English words the first left ("Translate these English words into Chinese too").
# v8: a title that leaves its words in English ("Visual Reasoning") is tried again too, naming them.
# v9: worked title examples before every title (TITLE_EXAMPLES).
# v10: the house style translates ordinary words a model leaves in English (glossary.LEFT_WORDS), so fewer
#      second tries, and a count written out (72k as 72,000) no longer counts as lost.
PROMPT_VERSION = "prompt-v10"

Kind = Literal["title", "abstract"]

_SYSTEM = (
    "You are a professional translator of machine-learning research papers. "
    "Translate the English paper {kind} given by the user into fluent, accurate Simplified Chinese.\n"
    "Rules:\n"
    "- {kind_rule}\n"
    "- Keep the names of models, datasets, methods, benchmarks and people, acronyms, code, numbers and URLs "
    "exactly as written, in English (for example GPT-4o, ImageNet, RLHF, 3.5%, https://github.com/...).\n"
    "- Use standard Chinese machine-learning terminology; when the user gives a term list, follow it.\n"
    "- Output only the Chinese translation: no explanations, notes, quotation marks or Markdown."
)
_KIND_RULES = {
    # "Concise" made the small model drop words ("Latent Implicit Visual Reasoning" -> 隐式视觉推理).
    "title": "Translate the title alone as a Chinese title that renders every word of it: drop nothing, add "
             "nothing, repeat nothing; keep a leading name (as in \"X: ...\") as is.",
    "abstract": "Translate the whole abstract sentence by sentence; do not summarize, add or omit anything.",
}
TERMS_HEADER = "Terms: "
KEEP_HEADER = "Keep exactly as written: "
RENDER_HEADER = "Translate every word, including: "
ENGLISH_HEADER = "Translate these English words into Chinese too: "
NO_COLON = "Add no colon: translate the title as one phrase, as the English has it."
TEXT_HEADER = "Text:\n"


class Hints(NamedTuple):
    """What a second try's prompt names: what the first try lost (kept as written), left out (to translate)
    or left in English (to translate)."""

    keep: tuple[str, ...] = ()
    render: tuple[str, ...] = ()
    no_colon: bool = False
    english: tuple[str, ...] = ()


# Worked examples shown before every title (made up, not from any day or the dev set): each English word
# rendered, no colon added, each said once.
TITLE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Scalable Diffusion Transformers with Sparse Attention", "基于稀疏注意力的可扩展扩散Transformer"),
    ("Memory-Efficient Fine-Tuning of Large Language Models", "大语言模型的内存高效微调"),
    ("A Systematic Analysis of Curriculum Learning for Code Generation", "面向代码生成的课程学习系统分析"),
    ("Teaching Small Models to Think Step by Step", "教小模型逐步思考"),
)
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {"title": TITLE_EXAMPLES, "abstract": ()}


def system_message(kind: Kind) -> dict[str, str]:
    return {"role": "system", "content": _SYSTEM.format(kind=kind, kind_rule=_KIND_RULES[kind])}


def shared_messages(kind: Kind) -> list[dict[str, str]]:
    """The messages before the text's own, the same for every text of ``kind``: the system message and the
    worked examples (a runtime computes the model state after them once)."""
    turns = [m for en, zh in EXAMPLES[kind] for m in (user_message(en), {"role": "assistant", "content": zh})]
    return [system_message(kind), *turns]


def user_message(text: str, hints: Hints | None = None) -> dict[str, str]:
    """The text, after the glossary terms it uses and (on a second try) what the first try lost."""
    lines = []
    terms = relevant_terms(text)
    if terms:
        lines.append(TERMS_HEADER + "; ".join(f"{en} = {zh}" for en, zh in terms.items()))
    if hints and hints.keep:
        lines.append(KEEP_HEADER + ", ".join(hints.keep))
    if hints and hints.render:
        lines.append(RENDER_HEADER + ", ".join(hints.render))
    if hints and hints.english:
        lines.append(ENGLISH_HEADER + ", ".join(hints.english))
    if hints and hints.no_colon:
        lines.append(NO_COLON)
    if not lines:
        return {"role": "user", "content": text}
    return {"role": "user", "content": "\n".join(lines) + f"\n\n{TEXT_HEADER}{text}"}


def build_messages(text: str, kind: Kind, hints: Hints | None = None) -> list[dict[str, str]]:
    return [*shared_messages(kind), user_message(text, hints)]
