"""The site in a real browser: Debian's Chromium, headless, driven by Playwright over a loopback server
(see hf_daily_tests.browser for how Chromium is found and given a Chinese font)."""

import datetime as dt
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from hf_daily.channels import site, speech
from hf_daily.steps.issue import Issue, IssuePaper
from hf_daily_tests.browser import launch_chromium, missing_reason

if missing_reason():
    pytest.skip(missing_reason(), allow_module_level=True)

DAY = dt.date(2025, 12, 26)
EVIL_TITLE = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'
PAPERS = [
    IssuePaper("2512.21218", "Latent Implicit Visual Reasoning", "潜在隐式视觉推理：让多模态大模型在潜空间中思考",
               "我们提出了 LIVR，一种在潜在空间中进行隐式视觉推理的方法，无需显式的中间图像或文字描述，"
               "在三个基准上平均提升 3.5%。", "https://huggingface.co/papers/2512.21218",
               "https://arxiv.org/abs/2512.21218", "https://github.com/example/livr", None, 42, "UC Berkeley",
               ["Ada Lovelace", "Alan Turing"]),
    IssuePaper("2512.00002", EVIL_TITLE, '<svg onload="window.__pwned=3">恶意标题</svg>',
               '摘要 <iframe src="javascript:window.__pwned=4"></iframe><img src=x onerror=alert(2)>',
               "javascript:window.__pwned=5", None, None, "https://example.org/p?a=1&b=<2>", 7,
               '<b onmouseover="alert(3)">Org</b>', ["<script>alert(4)</script>"]),
    IssuePaper("2512.00003", "A Very Long Title About Scaling Laws for Mixture-of-Experts Models " * 2,
               "混合专家模型的扩展规律：基于一百亿词元的训练与分析" * 2, "本文系统研究了混合专家模型的扩展规律。" * 6,
               "https://huggingface.co/papers/2512.00003", upvotes=3),
]


def chart(path: Path, text: str, size=(1000, 500)) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, size[0] - 40, size[1] - 40), outline=(31, 58, 147), width=8)
    draw.text((80, 80), text, fill=(228, 87, 46))
    image.save(path)
    return path.name


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("data")
    charts = data / "charts" / DAY.isoformat()
    chart(charts / "wordcloud.png", "word cloud")
    chart(charts / "trend.png", "trend")
    briefing = speech.write_briefing("大家好，今天共有三篇论文。\n感谢收听。\n", data / "audio" / f"{DAY}.mp3")
    (data / "audio" / f"{DAY}.txt").write_text("大家好。", encoding="utf-8")
    issue = Issue(DAY, PAPERS, [("多模态", 2), ("<i>智能体</i>", 1)],
                  word_cloud=f"../charts/{DAY}/wordcloud.png", trend_chart=f"../charts/{DAY}/trend.png")
    pages = data / "site"
    pages.mkdir()
    (pages / f"{DAY}.html").write_text(site.render_issue_page(
        issue, audio=f"../audio/{DAY}.mp3", transcript=f"../audio/{DAY}.txt"), encoding="utf-8")
    summaries = [site.IssueSummary(DAY, 3, ["多模态"], [p.title_zh for p in PAPERS], briefing.bytes),
                 site.IssueSummary(DAY - dt.timedelta(days=1), 1, [], ["昨天的论文"])]
    (pages / "index.html").write_text(site.render_index(summaries), encoding="utf-8")
    (pages / "feed.xml").write_text(site.render_feed(summaries), encoding="utf-8")
    (data / "briefing_seconds").write_text(str(briefing.seconds))
    return data


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url(data_dir):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(data_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as browser:
        yield browser


class Watched:
    """A page with everything that should never happen recorded: dialogs, script errors, failed loads."""

    def __init__(self, browser, width: int):
        self.context = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 900})
        self.page = self.context.new_page()
        self.dialogs, self.errors, self.failed = [], [], []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(f"{m.text} {m.location.get('url')}")
                     if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}")
                     if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)

    def close(self):
        self.context.close()


def non_blank(path: Path) -> int:
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours or [])


@pytest.mark.parametrize("width", [390, 1280])
def test_the_issue_page_in_chromium(browser, base_url, data_dir, tmp_path, width):
    watched = Watched(browser, width)
    page = watched.page
    try:
        page.goto(f"{base_url}/site/{DAY}.html", wait_until="load")
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=10_000)
        images = page.evaluate("[...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])")
        assert [src for src, _ in images] == [f"../charts/{DAY}/wordcloud.png", f"../charts/{DAY}/trend.png"]
        assert all(w == 1000 for _, w in images), images

        text = page.inner_text("body")
        for paper in PAPERS:
            assert " ".join(paper.title_zh.split()) in " ".join(text.split())
        assert EVIL_TITLE in text and "今日共 3 篇论文" in text

        # Nothing from the data ran or became markup.
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate("document.scripts.length") == 0
        planted = "iframe, svg, b, [onerror], [onload], [onmouseover]"
        assert page.evaluate(f"document.querySelectorAll('{planted}').length") == 0
        assert page.evaluate("[...document.links].map(a => a.protocol)").count("javascript:") == 0
        assert watched.dialogs == []

        # Readable on a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        # The audio player has the MP3 and knows how long it is.
        page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=10_000)
        seconds = float((data_dir / "briefing_seconds").read_text())
        assert abs(page.evaluate("document.querySelector('audio').duration") - seconds) < 0.5

        shot = tmp_path / f"issue-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        with Image.open(shot) as image:
            assert image.width == width and image.height > 1000
        assert non_blank(shot) > 100, "the screenshot is (nearly) blank"
        if os.environ.get("HF_DAILY_SCREENSHOTS"):  # keep them to look at: HF_DAILY_SCREENSHOTS=/some/folder
            shutil.copy(shot, Path(os.environ["HF_DAILY_SCREENSHOTS"]) / shot.name)

        assert watched.errors == [] and watched.failed == []
    finally:
        watched.close()


def test_the_index_links_to_the_issues(browser, base_url):
    watched = Watched(browser, 390)
    page = watched.page
    try:
        page.goto(f"{base_url}/site/index.html", wait_until="load")
        links = page.eval_on_selector_all("ol.issues a", "as => as.map(a => a.getAttribute('href'))")
        assert links == [f"{DAY}.html", f"{DAY - dt.timedelta(days=1)}.html"]
        page.click(f"text={DAY.year} 年 {DAY.month} 月 {DAY.day} 日")
        page.wait_for_url(f"**/site/{DAY}.html")
        assert "潜在隐式视觉推理" in page.inner_text("body")
        assert page.evaluate("window.__pwned") is None and watched.dialogs == []
        assert watched.errors == [] and watched.failed == []
    finally:
        watched.close()


def test_the_page_opened_from_disk_shows_its_images(browser, data_dir):
    watched = Watched(browser, 1280)
    page = watched.page
    try:
        page.goto((data_dir / "site" / f"{DAY}.html").as_uri(), wait_until="load")
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=10_000)
        assert page.evaluate("[...document.images].every(i => i.naturalWidth > 0)")
        assert page.evaluate("window.__pwned") is None and watched.dialogs == []
    finally:
        watched.close()
