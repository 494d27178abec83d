"""The foundation every layer stands on: paths, atomic files, display text, progress. Imports nothing of hf_daily."""
