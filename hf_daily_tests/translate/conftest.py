from __future__ import annotations

from pathlib import Path

import pytest

from hf_daily_tests.tiny_models import build_tiny_marian


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Qwen2 chat model as a GGUF file (f32): what the llama.cpp runtime reads."""
    from hf_daily_tests.tiny_models import build_tiny_gguf

    return build_tiny_gguf(tmp_path_factory.mktemp("tiny-gguf"))
