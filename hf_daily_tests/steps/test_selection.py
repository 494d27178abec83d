"""The topic filters that the mail's subscribers and the site's keyword-filter feeds share."""

import datetime as dt

from hf_daily.steps.selection import PaperTopics, TopicFilter, keyword_pattern, read_topics, word_problem
from hf_daily_tests.factories import MAIL_DAY, issue_paper, mail_warehouse

TOPICS = {
    "reagents": PaperTopics(frozenset({"数据与评测"}), ("reagents", "试剂")),
    "agents": PaperTopics(frozenset({"智能体"}), ("llm agents",)),
    "agentic": PaperTopics(frozenset({"智能体", "大语言模型"}), ("agentic search",)),
    "robots": PaperTopics(frozenset({"智能体", "机器人"}), ("robot manipulation", "multi-agent rl", "多智能体")),
    "bare": PaperTopics(),
}
PAPERS = [issue_paper(n, paper_id=pid) for n, pid in enumerate(TOPICS, 1)]


def chosen(**lists) -> list[str]:
    return [p.paper_id for p in TopicFilter(**{k: tuple(v) for k, v in lists.items()}).select(PAPERS, TOPICS)]


def test_a_keyword_matches_a_whole_word_in_any_case():
    assert chosen(include_keywords=["agents"]) == ["agents"]  # not "reagents"
    assert chosen(include_keywords=["Agent"]) == ["robots"]  # "multi-agent": the hyphen ends a word
    assert chosen(include_keywords=["LLM Agents"]) == ["agents"]


def test_a_trailing_star_matches_words_that_begin_so():
    assert chosen(include_keywords=["agent*"]) == ["agents", "agentic", "robots"]  # still not "reagents"
    assert chosen(include_keywords=["AGENTIC*"]) == ["agentic"]
    assert chosen(include_keywords=["robo*"]) == ["robots"]
    assert chosen(include_keywords=["*"]) == []  # a lone star is the character, not everything
    assert keyword_pattern("agent*").search("agentic") and not keyword_pattern("agent*").search("reagent")
    assert keyword_pattern("a*b").search("a*b") and not keyword_pattern("a*b").search("ab")


def test_chinese_keywords_match_inside_words():
    assert chosen(include_keywords=["智能体"]) == ["robots"]  # 多智能体
    assert chosen(include_keywords=["试剂"]) == ["reagents"]


def test_fields_match_exactly():
    assert chosen(include_fields=["智能体"]) == ["agents", "agentic", "robots"]
    assert chosen(include_fields=["智能"]) == []
    assert chosen(include_fields=["大语言模型", "机器人"]) == ["agentic", "robots"]


def test_any_include_and_no_exclude():
    assert chosen() == list(TOPICS)
    assert chosen(exclude_keywords=["agents"]) == ["reagents", "agentic", "robots", "bare"]
    assert chosen(include_keywords=["agent*"], exclude_fields=["机器人"]) == ["agents", "agentic"]
    assert chosen(include_fields=["智能体"], include_keywords=["reagents"], exclude_keywords=["robot*", "search"]) == [
        "reagents", "agents"]
    assert TopicFilter().wants_all and TopicFilter(exclude_fields=("x",)).wants_all
    assert not TopicFilter(include_keywords=("x",)).wants_all


def test_words_that_cannot_be_used_are_named():
    assert word_problem("agent*") is None and word_problem("智能体") is None and word_problem("c++") is None
    assert "matches everything" in word_problem("*")
    assert "may only end a word" in word_problem("a*b")
    assert "may only end a word" in word_problem("agent**")


def test_topics_are_read_for_each_day_in_both_languages(tmp_path):
    other = dt.date(2025, 12, 27)
    warehouse = mail_warehouse(tmp_path)
    with warehouse.connect() as con:
        topics = read_topics(con, [MAIL_DAY, other])
    assert topics[other] == {}
    paper = topics[MAIL_DAY]["2512.00002"]
    assert paper.fields == {"智能体"} and sorted(paper.keywords) == ["llm agents", "planning", "智能体"]
