"""The `hf-daily` command: materialize days, open the UI, without writing Dagster code."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def _root_cause(error) -> str:
    # Dagster wraps the exception that explains the failure in its own "error occurred while executing" layers.
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def _materialize(args: argparse.Namespace) -> int:
    from hf_daily.defs.runner import materialize, parse_day

    start = parse_day(args.start)
    end = parse_day(args.end) if args.end else None
    translator = {k: v for k, v in {"backend": args.backend, "model": args.model,
                                    "gguf_file": args.gguf_file}.items() if v}
    results = materialize(start, end, data_dir=args.data_dir, archive_dir=args.archive, refresh=args.refresh,
                          per_day=args.per_day, translator=translator or None, raise_on_error=False)
    failed = [r for r in results if not r.success]
    for result in failed:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                print(f"error in {event.step_key}: {_root_cause(event.step_failure_data.error)}", file=sys.stderr)
    if not failed:
        last = end or start
        print(f"done: {len(results)} run(s); issue at {os.path.join(args.data_dir, 'issues', last.isoformat() + '.md')}")
    return 1 if failed else 0


def _ui(args: argparse.Namespace) -> int:
    from hf_daily.defs.runner import dagster_home

    env = dict(os.environ, DAGSTER_HOME=str(dagster_home(args.data_dir)), HF_DAILY_DATA_DIR=args.data_dir)
    # 127.0.0.1 by default: the UI can launch runs, so it must not be reachable from the network.
    command = [sys.executable, "-m", "dagster", "dev", "-m", "hf_daily.definitions", "-h", args.host, "-p", str(args.port)]
    return subprocess.call(command, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hf-daily", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    m = sub.add_parser("materialize", help="materialize a day, or a range of days, into the warehouse")
    m.add_argument("start", help="day, YYYY-MM-DD")
    m.add_argument("end", nargs="?", help="last day of a range, YYYY-MM-DD")
    m.add_argument("--archive", help="read YYYY-MM-DD.json files from this folder instead of the API")
    m.add_argument("--data-dir", default=os.environ.get("HF_DAILY_DATA_DIR", "data"))
    m.add_argument("--refresh", action="store_true", help="fetch again days that are already stored")
    m.add_argument("--per-day", action="store_true", help="one run per day instead of one run for the range")
    m.add_argument("--backend", help="translator backend: causal or seq2seq")
    m.add_argument("--model", help="translator model: 'offline', a hub id or a local folder")
    m.add_argument("--gguf-file", help="GGUF file inside --model, or a path to one")
    m.set_defaults(func=_materialize)

    u = sub.add_parser("ui", help="open the Dagster UI (dagster dev) on this project")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=3000)
    u.add_argument("--data-dir", default=os.environ.get("HF_DAILY_DATA_DIR", "data"))
    u.set_defaults(func=_ui)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        parser.error(str(exc))
    return 2


if __name__ == "__main__":
    sys.exit(main())
