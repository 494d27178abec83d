"""Test data shared by the test modules (through conftest fixtures, or imported: this is not a test module)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from hf_daily import warehouse as wh
from hf_daily.runner import materialize
from hf_daily.steps.issue import Issue, IssuePaper
from hf_daily.warehouse import views

# ../shared beside the checkout: the real Daily Papers archive and the translation references.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_API = SHARED / "hf_daily_api"


# --- archive folders -----------------------------------------------------------------------------

def archive_paper(i: int, **extra) -> dict:
    return {"paper": {"id": f"2512.{i:05d}", "title": f"Paper {i}", "upvotes": i, "hidden": False,
                      "githubRepo": None, "authors": [{"name": "Ada O'Brien"}], **extra}, "numComments": 0}


def write_json(folder: Path, name: str, data) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=4),
                    encoding="utf-8")
    return path


ARCHIVE_PAPERS = [archive_paper(1), archive_paper(2, summary="Line one\nline two", ai_keywords=["LLM", "agents"])]


def folder_of_every_shape(folder: Path) -> Path:
    """Files of each shape for 22..26 December 2025: 25's is broken and rejected whole, 26's holds a full page."""
    write_json(folder, "2025-12-22.json", ARCHIVE_PAPERS)
    write_json(folder, "2025-12-23.json", [str(p) for p in [archive_paper(3), archive_paper(4)]])
    write_json(folder, "2025-12-24.json", {"status": "success", "date": "2025-12-24", "count": 1, "data": [str(archive_paper(5))]})
    write_json(folder, "2025-12-25.json", [json.dumps(archive_paper(6)), "{'paper': broken"])  # rejected whole
    write_json(folder, "2025-12-26.json", [archive_paper(i) for i in range(100, 150)])
    write_json(folder, "README.txt", "not an archive file")
    return folder


def write_archive(folder: Path, day: dt.date, papers: list[dict]) -> Path:
    """The day's file of an archive folder, in the API's own shape."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{day.isoformat()}.json").write_text(json.dumps(papers))
    return folder


def api_item(paper_id, title, upvotes=1):
    """One item of the API's response."""
    return {"paper": {"id": paper_id, "title": title, "upvotes": upvotes,
                      "summary": f"We study {title.lower()} with large language models.",
                      "authors": [{"name": "Ada <b>Lovelace</b>"}],
                      "submittedOnDailyAt": "2025-12-24T01:00:00.000Z"}, "numComments": 0}



# --- issues --------------------------------------------------------------------------------------

ISSUE_DAY = dt.date(2025, 12, 26)


def issue_paper(n: int = 1, **fields) -> IssuePaper:
    """The issue's n-th paper, translated, with its links, upvotes, organization and authors; ``fields`` replace any."""
    defaults = dict(paper_id=f"2512.{n:05d}", title=f"Paper number {n}", title_zh=f"第{n}篇论文的中文标题",
                    abstract_zh=f"这是第{n}篇论文的摘要。", hf_url=f"https://huggingface.co/papers/2512.{n:05d}",
                    arxiv_url=f"https://arxiv.org/abs/2512.{n:05d}", upvotes=n, organization="UC Berkeley",
                    authors=["Ada Lovelace", "Alan Turing"])
    return IssuePaper(**(defaults | fields))


def make_issue(*papers: IssuePaper, **fields) -> Issue:
    """A day's issue (two papers unless given), with hot fields and chart links; ``fields`` replace any."""
    defaults = dict(day=ISSUE_DAY, papers=list(papers) or [issue_paper(1), issue_paper(2)],
                    hot_fields=[("多模态", 2), ("智能体", 1)],
                    word_cloud="../charts/2025-12-26/wordcloud.png", trend_chart="../charts/2025-12-26/trend.png")
    return Issue(**(defaults | fields))


# --- warehouses ----------------------------------------------------------------------------------

D = dt.date.fromisoformat
# The Mondays of the analytics warehouse's five weeks.
W48, W49, W50, W51, W52 = (D("2025-11-24"), D("2025-12-01"), D("2025-12-08"), D("2025-12-15"), D("2025-12-22"))

# (day, paper, rank, org, repo, upvotes, [en keywords], [fields])
ANALYTICS_PAPERS = [
    ("2025-11-24", "A", 1, "o1", "https://github.com/a/a", 3, ["agents", "robots"], ["多模态"]),
    ("2025-12-01", "B", 1, "o1", None, 5, ["agents", "robots"], []),
    ("2025-12-08", "C", 1, "o2", "https://github.com/c/c", 7, ["agents"], []),
    ("2025-12-15", "D", 1, None, None, 0, ["agents"], []),
    ("2025-12-22", "E", 1, "o2", None, 20, ["Diffusion"], ["多模态"]),
    ("2025-12-22", "F", 2, "o1", None, 120, ["agents", "robots"], ["智能体"]),
    ("2025-12-23", "E", 1, "o2", "https://github.com/e/e", 25, ["diffusion", "agents"], ["多模态"]),
    ("2025-12-23", "G", 2, "o2", None, 50, ["agents"], ["多模态", "智能体"]),
]
# A was fetched again a week later: its latest snapshot is the later one.
EXTRA_SNAPSHOTS = [("2025-11-24", "A", dt.datetime(2025, 12, 1, 8), 10)]
HOT = [("2025-12-22", 1, "多模态", 1), ("2025-12-22", 2, "智能体", 1), ("2025-12-23", 1, "多模态", 2)]


def analytics_warehouse(path) -> wh.Warehouse:
    """A small handwritten warehouse whose views' answers can be worked out by hand.

    Five weeks, Monday 2025-11-24 (W48) to 2025-12-22 (W52), one paper a week and then four in W52:
    
        day         paper  org  code  upvotes (latest)  en keywords
        2025-11-24  A      o1   yes   3 -> 10           agents, robots
        2025-12-01  B      o1   no    5                 agents, robots
        2025-12-08  C      o2   yes   7                 agents
        2025-12-15  D      -    no    0                 agents
        2025-12-22  E      o2   no    20                Diffusion
        2025-12-22  F      o1   no    120               agents, robots
        2025-12-23  E      o2   yes   25 (again)        diffusion, agents
        2025-12-23  G      o2   no    50                agents
        2025-12-27  (fetched, no papers)
    """
    warehouse = wh.Warehouse(path)
    with warehouse.connect() as con:
        for day in sorted({p[0] for p in ANALYTICS_PAPERS} | {"2025-12-27"}):
            con.execute("INSERT INTO raw_responses VALUES (?, 1, 0, 'file:///x.json', ?, 200, '[]')",
                        [D(day), dt.datetime.fromisoformat(day) + dt.timedelta(hours=8)])
        for day, pid, rank, org, repo, upvotes, keywords, fields in ANALYTICS_PAPERS:
            fetched = dt.datetime.fromisoformat(day) + dt.timedelta(hours=8)
            con.execute(
                "INSERT INTO papers (day, paper_id, rank, title, abstract, hf_url, upvotes, num_comments, "
                "github_repo, organization_id, fetched_at, ai_keywords) VALUES (?, ?, ?, ?, 'abstract', ?, ?, 0, ?, ?, ?, ?)",
                [D(day), pid, rank, f"Paper {pid}", f"https://huggingface.co/papers/{pid}", upvotes, repo, org,
                 fetched, keywords])
            con.execute("INSERT INTO upvote_snapshots VALUES (?, ?, ?, ?, 0)", [D(day), pid, fetched, upvotes])
            for i, keyword in enumerate(keywords, 1):
                con.execute("INSERT INTO paper_keywords VALUES (?, ?, 'en', ?, 'hf', ?)", [D(day), pid, keyword, i])
            for field in fields:
                con.execute("INSERT INTO paper_fields VALUES (?, ?, ?)", [D(day), pid, field])
        con.execute("INSERT INTO paper_keywords VALUES (DATE '2025-12-22', 'F', 'zh', '智能体', 'jieba', 1)")
        for day, pid, at, upvotes in EXTRA_SNAPSHOTS:
            con.execute("INSERT INTO upvote_snapshots VALUES (?, ?, ?, ?, 0)", [D(day), pid, at, upvotes])
        for day, rank, field, n in HOT:
            con.execute("INSERT INTO hot_fields VALUES (?, ?, ?, ?)", [D(day), rank, field, n])
        con.execute("INSERT INTO organizations VALUES ('o1', 'one', 'Org One', NULL), ('o2', 'two', NULL, NULL)")
        views.create_views(con)
    return warehouse


# --- runs ----------------------------------------------------------------------------------------

WAREHOUSE_TABLES = ["papers", "authors", "organizations", "upvote_snapshots", "paper_translations", "translation_cache",
          "paper_keywords", "daily_keyword_counts", "paper_fields", "hot_fields", "newsletter_issues",
          "raw_responses"]


def materialize_days(data_dir, archive, tiny_causal_lm, instance, start, end=None, **kw):
    """The whole graph for a day or a range, from an archive folder, with the tiny model."""
    results = materialize(start, end, data_dir=str(data_dir), archive_dir=str(archive),
                          translator={"backend": "causal", "model": str(tiny_causal_lm), "max_new_tokens": 8},
                          instance=instance, **kw)
    assert all(r.success for r in results)
    return results


def table_snapshot(db: Path) -> dict:
    """Every row of every table, to compare a warehouse before and after."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in WAREHOUSE_TABLES}
    finally:
        con.close()


def metadata(result, key: str, partitions: list[dt.date] | None = None) -> dict:
    """The asset's metadata in a run; a range run records one materialization per day, each with the same metadata."""
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    if partitions is not None:
        assert sorted(e.partition for e in events) == [d.isoformat() for d in partitions]
    assert events, f"{key} was not materialized"
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


# Texts every translator test feeds its model: the glossary's terms, a leading name, numbers, a URL.
TITLES = [
    "Scaling Reinforcement Learning for Multimodal Agents",
    "A Benchmark for Long-Context Reasoning in Large Language Models",
    "Diffusion Models Are Real-Time Game Engines",
    "LoRA: Low-Rank Adaptation of Large Language Models",
    "Fine-tuning Vision-Language Models with 1,000 Examples",
    "Attention Is All You Need",
]
ABSTRACTS = [
    f"We study {topic}. Our method improves accuracy by {n}.5% on three benchmarks, e.g. MMLU. "
    f"Code is available at https://github.com/example/{n}."
    for n, topic in enumerate(
        ["reward models", "agent planning", "video diffusion", "tokenizers", "data mixtures", "distillation"]
    )
]


# --- mail ----------------------------------------------------------------------------------------

MAIL_DAY = dt.date(2025, 12, 26)
# A title that tries everything: markup, an entity, and a line break that would start a new header.
HOSTILE_TITLE = 'Evil <script>alert("x")</script> & Co\r\nBcc: victim@example.org'
HOSTILE_TITLE_ZH = '恶意<script>alert(1)</script>标题 & 换行\nBcc: victim@example.org'
# (paper, upvotes, title, title_zh, fields, en keywords, zh keywords): in the issue's order, by upvotes.
MAIL_PAPERS = [
    ("2512.00001", 30, HOSTILE_TITLE, HOSTILE_TITLE_ZH, ["多模态"], ["diffusion"], ["扩散"]),
    ("2512.00002", 20, "Agents that plan", "会规划的智能体", ["智能体"], ["LLM agents", "planning"], ["智能体"]),
    ("2512.00003", 10, "Speech at scale", "大规模语音", ["语音"], ["speech recognition"], ["语音识别"]),
]


def mail_warehouse(data_dir: Path, day: dt.date = MAIL_DAY, papers=MAIL_PAPERS,
                   hot=(("多模态", 1), ("智能体", 1))) -> wh.Warehouse:
    """A warehouse holding one day of translated papers with fields and keywords (MAIL_PAPERS unless given, in
    their shape), and the day's two charts as small PNGs, for the mail channel. Call it again for another day."""
    from PIL import Image

    warehouse = wh.Warehouse(data_dir / "warehouse.duckdb")
    with warehouse.connect() as con:
        for rank, (pid, upvotes, title, title_zh, fields, en, zh) in enumerate(papers, 1):
            con.execute("INSERT INTO papers (day, paper_id, rank, title, abstract, hf_url, arxiv_url, upvotes, "
                        "num_comments) VALUES (?, ?, ?, ?, 'abstract', ?, ?, ?, 0)",
                        [day, pid, rank, title, f"https://huggingface.co/papers/{pid}", f"https://arxiv.org/abs/{pid}",
                         upvotes])
            con.execute("INSERT INTO paper_translations VALUES (?, ?, ?, ?, 'test')",
                        [day, pid, title_zh, f"{title_zh}的摘要。"])
            con.execute("INSERT INTO authors VALUES (?, ?, 1, 'Ada <b>Lovelace</b>', NULL)", [day, pid])
            for field in fields:
                con.execute("INSERT INTO paper_fields VALUES (?, ?, ?)", [day, pid, field])
            for lang, words in (("en", en), ("zh", zh)):
                for i, word in enumerate(words, 1):
                    con.execute("INSERT INTO paper_keywords VALUES (?, ?, ?, ?, 'hf', ?)", [day, pid, lang, word, i])
        for rank, (field, n) in enumerate(hot, 1):
            con.execute("INSERT INTO hot_fields VALUES (?, ?, ?, ?)", [day, rank, field, n])
    charts = data_dir / "charts" / day.isoformat()
    charts.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (120, 60), (31, 58, 147)).save(charts / "trend.png")
    Image.new("RGB", (100, 50), (228, 87, 46)).save(charts / "wordcloud.png")
    return warehouse
