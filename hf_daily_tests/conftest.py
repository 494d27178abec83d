from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_API = SHARED / "hf_daily_api"


@pytest.fixture
def shared_api() -> Path:
    if not SHARED_API.is_dir():
        pytest.skip(f"{SHARED_API} is absent: the real Daily Papers archive lives in ../shared beside the checkout")
    return SHARED_API
