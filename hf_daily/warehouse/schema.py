"""The warehouse's tables, documented once.

The same text becomes DuckDB table and column comments (visible with ``SELECT * FROM duckdb_columns()``)
and Dagster column schemas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    # Per-day tables are replaced a whole day at a time; the others are keyed caches or dimensions.
    per_day: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _table(name, description, primary_key, columns, per_day=True) -> Table:
    return Table(name, description, tuple(Column(*c) for c in columns), tuple(primary_key), per_day)


_DAY = ("day", "DATE NOT NULL", "The day the paper entered Daily Papers (the partition key).")
_PAPER = ("paper_id", "VARCHAR NOT NULL", "Paper id as text, e.g. '2512.21218' (never a number).")

TABLES: dict[str, Table] = {t.name: t for t in [
    _table("raw_responses", "Every Daily Papers response body exactly as received, one row per page of each fetch.",
           ["day", "fetch_id", "page"], [
               _DAY,
               ("fetch_id", "INTEGER NOT NULL", "1 for the day's first fetch, then 2, 3, ... for each refresh."),
               ("page", "INTEGER NOT NULL", "Page number p, from 0."),
               ("url", "VARCHAR NOT NULL", "The URL requested (or file:// URI of an archive file)."),
               ("fetched_at", "TIMESTAMP NOT NULL", "When the response arrived (UTC)."),
               ("status", "INTEGER NOT NULL", "HTTP status."),
               ("body", "VARCHAR NOT NULL", "The response body, verbatim."),
           ], per_day=False),
    _table("papers", "One row per paper per day it was featured, from the day's latest fetch.", ["day", "paper_id"], [
        _DAY, _PAPER,
        ("rank", "INTEGER NOT NULL", "Position in the day's API response, from 1."),
        ("title", "VARCHAR NOT NULL", "English title, hard line breaks joined."),
        ("abstract", "VARCHAR NOT NULL", "English abstract, hard line breaks joined, paragraphs kept."),
        ("hf_url", "VARCHAR NOT NULL", "The paper's Hugging Face page."),
        ("arxiv_url", "VARCHAR", "The arXiv abstract page; NULL when the id is not an arXiv id."),
        ("published_at", "TIMESTAMP", "arXiv publication time (UTC)."),
        ("submitted_on_daily_at", "TIMESTAMP", "When the paper entered Daily Papers (UTC)."),
        ("upvotes", "INTEGER NOT NULL", "Upvotes at the latest fetch."),
        ("num_comments", "INTEGER NOT NULL", "Comments at the latest fetch."),
        ("github_repo", "VARCHAR", "Code repository URL (http/https only)."),
        ("github_stars", "INTEGER", "GitHub stars as reported by Hugging Face."),
        ("project_page", "VARCHAR", "Project page URL (http/https only)."),
        ("ai_summary", "VARCHAR", "Hugging Face's AI-written one-line summary."),
        ("ai_keywords", "VARCHAR[]", "Hugging Face's AI-extracted keywords."),
        ("organization_id", "VARCHAR", "The paper's organization (see organizations)."),
        ("fetched_at", "TIMESTAMP", "The fetch these values come from (UTC)."),
    ]),
    _table("authors", "Paper authors in their published order.", ["day", "paper_id", "position"], [
        _DAY, _PAPER,
        ("position", "INTEGER NOT NULL", "1 for the first author."),
        ("name", "VARCHAR NOT NULL", "Author name as listed."),
        ("hf_username", "VARCHAR", "Hugging Face username when the author claimed the paper."),
    ]),
    _table("organizations", "Organizations that papers are published under, latest details.", ["organization_id"], [
        ("organization_id", "VARCHAR NOT NULL", "Hugging Face organization id."),
        ("name", "VARCHAR", "Short name, e.g. 'Berkeley'."),
        ("fullname", "VARCHAR", "Full name, e.g. 'UC Berkeley'."),
        ("avatar_url", "VARCHAR", "Logo URL."),
    ], per_day=False),
    _table("upvote_snapshots", "Upvotes and comments of each paper at every fetch of its day.",
           ["day", "paper_id", "fetched_at"], [
               _DAY, _PAPER,
               ("fetched_at", "TIMESTAMP NOT NULL", "When the fetch happened (UTC)."),
               ("upvotes", "INTEGER NOT NULL", "Upvotes at that fetch."),
               ("num_comments", "INTEGER NOT NULL", "Comments at that fetch."),
           ]),
    _table("translation_cache", "Every translation made, keyed so that nothing is translated twice.",
           ["paper_id", "field", "source_hash", "model_id"], [
               _PAPER,
               ("field", "VARCHAR NOT NULL", "'title' or 'abstract'."),
               ("source_hash", "VARCHAR NOT NULL", "sha256 of the English source text."),
               ("model_id", "VARCHAR NOT NULL", "The model (and prompt version) that translated it."),
               ("text_zh", "VARCHAR NOT NULL", "The Chinese translation."),
               ("seconds", "DOUBLE", "Time spent translating it."),
               ("translated_at", "TIMESTAMP NOT NULL", "When it was translated (UTC)."),
           ], per_day=False),
    _table("paper_translations", "Each day's papers in Chinese.", ["day", "paper_id"], [
        _DAY, _PAPER,
        ("title_zh", "VARCHAR NOT NULL", "Chinese title."),
        ("abstract_zh", "VARCHAR NOT NULL", "Chinese abstract."),
        ("model_id", "VARCHAR NOT NULL", "The model that translated them."),
    ]),
    _table("paper_keywords", "Keywords of each paper, English and Chinese.", ["day", "paper_id", "lang", "keyword"], [
        _DAY, _PAPER,
        ("lang", "VARCHAR NOT NULL", "'en' or 'zh'."),
        ("keyword", "VARCHAR NOT NULL", "The keyword."),
        ("source", "VARCHAR NOT NULL", "'hf' (Hugging Face ai_keywords), 'extracted' (our English extraction) or 'jieba'."),
        ("rank", "INTEGER NOT NULL", "Order of importance within the paper, from 1."),
    ]),
    _table("daily_keyword_counts", "How many of the day's papers carry each keyword.", ["day", "lang", "keyword"], [
        _DAY,
        ("lang", "VARCHAR NOT NULL", "'en' or 'zh'."),
        ("keyword", "VARCHAR NOT NULL", "The keyword."),
        ("papers", "INTEGER NOT NULL", "Number of the day's papers with it."),
    ]),
    _table("paper_fields", "The research fields (hot-field taxonomy) each paper belongs to.", ["day", "paper_id", "field"], [
        _DAY, _PAPER,
        ("field", "VARCHAR NOT NULL", "Field name in Chinese, e.g. 多模态."),
    ]),
    _table("hot_fields", "The day's leading research fields.", ["day", "field"], [
        _DAY,
        ("rank", "INTEGER NOT NULL", "1 for the field with most papers."),
        ("field", "VARCHAR NOT NULL", "Field name in Chinese."),
        ("papers", "INTEGER NOT NULL", "Number of the day's papers in the field."),
    ]),
    _table("newsletter_issues", "Each day's rendered Markdown issue.", ["day"], [
        _DAY,
        ("paper_count", "INTEGER NOT NULL", "Papers in the issue."),
        ("hot_fields", "VARCHAR[] NOT NULL", "The hot fields named in the header."),
        ("path", "VARCHAR NOT NULL", "Where the Markdown file was written."),
        ("markdown", "VARCHAR NOT NULL", "The issue's Markdown."),
    ]),
    _table("weekly_digests", "Each week's digest: its top papers by their latest upvotes, hot fields and keywords.",
           ["week"], [
               ("week", "DATE NOT NULL", "The week's Monday (the weekly partition key); weeks run Monday to Sunday."),
               ("iso_week", "VARCHAR NOT NULL", "The ISO week, e.g. '2025-W52': the digest's file names."),
               ("days", "INTEGER NOT NULL", "Days of the week fetched into the warehouse."),
               ("paper_count", "INTEGER NOT NULL", "Distinct papers featured that week."),
               ("top_papers", "VARCHAR[] NOT NULL", "Paper ids of the digest, by latest upvotes, highest first."),
               ("hot_fields", "VARCHAR[] NOT NULL", "The week's leading fields."),
               ("keywords", "VARCHAR[] NOT NULL", "The week's leading Chinese keywords."),
               ("upvotes_as_of", "TIMESTAMP", "The newest upvote snapshot the ranking read (UTC)."),
               ("settled", "BOOLEAN NOT NULL",
                "Whether every fetched day of the week was fetched again 7 or more days later (day+7 refresh)."),
               ("path", "VARCHAR NOT NULL", "Where the Markdown file was written."),
               ("markdown", "VARCHAR NOT NULL", "The digest's Markdown."),
           ], per_day=False),
    _table("subscribers", "The mail channel's readers (hf-daily subscribers add|remove|list), each with optional filters.",
           ["email"], [
               ("email", "VARCHAR NOT NULL", "The reader's address, lower-cased: the subscriber's key."),
               ("name", "VARCHAR", "How the mail greets and addresses them (the To header's display name)."),
               ("include_fields", "VARCHAR[] NOT NULL", "Fields (paper_fields) to receive; empty: every field."),
               ("exclude_fields", "VARCHAR[] NOT NULL", "Fields never to receive, even when included otherwise."),
               ("include_keywords", "VARCHAR[] NOT NULL",
                "Keywords (paper_keywords, English or Chinese, any case) to receive; empty: every keyword."),
               ("exclude_keywords", "VARCHAR[] NOT NULL", "Keywords never to receive."),
               ("active", "BOOLEAN NOT NULL", "False once removed: no more mail, the send history kept."),
               ("added_at", "TIMESTAMP NOT NULL", "When first added (UTC)."),
               ("updated_at", "TIMESTAMP NOT NULL", "When last added, changed or removed (UTC)."),
           ], per_day=False),
    _table("mail_sends", "Each day's mail to each subscriber: claimed before sending, so no day is sent twice.",
           ["day", "email"], [
               _DAY,
               ("email", "VARCHAR NOT NULL", "The subscriber (see subscribers)."),
               ("message_id", "VARCHAR", "The mail's Message-ID header, kept from the first attempt on; NULL when skipped."),
               ("status", "VARCHAR NOT NULL",
                "'sending' (claimed, the server's answer not yet recorded), 'sent', 'failed' (retried next run) "
                "or 'skipped' (the filters left no paper that day)."),
               ("papers", "INTEGER NOT NULL", "Papers in this subscriber's mail."),
               ("error", "VARCHAR", "Why the last attempt failed (the server's answer), else NULL."),
               ("attempts", "INTEGER NOT NULL", "Attempts to send so far."),
               ("sent_at", "TIMESTAMP", "When the server accepted the mail (UTC)."),
               ("updated_at", "TIMESTAMP NOT NULL", "When the status last changed (UTC)."),
           ], per_day=False),
]}


def _escape_sql_string(text: str) -> str:
    return text.replace("'", "''")


def schema_ddl() -> list[str]:
    statements = []
    for table in TABLES.values():
        columns = ",\n  ".join(f"{c.name} {c.type}" for c in table.columns)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {columns},\n  PRIMARY KEY ({', '.join(table.primary_key)})\n)"
        )
        statements.append(f"COMMENT ON TABLE {table.name} IS '{_escape_sql_string(table.description)}'")
        statements.extend(
            f"COMMENT ON COLUMN {table.name}.{c.name} IS '{_escape_sql_string(c.description)}'" for c in table.columns
        )
    return statements
