from pathlib import Path

import dagster as dg
import pytest

from hf_daily_tests.tiny_models import build_tiny_causal_lm


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny chat model built in the test run, loaded through the same transformers code as real ones."""
    return build_tiny_causal_lm(tmp_path_factory.mktemp("models") / "tiny-qwen2")


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance
