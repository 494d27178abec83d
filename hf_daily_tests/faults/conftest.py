from __future__ import annotations

import pytest

from hf_daily_tests.faults.support import PROXY_VARIABLES


@pytest.fixture(autouse=True)
def _no_proxy_no_token(monkeypatch):
    # The resource builds its own requests session, which trusts the environment.
    for name in (*PROXY_VARIABLES, "HF_TOKEN", "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
