"""A real browser for tests: Debian's Chromium, headless, driven by Playwright.

Browsers cannot be downloaded here, so Playwright never installs one (no `playwright install`): it drives
the system Chromium (`apt-get install -y chromium`) through `executable_path`. Chinese glyphs come from the
Noto Sans SC that the project already installs (pylopdf-fonts-zh-cn), handed to Chromium through a
fontconfig file, so pages and screenshots show Chinese without any CJK system font.

    with launch_chromium() as browser:
        page = browser.new_page()

Outside pytest, `launch_chromium(skip=False)` raises instead of skipping.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM = os.environ.get("HF_DAILY_CHROMIUM", "/usr/bin/chromium")

# Chromium as root in a container, with nothing reaching out to the network on its own.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def missing_reason() -> str | None:
    """Why no browser test can run here, or None when Chromium and Playwright are both installed."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set HF_DAILY_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[test]' (never `playwright install`)"
    return None


def _fontconfig(folder: Path) -> Path:
    from hf_daily.channels.charts import chinese_font_path

    config = folder / "fonts.conf"
    config.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{chinese_font_path().parent}</dir>
  <cachedir>{folder / "cache"}</cachedir>
</fontconfig>
""")
    return config


@contextmanager
def launch_chromium(*, skip: bool = True, **launch_kwargs) -> Iterator["playwright.sync_api.Browser"]:  # noqa: F821
    """A headless system Chromium with a fresh profile; skips the calling test when it cannot run here."""
    reason = missing_reason()
    if reason:
        if skip:
            import pytest

            pytest.skip(reason)
        raise RuntimeError(reason)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="hf-daily-chromium-") as folder:
        env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(Path(folder)))}
        # Playwright gives every launch a new, empty profile of its own (no --user-data-dir to pass).
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env, **launch_kwargs)
            try:
                yield browser
            finally:
                browser.close()
