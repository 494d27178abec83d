"""Keywords and research fields of the days' papers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from hf_daily import warehouse as wh
from hf_daily.steps.fields import classify_paper, hot_fields
from hf_daily.steps.keywords import chinese_keywords, extract_english_keywords


def _papers_with_translations(con, days: Sequence[dt.date]) -> list[dict]:
    cursor = con.execute(
        """SELECT p.day, p.paper_id, p.title, p.abstract, p.ai_keywords, t.title_zh, t.abstract_zh
           FROM papers p LEFT JOIN paper_translations t USING (day, paper_id)
           WHERE p.day IN (SELECT unnest(?)) ORDER BY p.day, p.rank""",
        [list(days)],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _unique(items) -> list[str]:
    seen, out = set(), []
    for item in items:
        key = item.strip()
        if key and key.lower() not in seen:
            seen.add(key.lower())
            out.append(key)
    return out


def keyword_days(warehouse: wh.Warehouse, days: Sequence[dt.date], top_n: int = 8) -> dict[str, int]:
    """Each paper's English keywords (HF's, else our own) and Chinese keywords, and the days' counts."""
    with warehouse.connect() as con:
        papers = _papers_with_translations(con, days)
    rows = []
    for p in papers:
        hf_keywords = list(p["ai_keywords"]) if p["ai_keywords"] is not None else []
        english = _unique(hf_keywords) or _unique(extract_english_keywords(p["title"], p["abstract"], top_n=top_n))
        source = "hf" if _unique(hf_keywords) else "extracted"
        rows += [{"day": p["day"], "paper_id": p["paper_id"], "lang": "en", "keyword": k, "source": source,
                  "rank": i} for i, k in enumerate(english, start=1)]
        zh_text = "。".join(t for t in (p["title_zh"], p["abstract_zh"]) if isinstance(t, str) and t)
        chinese = _unique(chinese_keywords(zh_text, top_n=top_n)) if zh_text else []
        rows += [{"day": p["day"], "paper_id": p["paper_id"], "lang": "zh", "keyword": k, "source": "jieba",
                  "rank": i} for i, k in enumerate(chinese, start=1)]
    keywords = pd.DataFrame(rows, columns=wh.TABLES["paper_keywords"].column_names)
    counts = (keywords.groupby(["day", "lang", "keyword"], as_index=False)["paper_id"].nunique()
              .rename(columns={"paper_id": "papers"}))
    with warehouse.connect() as con:
        wh.replace_days(con, list(days), {"paper_keywords": keywords, "daily_keyword_counts": counts})
    return {"paper_keywords": len(keywords), "daily_keyword_counts": len(counts)}


def field_days(warehouse: wh.Warehouse, days: Sequence[dt.date], top_n: int = 3) -> dict[dt.date, list[tuple[str, int]]]:
    """Classify each paper into the topic taxonomy and rank the days' hot fields."""
    with warehouse.connect() as con:
        papers = _papers_with_translations(con, days)
        keywords = con.execute(
            "SELECT paper_id, day, list(keyword ORDER BY rank) FROM paper_keywords "
            "WHERE day IN (SELECT unnest(?)) AND lang = 'en' GROUP BY paper_id, day", [list(days)]).fetchall()
    keywords_of = {(day, pid): kws for pid, day, kws in keywords}
    field_rows, per_day = [], {day: [] for day in days}
    for p in papers:
        # The Chinese text joins the English as more title and abstract, not as keywords: a keyword
        # counts as strongly as the title, and one passing mention in an abstract should not.
        title = " ".join(t for t in (p["title"], p["title_zh"]) if isinstance(t, str))
        abstract = "\n\n".join(t for t in (p["abstract"], p["abstract_zh"]) if isinstance(t, str))
        fields = classify_paper(title, abstract, list(keywords_of.get((p["day"], p["paper_id"]), [])))
        per_day[p["day"]].append(fields)
        field_rows += [{"day": p["day"], "paper_id": p["paper_id"], "field": f} for f in fields]
    hot = {day: hot_fields(per_day[day], top_n=top_n) for day in days}
    hot_rows = [{"day": day, "rank": rank, "field": name, "papers": n}
                for day in days for rank, (name, n) in enumerate(hot[day], start=1)]
    with warehouse.connect() as con:
        wh.replace_days(con, list(days), {
            "paper_fields": pd.DataFrame(field_rows, columns=wh.TABLES["paper_fields"].column_names),
            "hot_fields": pd.DataFrame(hot_rows, columns=wh.TABLES["hot_fields"].column_names),
        })
    return hot
