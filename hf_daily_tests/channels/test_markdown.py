import datetime as dt

from hf_daily.channels.markdown import escape_markdown, render_issue
from hf_daily.core.display import safe_url
from hf_daily.steps.issue import Issue
from hf_daily_tests.factories import issue_paper

DAY = dt.date(2025, 12, 26)


def paper(**kw):
    """A real paper of 2025-12-26, as the issue lists it."""
    return issue_paper(**dict(paper_id="2512.21218", title="Latent Implicit Visual Reasoning", title_zh="潜在隐式视觉推理",
                              abstract_zh="我们提出一种方法。", hf_url="https://huggingface.co/papers/2512.21218",
                              arxiv_url="https://arxiv.org/abs/2512.21218", upvotes=19, organization=None,
                              authors=()) | kw)


def test_issue_has_header_papers_links_and_images():
    md = render_issue(Issue(DAY, [paper(github_repo="https://github.com/a/b", organization="UC Berkeley",
                                        authors=["A", "B"])],
                            [("多模态", 3), ("计算机视觉", 2)], "../charts/2025-12-26/wordcloud.png",
                            "../charts/2025-12-26/trend.png"))
    assert md.splitlines()[0] == "# Hugging Face 每日论文速递 · 2025-12-26"
    assert "今日共 **1** 篇论文 · 热门领域：多模态（3）、计算机视觉（2）" in md
    assert "## 1. 潜在隐式视觉推理" in md
    assert "**原标题**：Latent Implicit Visual Reasoning" in md
    assert "**摘要**：我们提出一种方法。" in md
    assert ("[HuggingFace](https://huggingface.co/papers/2512.21218) · [arXiv](https://arxiv.org/abs/2512.21218)"
            " · [代码](https://github.com/a/b)") in md
    assert "👍 19 · 机构：UC Berkeley · 作者：A, B" in md
    assert "![2025-12-26 关键词词云](../charts/2025-12-26/wordcloud.png)" in md
    assert "![2025-12-26 近 30 天每日论文数](../charts/2025-12-26/trend.png)" in md


def test_empty_day_says_there_were_no_papers():
    md = render_issue(Issue(DAY, [], []))
    assert "今日共 **0** 篇论文" in md
    assert "今天没有新论文" in md
    assert "## 1." not in md


def test_untrusted_text_cannot_become_markup():
    from markdown_it import MarkdownIt

    evil = '<img src=x onerror=alert(1)> [click](javascript:alert(1)) ![p](http://t/x.png) # **b** `c`\n\n## H'
    md = render_issue(Issue(DAY, [paper(title=evil, title_zh=evil, abstract_zh=evil, organization=evil,
                                        authors=[evil], github_repo="javascript:alert(1)",
                                        project_page="data:text/html,<script>")], [(evil, 1)]))
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img src=x" not in html and "<img src=\"x\"" not in html
    assert 'href="javascript' not in html and "<strong>b</strong>" not in html and "<code>" not in html
    assert html.count("<img") == 0 and html.count("<h2>") == 1  # the paper's own heading only
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "[代码]" not in md and "[项目主页]" not in md
    assert escape_markdown("a\u202eb\u200bc") == "abc"


def test_escape_and_safe_url():
    assert escape_markdown("GPT-4 (o) *x* [y]") == "GPT-4 \\(o\\) \\*x\\* \\[y\\]"
    assert safe_url("https://x.test/a b(c)") == "https://x.test/a%20b%28c%29"
    assert safe_url("ftp://x") is None
    assert safe_url(None) is None
