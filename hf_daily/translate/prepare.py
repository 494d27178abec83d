"""Preparing a causal model once for fast loading and fast inference, cached under ``{data_dir}/models/``.

Two derived forms of a causal model are built on first use and reused after:

* a plain Hugging Face checkpoint (``save_pretrained``) of a GGUF model: loading
  a GGUF through transformers dequantizes every tensor (about 2.5 minutes for
  the offline model on 2 cores); the saved checkpoint loads in seconds and holds
  exactly the same fp32 weights, so the reference (transformers) runtime gives
  the same outputs either way;
* a CTranslate2 model (int8 weights by default) converted from that checkpoint,
  for the fast runtime.

Each prepared folder carries a stamp (``.prepared.json``) naming what it was made
from; a folder whose stamp does not match is rebuilt, and a build happens in a
temporary folder that is renamed into place only when complete, under a file lock,
so concurrent Dagster steps neither see half-written models nor build twice.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from hf_daily.translate.errors import TranslationModelError
from hf_daily.translate.loading import ModelSource
from hf_daily.translate.offline_model import _exclusive

log = logging.getLogger(__name__)

# Bump when the way a folder is produced changes; part of the stamp.
PREPARE_VERSION = 1
STAMP = ".prepared.json"
# Tokenizer files copied next to a CTranslate2 model, so it loads without the checkpoint.
_TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
    "added_tokens.json", "chat_template.jinja", "generation_config.json", "config.json",
)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:120] or "model"


def _read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return None


def _build(folder: Path, stamp: dict, build: Callable[[Path], None]) -> Path:
    """``folder`` made by ``build(tmp)`` unless a matching stamp says it is already there."""
    if _read_stamp(folder) == stamp:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(folder.with_name(folder.name + ".lock")):
        if _read_stamp(folder) == stamp:  # another process built it while we waited
            return folder
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
        try:
            build(tmp)
            (tmp / STAMP).write_text(json.dumps(stamp, sort_keys=True))
            # mkdtemp makes the folder private; a prepared model is an ordinary shared data folder.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def hf_checkpoint_dir(data_dir: str | os.PathLike, gguf_name: str, ident: str) -> Path:
    return Path(data_dir) / "models" / "prepared" / f"{_safe(Path(gguf_name).stem)}-{_safe(ident)[:16]}-hf"


def ensure_hf_checkpoint(source: ModelSource, ident: str, data_dir: str | os.PathLike) -> ModelSource:
    """A local transformers checkpoint for ``source``: the source itself unless it is a GGUF file.

    ``ident`` identifies the GGUF's content (its sha256 or fingerprint); it names the cache folder.
    """
    if not source.gguf_file:
        return source
    folder = hf_checkpoint_dir(data_dir, source.gguf_file, ident)
    import transformers

    stamp = {"version": PREPARE_VERSION, "from": f"{source.gguf_file}@{ident}",
             "transformers": transformers.__version__}

    def build(tmp: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        import torch

        log.info("dequantizing %s into a transformers checkpoint (once; takes minutes)", source.gguf_file)
        kwargs = {"gguf_file": source.gguf_file}
        tokenizer = AutoTokenizer.from_pretrained(source.name_or_path, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source.name_or_path, dtype=torch.float32, **kwargs)
        # The GGUF "quantizer" only dequantized on load: the tensors are plain fp32, which
        # transformers refuses to save while the quantizer is attached.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        del model

    _build(folder, stamp, build)
    return ModelSource(str(folder), True, None)


def ensure_gguf_tokenizer(source: ModelSource, ident: str, data_dir: str | os.PathLike) -> Path:
    """The tokenizer (and chat template) of a GGUF model, saved once: reading it from the GGUF takes ~20 s."""
    folder = Path(data_dir) / "models" / "prepared" / (
        f"{_safe(Path(source.gguf_file).stem)}-{_safe(ident)[:16]}-tokenizer")
    import transformers

    stamp = {"version": PREPARE_VERSION, "from": f"{source.gguf_file}@{ident}",
             "transformers": transformers.__version__}

    def build(tmp: Path) -> None:
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(source.name_or_path, gguf_file=source.gguf_file).save_pretrained(tmp)

    return _build(folder, stamp, build)


def ensure_requantized_gguf(source: ModelSource, ident: str, data_dir: str | os.PathLike, weights: str) -> Path:
    """The GGUF of ``source`` requantized once to ``weights`` (a llama.cpp type such as q4_0) by llama.cpp itself.

    Q4_0 is the type llama.cpp repacks for its AVX-512 matrix kernels; from the offline model's Q4_K_M
    it takes about 10 s and 1.1 GB of disk.
    """
    from hf_daily.translate.llamacpp import requantize

    folder = Path(data_dir) / "models" / "prepared" / (
        f"{_safe(Path(source.gguf_file).stem)}-{_safe(ident)[:16]}-{_safe(weights)}")
    stamp = {"version": PREPARE_VERSION, "from": f"{source.gguf_file}@{ident}", "weights": weights}

    def build(tmp: Path) -> None:
        log.info("requantizing %s to %s for llama.cpp (once)", source.gguf_file, weights)
        requantize(Path(source.name_or_path) / source.gguf_file, tmp / "model.gguf", weights)

    return _build(folder, stamp, build) / "model.gguf"


def ct2_dir(data_dir: str | os.PathLike, name: str, ident: str, quantization: str) -> Path:
    return Path(data_dir) / "models" / "prepared" / f"{_safe(name)}-{_safe(ident)[:16]}-ct2-{quantization}"


def ensure_ct2_model(
    source: ModelSource, name: str, ident: str, data_dir: str | os.PathLike, quantization: str = "int8"
) -> Path:
    """A CTranslate2 model of the (non-GGUF) transformers checkpoint ``source``, with its tokenizer beside it."""
    if source.gguf_file:
        raise ValueError("convert a GGUF model to a transformers checkpoint first (ensure_hf_checkpoint)")
    try:
        import ctranslate2
    except ImportError as exc:
        raise TranslationModelError(
            "runtime='ctranslate2' needs the ctranslate2 package: `.venv/bin/pip install ctranslate2==4.8.5`, "
            "or set runtime='transformers'."
        ) from exc
    folder = ct2_dir(data_dir, name, ident, quantization)
    stamp = {"version": PREPARE_VERSION, "from": f"{name}@{ident}", "quantization": quantization,
             "ctranslate2": ctranslate2.__version__}

    def build(tmp: Path) -> None:
        from ctranslate2.converters import TransformersConverter

        log.info("converting %s to CTranslate2 (%s; once)", name, quantization)
        # The converter wants a fresh output folder.
        out = tmp / "model"
        TransformersConverter(source.name_or_path, low_cpu_mem_usage=True).convert(
            str(out), quantization=quantization, force=True
        )
        for item in out.iterdir():
            os.replace(item, tmp / item.name)
        out.rmdir()
        _copy_tokenizer(source, tmp)

    return _build(folder, stamp, build)


def _copy_tokenizer(source: ModelSource, target: Path) -> None:
    root = Path(source.name_or_path)
    if root.is_dir():
        for name in _TOKENIZER_FILES:
            if (root / name).is_file() and not (target / name).exists():
                shutil.copy2(root / name, target / name)
        return
    from transformers import AutoTokenizer  # a hub id: save its tokenizer from the local cache

    AutoTokenizer.from_pretrained(source.name_or_path).save_pretrained(target)
    with contextlib.suppress(Exception):
        from transformers import GenerationConfig

        GenerationConfig.from_pretrained(source.name_or_path).save_pretrained(target)
