import sys
from pathlib import Path

import pytest

from hf_daily_tests.factories import SHARED_API
from hf_daily_tests.loopback import loopback  # noqa: F401 (the fixture, for every test folder)
from hf_daily_tests.smtp import smtp_server  # noqa: F401 (the fixture, for every test folder)
from hf_daily_tests.tiny_models import build_tiny_causal_lm


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory) -> Path:
    """A tiny chat model built in the test run, loaded through the same transformers code as real ones."""
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-causal-lm"))


@pytest.fixture
def shared_api() -> Path:
    if not SHARED_API.is_dir():
        pytest.skip(f"{SHARED_API} is absent: the real Daily Papers archive lives in ../shared beside the checkout")
    return SHARED_API


@pytest.fixture(autouse=True, scope="session")
def _only_this_checkout():
    """Fails the run if any hf_daily module came from elsewhere (an editable install of another checkout
    answers for a module that moved or was removed here)."""
    yield
    package = Path(__file__).resolve().parents[1]
    stray = sorted(name for name, module in list(sys.modules.items())
                   if name.split(".")[0] in ("hf_daily", "hf_daily_tests") and getattr(module, "__file__", None)
                   and not Path(module.__file__).resolve().is_relative_to(package))
    assert not stray, f"imported from outside {package}: {stray}"
