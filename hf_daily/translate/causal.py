"""Translation with an instruction-tuned causal LM, prompted through its own chat template.

Three runtimes share the prompt, the tokenizer and the output cleaning:

* ``llamacpp``: a GGUF model (the offline default) read as it is by llama.cpp, a
  run's texts decoded together with continuous batching (see ``llamacpp.py``);
  the fastest on a CPU by far;
* ``transformers``: the reference; a GGUF model is dequantized once into a cached
  transformers checkpoint (same fp32 weights, loads in seconds instead of minutes);
* ``ctranslate2``: the model converted once to CTranslate2 (int8 weights by default),
  decoded in length-sorted batches with the system prompt's state computed once per
  call; for non-GGUF checkpoints, and used with larger batches on a GPU.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

from hf_daily.translate import offline_model
from hf_daily.core.parallel import cpu_threads
from hf_daily.translate.base import (
    BaseTranslator, Kind, better, generation_limits, model_dtype, retry_hints, wrap_load,
)
from hf_daily.translate.config import OFFLINE, TranslatorConfig
from hf_daily.translate.errors import TranslationModelError
from hf_daily.translate.loading import ModelSource, check_local, fingerprint, load_error, resolve_source
from hf_daily.translate.prompts import PROMPT_VERSION, build_messages, shared_messages
from hf_daily.translate.text import clean_output, group_sentences, join_translations


# llama.cpp on a CPU: texts decoded together (more is faster until the 2 cores' compute is the limit),
# and the context room kept per text for its prompt (the system prompt, terms and the text).
LLAMACPP_CPU_SEQUENCES = 16
LLAMACPP_PROMPT_TOKENS = 1024
# A translation may take at most this many tokens per source token, plus the slack.
LENGTH_CAP_FACTOR = 2.0
# abstract_units="sentences": consecutive sentences up to this many characters make one unit.
SENTENCE_GROUP_CHARS = 320
LENGTH_CAP_SLACK = 32


def resolve_runtime(config: TranslatorConfig) -> str:
    """The runtime for ``auto``: llama.cpp for a GGUF model, else CTranslate2, else transformers (if installed)."""
    if config.runtime != "auto":
        return config.runtime
    gguf = config.model == OFFLINE or bool(config.gguf_file)
    if gguf and importlib.util.find_spec("llama_cpp") is not None:
        return "llamacpp"
    return "ctranslate2" if importlib.util.find_spec("ctranslate2") is not None else "transformers"


def resolve_weights(config: TranslatorConfig, runtime: str) -> str:
    """The weights llama.cpp runs for ``weights='auto'``: Q4_0 for the offline model where its kernels use AVX-512.

    Measured on a 2-core AMD EPYC (Zen 5), 16 abstracts decoded together: Q4_0 121 tokens/s against the
    shipped Q4_K_M's 69 with AVX-512; with AVX2 only, 62 against 57, not worth requantizing for. The gain
    comes from llama.cpp repacking Q4_0 for AVX-512, which is off where AMX is (see LlamaCppEngine): on an
    Intel Xeon with AMX, Q4_0 read prompts at 58 tokens/s against Q4_K_M's 142 there.
    """
    if runtime != "llamacpp":
        return "as-is"
    if config.weights != "auto":
        return config.weights
    if config.model != OFFLINE:  # a GGUF the user chose runs as it is unless asked otherwise
        return "as-is"
    from hf_daily.translate.llamacpp import uses_amx, uses_avx512

    return "q4_0" if uses_avx512() and not uses_amx() else "as-is"


class CausalTranslator(BaseTranslator):
    def __init__(self, config: TranslatorConfig) -> None:
        super().__init__(config)
        self.runtime = resolve_runtime(config)
        self.weights = resolve_weights(config, self.runtime)
        if config.model == OFFLINE:
            self._source: ModelSource | None = None  # joined on first use: needs 1.1 GB of disk work
            self._name = Path(offline_model.FILE_NAME).stem
            self._ident = offline_model.EXPECTED_SHA256[:16]
            ident = f"{offline_model.FILE_NAME}@sha256:{self._ident}"
        else:
            self._source = resolve_source(config.model, config.gguf_file)
            if self._source.is_local:
                name = Path(self._source.name_or_path).name
                if self._source.gguf_file:
                    name += f"/{self._source.gguf_file}"
                self._ident = fingerprint(self._source)
                ident = f"{name}@{self._ident}"
            else:
                name = self._source.name_or_path + (f"/{self._source.gguf_file}" if self._source.gguf_file else "")
                self._ident = "hub"
                ident = name
            self._name = Path(self._source.gguf_file).stem if self._source.gguf_file else name.replace("/", "--")
        if self.runtime == "llamacpp" and not (config.model == OFFLINE or config.gguf_file):
            raise ValueError("runtime='llamacpp' runs GGUF models: set gguf_file, or choose runtime='ctranslate2'")
        # The runtime is part of the id: the 4-bit GGUF weights (llama.cpp), int8 CTranslate2 and fp32
        # transformers give slightly different text.
        llamacpp = "causal-llamacpp" + ("" if self.weights == "as-is" else f"-{self.weights}")
        prefix = {"transformers": "causal", "llamacpp": llamacpp}.get(
            self.runtime, f"causal-ct2-{config.quantization}")
        units = "" if config.abstract_units == "sentences" else f"+{config.abstract_units}"
        self.model_id = f"{prefix}:{ident}#{PROMPT_VERSION}{units}"

    def _units(self, text: str, kind: Kind) -> list[str]:
        if kind == "abstract" and self.config.abstract_units == "sentences":
            return group_sentences(text, SENTENCE_GROUP_CHARS)
        return [text]

    def _join(self, pieces: list[str]) -> str:
        return join_translations(pieces)

    def default_batch_size(self) -> int:
        gpu = self.device is not None and self.device.type == "cuda"
        if self.runtime == "llamacpp":
            return 64 if gpu else LLAMACPP_CPU_SEQUENCES
        if self.runtime == "ctranslate2":
            return 64 if gpu else 16
        return 32 if gpu else 4

    def units_per_call(self) -> int:
        # llama.cpp keeps batch_size sequences going and starts the next text as soon as one ends,
        # so it gets every text at once instead of fixed batches that wait for their longest member.
        return 1 << 30 if self.runtime == "llamacpp" else self.batch_size

    # --- loading ---------------------------------------------------------------------------------

    def _model_source(self) -> ModelSource:
        if self._source is None:
            path = offline_model.ensure_offline_model(self.config.data_dir)
            self._source = ModelSource(str(path.parent), True, path.name)
        return self._source

    def _checkpoint(self) -> ModelSource:
        """A local or hub transformers checkpoint of the model (a GGUF is dequantized once and cached)."""
        from hf_daily.translate.prepare import ensure_hf_checkpoint

        source = self._model_source()
        check_local(source, "causal")
        error = lambda exc: load_error(source, "causal", exc)  # noqa: E731
        return wrap_load(lambda: ensure_hf_checkpoint(source, self._ident, self.config.data_dir), error)

    def _load(self) -> None:
        from transformers import AutoTokenizer

        if self.runtime == "llamacpp":
            return self._load_llamacpp()
        checkpoint = self._checkpoint()
        error = lambda exc: load_error(self._source, "causal", exc)  # noqa: E731
        tokenizer = wrap_load(lambda: AutoTokenizer.from_pretrained(checkpoint.name_or_path), error)
        self._set_tokenizer(tokenizer, checkpoint.name_or_path)
        if self.runtime == "ctranslate2":
            self._load_ct2(checkpoint, error)
        else:
            self._load_transformers(checkpoint, error)

    def _set_tokenizer(self, tokenizer, where: str) -> None:
        if not getattr(tokenizer, "chat_template", None):
            raise TranslationModelError(
                f"The causal translation model {where} has no chat template, "
                "so it is not an instruction-tuned chat model; use an -Instruct/-Chat model or backend='seq2seq'."
            )
        self._tokenizer = tokenizer

    def _load_llamacpp(self) -> None:
        """The GGUF file as it is, for llama.cpp, and its tokenizer (saved once) for the chat template."""
        from transformers import AutoTokenizer

        from hf_daily.translate.llamacpp import LlamaCppEngine
        from hf_daily.translate.prepare import ensure_gguf_tokenizer, ensure_requantized_gguf

        source = self._model_source()
        error = lambda exc: load_error(source, "causal", exc)  # noqa: E731
        if not source.is_local:
            from huggingface_hub import hf_hub_download

            path = Path(wrap_load(lambda: hf_hub_download(source.name_or_path, source.gguf_file), error))
            source = self._source = ModelSource(str(path.parent), True, path.name)
        check_local(source, "causal")
        folder = wrap_load(lambda: ensure_gguf_tokenizer(source, self._ident, self.config.data_dir), error)
        gguf = Path(source.name_or_path) / source.gguf_file
        if self.weights != "as-is":
            gguf = wrap_load(lambda: ensure_requantized_gguf(source, self._ident, self.config.data_dir,
                                                             self.weights), error)
        self._set_tokenizer(wrap_load(lambda: AutoTokenizer.from_pretrained(str(folder)), error), str(folder))
        self._max_new = self.config.max_new_tokens
        self._static = {}
        gpu = self.device.type == "cuda"
        # Each slot's room: the shared system prompt, its own prompt and its longest translation.
        self._engine = LlamaCppEngine(
            gguf, n_seq=self.batch_size,
            seq_ctx=LLAMACPP_PROMPT_TOKENS + self._max_new, n_threads=cpu_threads(), gpu=gpu,
        )

    def _eos_ids(self, generation_config) -> set[int]:
        eos = generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self._tokenizer.eos_token_id is not None:
            eos_ids.add(self._tokenizer.eos_token_id)
        if not eos_ids:
            raise TranslationModelError(f"The causal model {self._name} defines no end-of-sequence token.")
        return eos_ids

    def _load_transformers(self, checkpoint: ModelSource, error) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        model = wrap_load(
            lambda: AutoModelForCausalLM.from_pretrained(checkpoint.name_or_path, dtype=model_dtype(self.device)),
            error,
        )
        model.to(self.device).eval()
        tokenizer = self._tokenizer
        # Batched generation appends new tokens on the right, so prompts are padded on the left.
        tokenizer.padding_side = "left"
        eos_ids = self._eos_ids(model.generation_config)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(eos_ids)
        gen = copy.deepcopy(model.generation_config)
        # Greedy: the same text must give the same translation, or the cache and reruns disagree.
        gen.update(
            do_sample=False, num_beams=1, temperature=None, top_p=None, top_k=None, max_length=None,
            eos_token_id=sorted(eos_ids), pad_token_id=pad_id,
            **generation_limits(gen, self.config.max_new_tokens),
        )
        self._model, self._gen, self._pad_id = model, gen, pad_id
        self._max_new = gen.max_new_tokens
        self._torch = torch

    def _load_ct2(self, checkpoint: ModelSource, error) -> None:
        from transformers import GenerationConfig

        from hf_daily.translate.prepare import ensure_ct2_model

        folder = wrap_load(
            lambda: ensure_ct2_model(checkpoint, self._name, self._ident, self.config.data_dir,
                                     self.config.quantization),
            error,
        )
        import ctranslate2

        device = "cuda" if self.device.type == "cuda" and ctranslate2.get_cuda_device_count() > 0 else "cpu"
        if device == "cpu":
            compute_type = self.config.quantization if self.config.quantization.startswith("int8") else "default"
        else:
            compute_type = "int8_float16" if self.config.quantization.startswith("int8") else "float16"
        self._generator = wrap_load(
            lambda: ctranslate2.Generator(
                str(folder), device=device, compute_type=compute_type,
                inter_threads=1, intra_threads=cpu_threads() if device == "cpu" else 0,
            ),
            error,
        )
        try:
            gen = GenerationConfig.from_pretrained(str(folder))
        except (OSError, ValueError):
            gen = GenerationConfig()
        self._eos = sorted(self._eos_ids(gen))
        limits = generation_limits(gen, self.config.max_new_tokens)
        self._max_new, self._min_new = limits["max_new_tokens"], limits["min_new_tokens"] or 0
        self._static: dict[str, list[int]] = {}
        suppress = getattr(gen, "suppress_tokens", None) or []
        self._suppress = [[t] for t in self._tokenizer.convert_ids_to_tokens(list(suppress))] or None

    # --- prompts ---------------------------------------------------------------------------------

    def _prompt_ids(self, text: str, kind: Kind, hints=None) -> list[int]:
        prompt = self._tokenizer.apply_chat_template(
            build_messages(text, kind, hints), tokenize=False, add_generation_prompt=True
        )
        # The template already holds every special token the model expects.
        return self._tokenizer(prompt, add_special_tokens=False)["input_ids"]

    def _static_prefix(self, kind: Kind) -> list[int]:
        """The prompt tokens before the user's text, shared by every text of ``kind`` (may be empty)."""
        if kind not in self._static:
            marker = "\x00hf-daily\x00"
            prompt = self._tokenizer.apply_chat_template(
                [*shared_messages(kind), {"role": "user", "content": marker}], tokenize=False,
                add_generation_prompt=True,
            )
            head = prompt.split(marker, 1)[0] if marker in prompt else ""
            self._static[kind] = self._tokenizer(head, add_special_tokens=False)["input_ids"] if head else []
        return self._static[kind]

    # --- decoding --------------------------------------------------------------------------------

    def _output_cap(self, units: list[str]) -> int:
        """At most max_new_tokens, and no more than a translation of the longest unit can need.

        A Chinese translation takes about as many tokens as its English source; a runaway
        generation (a loop) would otherwise hold up the whole batch until max_new_tokens.
        """
        longest = max(len(self._tokenizer(u, add_special_tokens=False)["input_ids"]) for u in units)
        return min(self._max_new, int(LENGTH_CAP_FACTOR * longest) + LENGTH_CAP_SLACK)

    retries_with_hints = True

    def _translate_units(self, units: list[str], kind: Kind, on_unit=None, hints=None) -> list[str]:
        prompts = [self._prompt_ids(u, kind, (hints or {}).get(u)) for u in units]
        if self.runtime == "llamacpp":
            return self._translate_llamacpp(units, prompts, kind, on_unit, retry=not hints)
        if self.runtime == "ctranslate2":
            return self._translate_ct2(units, prompts, kind)
        return self._translate_transformers(units, prompts)

    def _split_static(self, prompts: list[list[int]], kind: Kind) -> tuple[list[int], list[list[int]]]:
        """The shared system-prompt tokens and each prompt's own rest (no shared part if they differ)."""
        static = self._static_prefix(kind)
        if static and all(p[: len(static)] == static for p in prompts):
            return static, [p[len(static) :] for p in prompts]
        return [], prompts

    def _retry_lost(self, translated, kind, size) -> None:
        if self.runtime != "llamacpp":  # llama.cpp tries again within the same run (see below)
            super()._retry_lost(translated, kind, size)

    def _translate_llamacpp(self, units: list[str], prompts: list[list[int]], kind: Kind, on_unit=None,
                            retry: bool = True) -> list[str]:
        static, rest = self._split_static(prompts, kind)
        caps = [self._output_cap([u]) for u in units]
        decode = lambda ids: clean_output(self._tokenizer.decode(ids, skip_special_tokens=True))  # noqa: E731

        def then(i: int, ids: list[int]):
            # A translation that lost numbers or names (or a title's words) is tried again at once, naming them.
            hints = retry_hints(units[i], decode(ids), kind)
            if hints is None:
                return None
            prompt = self._prompt_ids(units[i], kind, hints)
            return (prompt[len(static):] if static else prompt), caps[i]

        first, second = self._engine.generate(rest, static, caps, on_done=on_unit, then=then if retry else None)
        out = [decode(ids) for ids in first]
        for i, ids in second.items():
            out[i] = better(units[i], out[i], decode(ids), kind)
        return out

    def _translate_transformers(self, units: list[str], prompts: list[list[int]]) -> list[str]:
        torch = self._torch
        width = max(len(p) for p in prompts)
        input_ids = torch.full((len(prompts), width), self._pad_id, dtype=torch.long)
        attention = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, ids in enumerate(prompts):
            input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention[row, width - len(ids) :] = 1
        cap = self._output_cap(units)
        gen = copy.deepcopy(self._gen)
        gen.max_new_tokens = cap
        gen.min_new_tokens = min(gen.min_new_tokens, cap) if gen.min_new_tokens is not None else None
        with torch.inference_mode():
            output = self._model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention.to(self.device),
                generation_config=gen,
            )
        new_tokens = output[:, width:]
        decoded = self._tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [clean_output(d) for d in decoded]

    def _translate_ct2(self, units: list[str], prompts: list[list[int]], kind: Kind) -> list[str]:
        # The system prompt's state is computed once and reused for every batch of this kind.
        static, rest = self._split_static(prompts, kind)
        to_tokens = self._tokenizer.convert_ids_to_tokens
        # CTranslate2 forwards prompts at once only up to the shortest one in a batch and feeds
        # the rest token by token, so the caller's length-sorted batches matter; the longer
        # prompts' extra tokens count against max_length.
        spread = max(len(r) for r in rest) - min(len(r) for r in rest)
        cap = self._output_cap(units)
        results = self._generator.generate_batch(
            [to_tokens(r) for r in rest],
            static_prompt=to_tokens(static) if static else None,
            max_length=cap + spread, min_length=min(self._min_new, cap),
            beam_size=1, sampling_topk=1, end_token=self._eos,
            include_prompt_in_result=False, suppress_sequences=self._suppress,
        )
        # The spread above is only for unforwarded prompt tokens: cap what came out at max_new_tokens.
        ids = [r.sequences_ids[0][:cap] for r in results]
        decoded = self._tokenizer.batch_decode(ids, skip_special_tokens=True)
        return [clean_output(d) for d in decoded]
