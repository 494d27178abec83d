"""Translator configuration (plain data, shared by the Dagster resource and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OFFLINE = "offline"


@dataclass(frozen=True)
class TranslatorConfig:
    backend: Literal["causal", "seq2seq"] = "causal"
    # "offline" = the bundled Qwen2.5-Coder-1.5B-Instruct GGUF; else a hub id or a local directory.
    model: str = OFFLINE
    # For causal: a GGUF file name inside `model` (dir or repo), or an absolute path to a .gguf file.
    gguf_file: str | None = None
    # The offline model is joined and cached under {data_dir}/models/.
    data_dir: str = "data"
    # "auto" picks cuda when torch sees a GPU, else cpu.
    device: str = "auto"
    max_new_tokens: int = 512
    batch_size: int = 4

    def __post_init__(self) -> None:
        if self.backend not in ("causal", "seq2seq"):
            raise ValueError(f"backend must be 'causal' or 'seq2seq', got {self.backend!r}")
        if self.model == OFFLINE and self.backend != "causal":
            raise ValueError("model='offline' is a causal (GGUF) model; use backend='causal' or name a seq2seq model")
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise ValueError("max_new_tokens and batch_size must be at least 1")
