from __future__ import annotations

import json

import pytest

from hf_daily.steps.fields import FIELD_NAMES, FIELDS, classify_paper, hot_fields
from hf_daily_tests.factories import SHARED_API


# Measured on the 65 shared days (1,251 papers): 98.0% have a field.
MIN_REAL_COVERAGE = 0.95


def test_taxonomy_starts_with_the_required_fields_in_order():
    assert FIELD_NAMES[:8] == ("大语言模型", "多模态", "计算机视觉", "强化学习", "语音", "智能体", "生成模型", "机器人")
    assert len(FIELD_NAMES) == len(set(FIELD_NAMES)) == len(FIELDS) <= 11


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Scaling Reinforcement Learning for LLM Reasoning", ["大语言模型", "强化学习", "推理"]),
        ("GRPO Done Right: Verifiable Rewards for Math", ["强化学习", "推理"]),
        ("A Diffusion Transformer for Text-to-Image Generation", ["计算机视觉", "生成模型"]),
        ("Vision-Language Models for Chart Question Answering", ["多模态"]),
        ("Whisper-Style Speech Recognition for Low-Resource Languages", ["语音"]),
        ("Embodied Agents for Robotic Manipulation", ["智能体", "机器人"]),
        ("A Benchmark for Multimodal Large Language Models", ["多模态", "数据与评测"]),
        ("Sparse Attention Kernels with a Quantized KV Cache", ["架构与效率"]),
        ("Editing Video Clips", ["计算机视觉", "生成模型"]),  # "clips" is no CLIP
        ("Agentless and Speechless: Diffusionless Clipart", []),  # whole words only
        ("On the History of Typography", []),
    ],
)
def test_classify_handwritten_titles(title, expected):
    assert classify_paper(title, "", []) == expected


def test_one_passing_mention_in_the_abstract_is_not_enough():
    assert classify_paper("A New Method", "We use an LLM to label the data.", []) == []
    assert classify_paper("A New Method", "We use an LLM to label the data. The LLM labels are noisy.", []) == [
        "大语言模型"
    ]


def test_keywords_count_like_the_title():
    assert classify_paper("A New Method", "", ["reinforcement learning", "policy"]) == ["强化学习"]
    assert classify_paper("A New Method", "", ["humanoid"]) == ["机器人"]


def test_benchmarks_in_the_abstract_do_not_make_a_data_paper():
    abstract = "It achieves the best results on five benchmarks. The benchmarks and dataset are public."
    assert classify_paper("A New Method", abstract, []) == []
    assert classify_paper("A New Dataset", abstract, []) == ["数据与评测"]


def test_classify_chinese_text():
    assert classify_paper("面向大语言模型推理的强化学习", "", []) == ["大语言模型", "强化学习", "推理"]
    assert classify_paper("具身智能体的视频扩散模型", "", []) == ["计算机视觉", "智能体", "生成模型", "机器人"]
    # 推理速度 is inference speed, not reasoning.
    assert classify_paper("提升大模型的推理速度", "", []) == ["大语言模型"]


def test_classification_is_case_insensitive_and_in_taxonomy_order():
    assert classify_paper("ROBOT learning with rlhf", "", []) == ["强化学习", "机器人"]
    assert classify_paper("robot learning with RLHF", "", ()) == ["强化学习", "机器人"]


def test_hot_fields_ranks_by_paper_count():
    papers = [["大语言模型", "推理"], ["推理"], ["推理", "多模态"], [], ["大语言模型"]]
    assert hot_fields(papers) == [("推理", 3), ("大语言模型", 2), ("多模态", 1)]
    assert hot_fields(papers, top_n=1) == [("推理", 3)]


def test_hot_fields_breaks_ties_by_taxonomy_order():
    assert hot_fields([["机器人"], ["语音"], ["大语言模型"], ["推理"]], top_n=3) == [
        ("大语言模型", 1),
        ("语音", 1),
        ("机器人", 1),
    ]


def test_hot_fields_omits_absent_fields_and_counts_a_paper_once():
    assert hot_fields([["语音", "语音"]], top_n=3) == [("语音", 1)]
    assert hot_fields([[], []]) == []
    assert hot_fields([]) == []
    assert hot_fields(iter([["智能体"]]), top_n=0) == []


@pytest.mark.skipif(not SHARED_API.is_dir(), reason=f"the shared Daily Papers responses are not at {SHARED_API}")
def test_field_coverage_on_real_days():
    papers = [
        item["paper"]
        for path in sorted(SHARED_API.glob("*.json"))
        for item in json.loads(path.read_text(encoding="utf-8"))
    ]
    assert len(papers) > 1000
    fields = [classify_paper(p["title"], p.get("summary") or "", p.get("ai_keywords") or []) for p in papers]
    coverage = sum(1 for f in fields if f) / len(fields)
    assert coverage > MIN_REAL_COVERAGE
    # No field swallows everything, and each of the required eight occurs.
    ranked = dict(hot_fields(fields, top_n=len(FIELD_NAMES)))
    assert max(ranked.values()) < 0.6 * len(papers)
    assert set(FIELD_NAMES[:8]) <= set(ranked)
