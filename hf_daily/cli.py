"""The `hf-daily` command: materialize days, import an archive, query the warehouse, open the UI."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

import duckdb

from hf_daily.channels.topic_feeds import FeedFilterError, configured_filters
from hf_daily.core.constants import PAGE_SIZE
from hf_daily.core.layout import DEFAULT_DATA_DIR, DataLayout
from hf_daily.core.weeks import weeks_between
from hf_daily.steps.ingest import contiguous_ranges, import_folder
from hf_daily.sources.archive import ArchiveFileError
from hf_daily.translate.cli import add_model_arguments, add_translate_arguments, main_translate, model_flags
from hf_daily.translate.config import parse_model_spec
from hf_daily.steps.fields import FIELDS
from hf_daily.warehouse import Warehouse, WarehouseError, WarehouseLockedError
from hf_daily.warehouse import subscribers as subs
from hf_daily.warehouse.views import REPORTS, ensure_views

# Read-only commands wait this long for a run's write lock by default: long enough for a
# daily run's short writes, short enough that a person is told what is going on.
READ_WAIT_S = 10.0


def _root_cause(error) -> str:
    # Dagster wraps our exception, whose message names the day, URL and fix, in its own layers;
    # below ours lies the library error it explains, which would say less.
    while error.cause is not None and error.cls_name and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error.message.strip()


def _add_translator_arguments(parser: argparse.ArgumentParser) -> None:
    """The translator's flags, the same for every command that translates; each overrides only its own setting."""
    add_model_arguments(parser)
    parser.add_argument("--retranslate-flagged-with", metavar="BACKEND:MODEL",
                        help="translate the papers that fail the quality checks again with this model, e.g. "
                             "openai:deepseek-chat, and keep the better translation")


def _translator_flags(args: argparse.Namespace) -> dict:
    """The translator settings named on the command line (the environment's fill in the rest, in the runner)."""
    if args.retranslate_flagged_with:
        parse_model_spec(args.retranslate_flagged_with)  # a typo is reported before any work
    flags = model_flags(args) | {"retranslate_flagged_with": args.retranslate_flagged_with}
    return {name: value for name, value in flags.items() if value is not None}


def _check_feed_filters() -> None:
    """A mistake in HF_DAILY_FEED_FILTERS is reported before any work, not by html_issue after the translation."""
    try:
        configured_filters()
    except FeedFilterError as exc:
        print(f"hf-daily: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _materialize(args: argparse.Namespace) -> int:
    # Dagster is imported when a command needs it: `hf-daily sql` and `report` should start at once.
    from hf_daily.runner import materialize, parse_day

    start = parse_day(args.start)
    end = parse_day(args.end) if args.end else None
    translator = _translator_flags(args)
    _check_feed_filters()
    results = materialize(start, end, data_dir=args.data_dir, archive_dir=args.archive, refresh=args.refresh,
                          per_day=args.per_day, translator=translator or None, raise_on_error=False)
    failed = [r for r in results if not r.success]
    for result in failed:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                print(f"error in {event.step_key}: {_root_cause(event.step_failure_data.error)}", file=sys.stderr)
    if not failed:
        last = end or start
        print(f"done: {len(results)} run(s); issue at {DataLayout(args.data_dir).issue(last)}")
    return 1 if failed else 0


def _weekly(args: argparse.Namespace) -> int:
    from hf_daily.runner import materialize_weeks, parse_day

    start = parse_day(args.start)
    end = parse_day(args.end) if args.end else start
    result = materialize_weeks(start, end, data_dir=args.data_dir, archive_dir=args.archive, raise_on_error=False)
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            print(f"error in {event.step_key}: {_root_cause(event.step_failure_data.error)}", file=sys.stderr)
    if not result.success:
        return 1
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            print(f"warning: {check.check_name} failed: "
                  f"{json.dumps(check.metadata['differences'].value, ensure_ascii=False)}", file=sys.stderr)
    weeks = weeks_between(start, end)
    layout = DataLayout(args.data_dir)
    print(f"done: {len(weeks)} weekly digest(s); the last at {layout.weekly_issue(weeks[-1])}, "
          f"{layout.weekly_page(weeks[-1])}; feed {layout.weekly_feed}")
    return 0


def _import(args: argparse.Namespace) -> int:
    if not args.raw_only:
        _check_feed_filters()
    try:
        report = import_folder(Warehouse(DataLayout(args.data_dir).warehouse), args.folder)
    except ArchiveFileError as exc:
        print(f"hf-daily import: {exc}", file=sys.stderr)
        return 2
    except WarehouseError as exc:
        print(f"hf-daily import: {exc}", file=sys.stderr)
        return 3
    rows = [[f.path.name, f.day, f.shape, f.papers if f.ok else None,
             "possibly truncated" if f.ok and f.possibly_truncated else "", f.stored if f.ok else "REJECTED"]
            for f in report.files]
    print(format_table(["file", "day", "shape", "papers", "flag", "stored"], rows, max_width=0))
    for f in report.files:
        for note in f.notes:
            print(f"note: {f.path.name}: {note}")
    for f in report.rejected:
        print(f"rejected: {f.error}", file=sys.stderr)
    if report.ignored:
        print(f"ignored {len(report.ignored)} file(s) not ending in .json: "
              f"{', '.join(p.name for p in report.ignored[:5])}{' ...' if len(report.ignored) > 5 else ''}")
    truncated = [f for f in report.imported if f.possibly_truncated]
    if truncated:
        print(f"warning: {len(truncated)} day(s) hold exactly {PAGE_SIZE} papers, one full API page, and may be missing "
              "the rest; fetch them again from the API with `hf-daily materialize DAY --refresh`.")
    papers = sum(f.papers for f in report.imported)
    print(f"imported {len(report.imported)} file(s), {papers} papers; rejected {len(report.rejected)}")
    failed = 1 if report.rejected else 0
    if args.raw_only or not report.days:
        return failed
    translator = _translator_flags(args)
    avoid = [f.day for f in report.rejected if f.day]
    return _materialize_imported(args, contiguous_ranges(report.days, avoid=avoid), translator) or failed


def _materialize_imported(args: argparse.Namespace, ranges, translator: dict) -> int:
    from hf_daily.runner import materialize

    # Days between imported ones (weekends) are read from an empty folder: they stay empty
    # rather than being fetched from the network behind the user's back.
    with tempfile.TemporaryDirectory(prefix="hf-daily-import-") as nothing:
        for start, end in ranges:
            print(f"materializing {start} .. {end} in one run ...", flush=True)
            results = materialize(start, end, data_dir=args.data_dir, archive_dir=nothing,
                                  translator=translator or None, raise_on_error=False)
            if not _report_failures(results):
                return 1
    print(f"done: issues in {DataLayout(args.data_dir).issues}")
    return 0


def _report_failures(results) -> bool:
    ok = True
    for result in results:
        if result.success:
            continue
        ok = False
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                print(f"error in {event.step_key}: {_root_cause(event.step_failure_data.error)}", file=sys.stderr)
    return ok


# --- read-only queries ---------------------------------------------------------------------------

def _cell(value, for_json: bool = False):
    if value is None:
        return None if for_json else ""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if for_json else str(value)
    if isinstance(value, (list, tuple)):
        return [_cell(v, True) for v in value] if for_json else ", ".join(str(_cell(v)) for v in value)
    if isinstance(value, dict):
        return {k: _cell(v, True) for k, v in value.items()} if for_json else json.dumps(value, default=str)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str, max_width: int) -> str:
    if not max_width or _width(text) <= max_width:
        return text
    out, used = [], 0
    for c in text:
        w = _width(c)
        if used + w > max_width - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def format_table(columns: list[str], rows: list, max_width: int = 60) -> str:
    """An aligned text table; numbers right-aligned, long cells clipped to ``max_width`` columns (0: never)."""
    cells = [[_clip(str(_cell(v)), max_width) for v in row] for row in rows]
    numeric = [all(isinstance(row[i], (int, float, decimal.Decimal)) and not isinstance(row[i], bool)
                   for row in rows if row[i] is not None) and any(row[i] is not None for row in rows)
               for i in range(len(columns))]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values):
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - _width(v))
            parts.append(pad + v if numeric[i] else v + pad)
        return "  ".join(parts).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def write_result(columns: list[str], rows: list, fmt: str, out=None, max_width: int = 60) -> None:
    out = out or sys.stdout
    if fmt == "json":
        records = [{c: _cell(v, True) for c, v in zip(columns, row)} for row in rows]
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in row] for row in rows])
    else:
        out.write(format_table(columns, rows, max_width=max_width) + "\n")


def _query(args: argparse.Namespace, sql: str) -> int:
    path = DataLayout(args.data_dir).warehouse
    try:
        with Warehouse(path, lock_timeout=args.wait).connect(read_only=True) as con:
            ensure_views(con, read_only=True)
            try:
                cursor = con.execute(sql)
            except duckdb.Error as exc:
                print(f"hf-daily: the query failed: {exc}\n{_query_hint(exc)}", file=sys.stderr)
                return 1
            if cursor.description is None:
                return 0
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except WarehouseLockedError as exc:
        print(
            f"hf-daily: the warehouse {path} is being written by another process (a materialization run, "
            f"from `hf-daily materialize`, `hf-daily import` or the Dagster UI), and DuckDB lets no one read "
            f"while it writes. Waited {args.wait:.0f} s.\n"
            "What to do: run the command again when the run has finished, or wait longer with "
            "--wait SECONDS (e.g. --wait 600); close any DuckDB shell or notebook that has the file open "
            f"for writing.\n(DuckDB said: {exc.__cause__ or exc})",
            file=sys.stderr,
        )
        return 3
    except WarehouseError as exc:
        print(f"hf-daily: {exc}", file=sys.stderr)
        return 2
    write_result(columns, rows, args.format, max_width=getattr(args, "max_width", 60))
    return 0


def _query_hint(exc) -> str:
    text = str(exc)
    if "read-only" in text:
        return ("hf-daily sql opens the warehouse read-only so that it never competes with a run; change data "
                "by materializing (hf-daily materialize), or open a copy of the file with duckdb yourself.")
    if "does not exist" in text or "not found" in text.lower():
        return ("List the tables and views with: hf-daily sql \"SELECT table_name, table_type FROM "
                "information_schema.tables ORDER BY 1\"; the named reports with: hf-daily report")
    return "Check the SQL (DuckDB dialect); the named reports are listed by: hf-daily report"


def _sql(args: argparse.Namespace) -> int:
    sql = sys.stdin.read() if args.query == "-" else args.query
    if not sql.strip():
        print("hf-daily sql: the query is empty; pass it as an argument, or '-' to read it from stdin",
              file=sys.stderr)
        return 2
    return _query(args, sql)


def _report(args: argparse.Namespace) -> int:
    if not args.name:
        width = max(map(len, REPORTS))
        print("Reports (run one with: hf-daily report NAME [--format csv|json]):\n")
        for name, (description, _) in REPORTS.items():
            print(f"  {name:<{width}}  {description}")
        return 0
    if args.name not in REPORTS:
        print(f"hf-daily report: no report named {args.name!r}; choose one of: {', '.join(REPORTS)}",
              file=sys.stderr)
        return 2
    return _query(args, REPORTS[args.name][1])


def _subscribers(args: argparse.Namespace) -> int:
    warehouse = Warehouse(DataLayout(args.data_dir).warehouse, lock_timeout=args.wait)
    try:
        if args.action == "add":
            reader = subs.make_subscriber(args.email, args.name, include_fields=args.include_field,
                                          exclude_fields=args.exclude_field, include_keywords=args.include_keyword,
                                          exclude_keywords=args.exclude_keyword)
            known = [f.name for f in FIELDS]
            unknown = [f for f in reader.include_fields + reader.exclude_fields if f not in known]
            if unknown:
                print(f"hf-daily subscribers: no field named {'、'.join(unknown)}; the fields are: {'、'.join(known)}",
                      file=sys.stderr)
                return 2
            new = subs.add_subscriber(warehouse, reader)
            print(f"{'added' if new else 'updated'} {reader.email}")
        elif args.action == "remove":
            found = subs.remove_subscriber(warehouse, args.email, forget=args.forget)
            if not found:
                print(f"hf-daily subscribers: no subscriber {args.email}", file=sys.stderr)
                return 1
            print(f"{'forgot' if args.forget else 'removed'} {subs.normalize_email(args.email)}")
        elif args.action == "resend":
            was = subs.release_send(warehouse, dt.date.fromisoformat(args.day), args.email)
            if was is None:
                print(f"hf-daily subscribers: nothing recorded for {args.email} on {args.day}", file=sys.stderr)
                return 1
            print(f"{args.email} on {args.day}: was {was}; the next mail run sends it")
        else:
            readers = subs.list_subscribers(warehouse, active_only=not args.all)
            rows = [[r.email, r.name, ", ".join(r.include_fields), ", ".join(r.exclude_fields),
                     ", ".join(r.include_keywords), ", ".join(r.exclude_keywords), r.active, r.added_at]
                    for r in readers]
            write_result(["email", "name", "include_fields", "exclude_fields", "include_keywords",
                          "exclude_keywords", "active", "added_at"], rows, args.format, max_width=40)
    except subs.SubscriberError as exc:
        print(f"hf-daily subscribers: {exc}", file=sys.stderr)
        return 2
    except WarehouseError as exc:
        print(f"hf-daily subscribers: {exc}", file=sys.stderr)
        return 3
    return 0


def _ui(args: argparse.Namespace) -> int:
    from hf_daily.runner import dagster_home

    env = dict(os.environ, DAGSTER_HOME=str(dagster_home(args.data_dir)), HF_DAILY_DATA_DIR=args.data_dir)
    # 127.0.0.1 by default: the UI can launch runs, so it must not be reachable from the network.
    command = [sys.executable, "-m", "dagster", "dev", "-m", "hf_daily.definitions", "-h", args.host, "-p", str(args.port)]
    process = subprocess.Popen(command, env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # dagster dev got the same Ctrl-C and is shutting its services down: wait for it to finish.
            continue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hf-daily", description=__doc__)
    data_dir = os.environ.get("HF_DAILY_DATA_DIR", DEFAULT_DATA_DIR)
    sub = parser.add_subparsers(dest="command", required=True)

    m = sub.add_parser("materialize", help="materialize a day, or a range of days, into the warehouse")
    m.add_argument("start", help="day, YYYY-MM-DD")
    m.add_argument("end", nargs="?", help="last day of a range, YYYY-MM-DD")
    m.add_argument("--archive", help="read YYYY-MM-DD.json files from this folder instead of the API")
    m.add_argument("--data-dir", default=data_dir)
    m.add_argument("--refresh", action="store_true", help="fetch again days that are already stored")
    m.add_argument("--per-day", action="store_true", help="one run per day instead of one run for the range")
    _add_translator_arguments(m)
    m.set_defaults(func=_materialize)

    w = sub.add_parser("weekly", help="make the weekly digests of the weeks holding a day or a range of days "
                                      "(materialize the days first)")
    w.add_argument("start", help="a day of the first week, YYYY-MM-DD")
    w.add_argument("end", nargs="?", help="a day of the last week, YYYY-MM-DD")
    w.add_argument("--archive", help="cross-check the weeks against YYYY-Www.json files in this folder, if any, "
                                     "instead of the API")
    w.add_argument("--data-dir", default=data_dir)
    w.set_defaults(func=_weekly)


    def read_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=["table", "csv", "json"], default="table")
        p.add_argument("--data-dir", default=data_dir, help="folder holding warehouse.duckdb")
        p.add_argument("--wait", type=float, default=READ_WAIT_S, metavar="SECONDS",
                       help=f"how long to wait while a run holds the write lock (default {READ_WAIT_S:.0f})")
        p.add_argument("--max-width", type=int, default=60, metavar="COLUMNS",
                       help="clip table cells to this width (0: never)")

    r = sub.add_parser("report", help="print a named report from the warehouse (list them without NAME)")
    r.add_argument("name", nargs="?", help="report name; omit to list the reports")
    read_options(r)
    r.set_defaults(func=_report)

    q = sub.add_parser("sql", help="run a SQL query against the warehouse, read-only")
    q.add_argument("query", help="the SQL (DuckDB dialect), or '-' to read it from stdin")
    read_options(q)
    q.set_defaults(func=_sql)

    i = sub.add_parser("import", help="import a folder of daily JSON files (an existing archive) and materialize it")
    i.add_argument("folder", help="folder of YYYY-MM-DD.json files")
    i.add_argument("--data-dir", default=data_dir)
    i.add_argument("--raw-only", action="store_true", help="only store the responses; materialize later")
    _add_translator_arguments(i)
    i.set_defaults(func=_import)

    t = sub.add_parser("translate", help="translate a JSON-lines file of papers {id, title, abstract}")
    add_translate_arguments(t)
    t.set_defaults(func=main_translate)

    s = sub.add_parser("subscribers", help="manage who gets the newsletter by mail (see the README's Mail section)")
    s_sub = s.add_subparsers(dest="action", required=True)
    s_add = s_sub.add_parser("add", help="add a subscriber, or replace an existing one's name and filters")
    s_add.add_argument("email")
    s_add.add_argument("--name", help="shown in the To header")
    for flag, what in (("include-field", "only papers in this field (repeat, or comma-separate)"),
                       ("exclude-field", "never papers in this field"),
                       ("include-keyword", "only papers with this keyword, English or Chinese"),
                       ("exclude-keyword", "never papers with this keyword")):
        s_add.add_argument(f"--{flag}", action="append", default=[], metavar="NAME", help=what)
    s_remove = s_sub.add_parser("remove", help="stop mailing a subscriber (their send history is kept)")
    s_remove.add_argument("email")
    s_remove.add_argument("--forget", action="store_true", help="delete the subscriber and their send history")
    s_list = s_sub.add_parser("list", help="list the subscribers")
    s_list.add_argument("--all", action="store_true", help="the removed ones too")
    s_list.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s_resend = s_sub.add_parser("resend", help="let the next mail run send a day's mail to a subscriber again")
    s_resend.add_argument("email")
    s_resend.add_argument("day", help="YYYY-MM-DD")
    for p in (s_add, s_remove, s_list, s_resend):
        p.add_argument("--data-dir", default=data_dir)
        p.add_argument("--wait", type=float, default=READ_WAIT_S, metavar="SECONDS",
                       help="how long to wait while a run holds the warehouse")
    s.set_defaults(func=_subscribers)

    u = sub.add_parser("ui", help="open the Dagster UI (dagster dev) on this project")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=3000)
    u.add_argument("--data-dir", default=data_dir)
    u.set_defaults(func=_ui)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        parser.error(str(exc))
    return 2


if __name__ == "__main__":
    sys.exit(main())
