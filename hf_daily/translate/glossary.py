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
    "supervised fine-tuning": "监督微调",
    "human feedback": "人类反馈",
    "preference optimization": "偏好优化",
    "policy optimization": "策略优化",
    "in-context learning": "上下文学习",
    "knowledge distillation": "知识蒸馏",
    "foundation model": "基础模型",
    "world model": "世界模型",
    "self-supervised": "自监督",
    "contrastive learning": "对比学习",
    "long-context": "长上下文",
    "test-time": "测试时",
    "speculative decoding": "推测解码",
    "embodied": "具身",
    "code generation": "代码生成",
    "mathematical reasoning": "数学推理",
    "image generation": "图像生成",
    "video generation": "视频生成",
    "novel view synthesis": "新视角合成",
    "text-to-speech": "文本转语音",
    "fine-grained": "细粒度",
    "end-to-end": "端到端",
    "robustness": "鲁棒性",
    "generalization": "泛化",
    "scalability": "可扩展性",
}


def _pattern(term: str) -> re.Pattern[str]:
    # Plural/inflected forms ("agents", "benchmarks", "fine-tuned") should match too.
    return re.compile(r"\b" + re.escape(term).replace(r"\-", r"[-\s]?") + r"(s|es|d|ed)?\b", re.IGNORECASE)


_PATTERNS = {term: _pattern(term) for term in GLOSSARY}


_LONGEST_FIRST = sorted(GLOSSARY, key=len, reverse=True)


def relevant_terms(text: str) -> dict[str, str]:
    """The glossary entries whose English term occurs in ``text``, in glossary order.

    A term found only inside a longer one ("language model" in "large language model") is left out.
    """
    found = set()
    for term in _LONGEST_FIRST:
        text, hits = _PATTERNS[term].subn("\0", text)
        if hits:
            found.add(term)
    return {term: zh for term, zh in GLOSSARY.items() if term in found}
