"""Standard Chinese renderings of ML terms, so that a paper's key terms read the way Chinese readers expect.

Only the entries whose English term appears in a text are put in its prompt:
a short, relevant list steers a small model better than a long generic one,
and keeps the prompt (and CPU prefill time) small.
"""

from __future__ import annotations

import re

GLOSSARY: dict[str, str] = {
    "reinforcement learning": "强化学习",
    "fine-tuning": "微调",
    "fine-tune": "微调",
    "benchmark": "基准",
    "large language model": "大语言模型",
    "language model": "语言模型",
    "vision-language model": "视觉语言模型",
    "multimodal": "多模态",
    "agent": "智能体",
    "diffusion model": "扩散模型",
    "reasoning": "推理",
    "inference": "推理",
    "pre-training": "预训练",
    "pretraining": "预训练",
    "post-training": "后训练",
    "instruction tuning": "指令微调",
    "chain-of-thought": "思维链",
    "retrieval-augmented generation": "检索增强生成",
    "hallucination": "幻觉",
    "alignment": "对齐",
    "reward model": "奖励模型",
    "transformer": "Transformer",
    "attention": "注意力",
    "mixture of experts": "混合专家",
    "token": "token",
    "embedding": "嵌入",
    "dataset": "数据集",
    "zero-shot": "零样本",
    "few-shot": "少样本",
    "state-of-the-art": "最先进的",
    "ablation": "消融",
    "distillation": "蒸馏",
    "quantization": "量化",
    "scaling law": "缩放定律",
    "context window": "上下文窗口",
    "text-to-image": "文生图",
    "text-to-video": "文生视频",
    "open-source": "开源",
}


def _pattern(term: str) -> re.Pattern[str]:
    # Plural/inflected forms ("agents", "benchmarks", "fine-tuned") should match too.
    return re.compile(r"\b" + re.escape(term).replace(r"\-", r"[-\s]?") + r"(s|es|d|ed)?\b", re.IGNORECASE)


_PATTERNS = {term: _pattern(term) for term in GLOSSARY}


def relevant_terms(text: str) -> dict[str, str]:
    """The glossary entries whose English term occurs in ``text``, in glossary order."""
    return {term: zh for term, zh in GLOSSARY.items() if _PATTERNS[term].search(text)}
