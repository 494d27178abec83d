from __future__ import annotations

import json
import logging
import threading

import pytest

from hf_daily.steps.keywords import chinese_keywords, extract_english_keywords
from hf_daily_tests.factories import SHARED_API


TITLE = "Sparse Mixture-of-Experts for Efficient Video Generation"
ABSTRACT = (
    "Video diffusion models produce high-quality clips but are expensive to run. We propose SparseMoE-Video, "
    "a sparse mixture-of-experts architecture for video diffusion models that routes each token to a small set "
    "of experts. Expert routing is trained with a load-balancing loss. On standard benchmarks, SparseMoE-Video "
    "matches dense video diffusion models while reducing inference cost by 40%. We further show that expert "
    "routing transfers to text-to-video generation with large language models (LLMs) as text encoders. "
    "Code is available at https://github.com/example/sparsemoe."
)


# --- English ---------------------------------------------------------------


def test_english_keywords_of_a_handwritten_abstract():
    assert extract_english_keywords(TITLE, ABSTRACT) == [
        "video diffusion models",
        "video generation",
        "expert routing",
        "sparse mixture-of-experts",
        "SparseMoE-Video",
        "load-balancing loss",
        "text-to-video generation",
        "text encoders",
    ]


def test_english_keywords_top_n_is_a_prefix_of_the_longer_list():
    assert extract_english_keywords(TITLE, ABSTRACT, top_n=3) == extract_english_keywords(TITLE, ABSTRACT)[:3]
    assert extract_english_keywords(TITLE, ABSTRACT, top_n=0) == []


def test_english_keywords_keep_acronyms_and_lowercase_the_rest():
    keywords = extract_english_keywords(TITLE, ABSTRACT, top_n=12)
    assert "LLMs" in keywords
    assert "large language models" in keywords
    # "Video Generation" in the title is lowercased; no title-case survives.
    assert "Video Generation" not in keywords
    # Every word is lowercase unless its capitals carry meaning (LLMs, SparseMoE-Video).
    assert all(w == w.lower() or sum(c.isupper() for c in w) >= 2 for k in keywords for w in k.split())


def test_english_keywords_drop_stopwords_urls_and_generic_words():
    keywords = extract_english_keywords(TITLE, ABSTRACT, top_n=50)
    words = {w.lower() for k in keywords for w in k.split()}
    assert not words & {"we", "propose", "the", "while", "further", "show", "standard", "available", "code", "40%"}
    assert not any("github" in k or "http" in k for k in keywords)
    assert "model" not in keywords and "models" not in keywords


def test_english_keywords_are_deduplicated_across_case_and_plural():
    keywords = extract_english_keywords(
        "Diffusion Models",
        "A diffusion model. Diffusion models. The Diffusion Model. LLM and LLMs and llms.",
        top_n=20,
    )
    lowered = [k.lower().rstrip("s") for k in keywords]
    assert len(lowered) == len(set(lowered))
    # Singular and plural are one phrase, shown in its most frequent form, ties to the first met.
    assert keywords[0] == "diffusion model"
    assert "diffusion models" not in keywords


def test_english_keywords_are_deterministic_and_handle_empty_input():
    assert extract_english_keywords(TITLE, ABSTRACT) == extract_english_keywords(TITLE, ABSTRACT)
    assert extract_english_keywords("", "") == []
    assert extract_english_keywords("The", "We are the best.") == []
    assert extract_english_keywords("Knocking-Heads Attention", "") == ["knocking-heads attention"]


@pytest.mark.skipif(not SHARED_API.is_dir(), reason=f"the shared Daily Papers responses are not at {SHARED_API}")
def test_every_paper_of_a_real_day_gets_english_keywords():
    items = json.loads((SHARED_API / "2025-12-26.json").read_text(encoding="utf-8"))
    assert items
    for item in items:
        paper = item["paper"]
        keywords = extract_english_keywords(paper["title"], paper["summary"])
        assert keywords, paper["title"]
        assert len(keywords) == len(set(keywords))


# --- Chinese ---------------------------------------------------------------


def test_domain_terms_stay_whole_and_stopwords_go():
    text = "我们提出了一种新的大型多模态模型，用于视觉推理和强化学习。"
    assert chinese_keywords(text) == ["大型多模态模型", "视觉推理", "强化学习"]


def test_more_domain_terms_stay_whole():
    text = "大语言模型、扩散模型、视觉语言模型、思维链、检索增强生成与智能体。"
    assert chinese_keywords(text) == ["大语言模型", "扩散模型", "视觉语言模型", "思维链", "检索增强生成", "智能体"]


def test_english_names_in_chinese_text_are_kept_whole():
    text = "基于GPT-4和Qwen2.5-VL的LLM智能体在2024年的基准上提升了3.5%。"
    keywords = chinese_keywords(text)
    assert {"GPT-4", "Qwen2.5-VL", "LLM", "智能体"} <= set(keywords)
    assert not {"GPT", "4", "2024", "3.5%", "年", "的"} & set(keywords)


def test_chinese_keywords_drop_numbers_punctuation_single_characters_and_lone_model():
    text = "本文研究模型的方法。我们提出 2025 年 的 新 方法 ， 模型 模型 模型！强化学习"
    assert chinese_keywords(text) == ["强化学习"]


def test_chinese_keywords_rank_by_frequency_then_first_occurrence():
    text = "扩散模型。强化学习。强化学习。智能体。"
    assert chinese_keywords(text) == ["强化学习", "扩散模型", "智能体"]
    assert chinese_keywords(text, top_n=1) == ["强化学习"]
    assert chinese_keywords("", top_n=5) == []
    assert chinese_keywords("。，！", top_n=5) == []


def test_chinese_keywords_leave_the_global_jieba_alone_and_quiet():
    import jieba

    chinese_keywords("大型多模态模型")
    assert "大型多模态模型" not in jieba.dt.FREQ
    assert logging.getLogger("jieba").getEffectiveLevel() >= logging.WARNING


def test_chinese_keywords_from_many_threads_agree():
    text = "我们提出了一种新的大型多模态模型，用于视觉推理和强化学习。"
    expected = chinese_keywords(text)
    results: list[list[str]] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(20):
            got = chinese_keywords(text)
            with lock:
                results.append(got)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 160
    assert all(r == expected for r in results)
