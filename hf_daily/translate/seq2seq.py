"""Translation with a MarianMT-style encoder-decoder (e.g. Helsinki-NLP/opus-mt-en-zh).

Marian models are trained on single sentences with a 512-token limit, so an
abstract is translated sentence by sentence and the pieces are joined again.
"""

from __future__ import annotations

from pathlib import Path

from hf_daily.translate.base import BaseTranslator, Kind, generation_limits, model_dtype, wrap_load
from hf_daily.translate.config import TranslatorConfig
from hf_daily.translate.loading import check_local, fingerprint, load_error, resolve_source
from hf_daily.translate.text import join_translations, split_sentences

# Bump when splitting, joining or decoding changes: it is part of model_id.
PIPELINE_VERSION = "seq2seq-v2"

# Multi-target opus-mt models need a ">>lang<<" first token to pick the output
# language; opus-mt-en-zh emits Traditional or Cantonese without one.
_TARGET_TOKENS = (">>cmn_Hans<<", ">>zho_Hans<<", ">>cmn<<", ">>zho<<", ">>zh<<")


class Seq2SeqTranslator(BaseTranslator):
    def __init__(self, config: TranslatorConfig) -> None:
        super().__init__(config)
        self._source = resolve_source(config.model, None)
        if self._source.is_local:
            ident = f"{Path(self._source.name_or_path).name}@{fingerprint(self._source)}"
        else:
            ident = self._source.name_or_path
        self.model_id = f"seq2seq:{ident}#{PIPELINE_VERSION}"

    def default_batch_size(self) -> int:
        # Sentences, not texts: short, so larger batches pay off.
        return 64 if self.device is not None and self.device.type == "cuda" else 16

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        source = self._source
        check_local(source, "seq2seq")
        error = lambda exc: load_error(source, "seq2seq", exc)  # noqa: E731
        tokenizer = wrap_load(lambda: AutoTokenizer.from_pretrained(source.name_or_path), error)
        model = wrap_load(
            lambda: AutoModelForSeq2SeqLM.from_pretrained(source.name_or_path, dtype=model_dtype(self.device)),
            error,
        )
        model.to(self.device).eval()
        vocab = tokenizer.get_vocab()
        self._prefix = next((f"{t} " for t in _TARGET_TOKENS if t in vocab), "")
        # Tokenizers without a limit report a huge sentinel as model_max_length.
        limits = [
            n
            for n in (getattr(model.config, "max_position_embeddings", None), tokenizer.model_max_length)
            if isinstance(n, int) and 0 < n < 100_000
        ]
        self._max_input = min(limits, default=512)
        self._limits = generation_limits(model.generation_config, self.config.max_new_tokens)
        self._tokenizer, self._model, self._torch = tokenizer, model, torch

    def _units(self, text: str, kind: Kind) -> list[str]:
        # A title is one "sentence" even when it has a colon or a period in it.
        return [text] if kind == "title" else split_sentences(text)

    def _join(self, pieces: list[str]) -> str:
        return join_translations(pieces)

    def _translate_units(self, units: list[str], kind: Kind, on_unit=None, hints=None) -> list[str]:
        torch = self._torch
        batch = self._tokenizer(
            [self._prefix + u for u in units],
            return_tensors="pt", padding=True, truncation=True, max_length=self._max_input,
        ).to(self.device)
        with torch.inference_mode():
            output = self._model.generate(
                **batch, do_sample=False, num_beams=1, **self._limits
            )
        return [t.strip() for t in self._tokenizer.batch_decode(output, skip_special_tokens=True)]
