"""The code location: everything under hf_daily/defs/, found by dg.load_from_defs_folder ([tool.dg] in pyproject.toml)."""

from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
