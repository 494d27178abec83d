"""Translation with an instruction-tuned causal LM, prompted through its own chat template."""

from __future__ import annotations

import copy
from pathlib import Path

from hf_daily.translate import offline_model
from hf_daily.translate.base import BaseTranslator, Kind, generation_limits, model_dtype, wrap_load
from hf_daily.translate.config import OFFLINE, TranslatorConfig
from hf_daily.translate.errors import TranslationModelError
from hf_daily.translate.loading import ModelSource, check_local, fingerprint, load_error, resolve_source
from hf_daily.translate.prompts import PROMPT_VERSION, build_messages
from hf_daily.translate.text import clean_output


class CausalTranslator(BaseTranslator):
    def __init__(self, config: TranslatorConfig) -> None:
        super().__init__(config)
        if config.model == OFFLINE:
            self._source: ModelSource | None = None  # joined on first use: needs 1.1 GB of disk work
            ident = f"{offline_model.FILE_NAME}@sha256:{offline_model.EXPECTED_SHA256[:16]}"
        else:
            self._source = resolve_source(config.model, config.gguf_file)
            if self._source.is_local:
                name = Path(self._source.name_or_path).name
                if self._source.gguf_file:
                    name += f"/{self._source.gguf_file}"
                ident = f"{name}@{fingerprint(self._source)}"
            else:
                ident = self._source.name_or_path + (f"/{self._source.gguf_file}" if self._source.gguf_file else "")
        self.model_id = f"causal:{ident}#{PROMPT_VERSION}"

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if self._source is None:
            path = offline_model.ensure_offline_model(self.config.data_dir)
            self._source = ModelSource(str(path.parent), True, path.name)
        source = self._source
        check_local(source, "causal")
        kwargs = {"gguf_file": source.gguf_file} if source.gguf_file else {}
        error = lambda exc: load_error(source, "causal", exc)  # noqa: E731
        tokenizer = wrap_load(lambda: AutoTokenizer.from_pretrained(source.name_or_path, **kwargs), error)
        if not getattr(tokenizer, "chat_template", None):
            raise TranslationModelError(
                f"The causal translation model {source.name_or_path} has no chat template, "
                "so it is not an instruction-tuned chat model; use an -Instruct/-Chat model or backend='seq2seq'."
            )
        model = wrap_load(
            lambda: AutoModelForCausalLM.from_pretrained(
                source.name_or_path, dtype=model_dtype(self.device), **kwargs
            ),
            error,
        )
        model.to(self.device).eval()

        # Batched generation appends new tokens on the right, so prompts are padded on the left.
        tokenizer.padding_side = "left"
        eos = model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if tokenizer.eos_token_id is not None:
            eos_ids.add(tokenizer.eos_token_id)
        if not eos_ids:
            raise TranslationModelError(f"The causal model {source.name_or_path} defines no end-of-sequence token.")
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(eos_ids)

        gen = copy.deepcopy(model.generation_config)
        # Greedy: the same text must give the same translation, or the cache and reruns disagree.
        gen.update(
            do_sample=False, num_beams=1, temperature=None, top_p=None, top_k=None, max_length=None,
            eos_token_id=sorted(eos_ids), pad_token_id=pad_id,
            **generation_limits(gen, self.config.max_new_tokens),
        )
        self._tokenizer, self._model, self._gen, self._pad_id = tokenizer, model, gen, pad_id
        self._torch = torch

    def _prompt_ids(self, text: str, kind: Kind) -> list[int]:
        prompt = self._tokenizer.apply_chat_template(
            build_messages(text, kind), tokenize=False, add_generation_prompt=True
        )
        # The template already holds every special token the model expects.
        return self._tokenizer(prompt, add_special_tokens=False)["input_ids"]

    def _translate_units(self, units: list[str], kind: Kind) -> list[str]:
        torch = self._torch
        prompts = [self._prompt_ids(u, kind) for u in units]
        width = max(len(p) for p in prompts)
        input_ids = torch.full((len(prompts), width), self._pad_id, dtype=torch.long)
        attention = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, ids in enumerate(prompts):
            input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention[row, width - len(ids) :] = 1
        with torch.inference_mode():
            output = self._model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention.to(self.device),
                generation_config=self._gen,
            )
        new_tokens = output[:, width:]
        decoded = self._tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [clean_output(d) for d in decoded]
