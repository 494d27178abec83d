"""Test data shared by the test modules (through conftest fixtures, or imported: this is not a test module)."""

from __future__ import annotations

from pathlib import Path

# ../shared beside the checkout: the real Daily Papers archive and the translation references.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_API = SHARED / "hf_daily_api"
