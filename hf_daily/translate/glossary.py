"""The house style: standard Chinese renderings of ML terms, and the one spelling of each.

Only the entries whose English term appears in a text are put in its prompt:
a short, relevant list steers a small model better than a long generic one,
and keeps the prompt (and CPU prefill time) small.

A small model still ignores the list now and then, so :func:`apply_house_style`
enforces it after translation: a term Chinese ML writing keeps in English
(token, prompt, Transformer) stays English, a known mistranslation of a term the
source uses (令牌 for token, 代理 for agent) is replaced, glossary terms left in
English (scalable, pretrained) are translated, and each term is spelled one way
(大语言模型, never 大型语言模型), which keeps the day's keywords and word cloud
consistent too.
"""

from __future__ import annotations

import re

from hf_daily.translate.text import URL

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
    "tokenizer": "分词器",
    "tokenization": "分词",
    "prompt": "prompt",
    "agentic": "智能体",
    "scalable": "可扩展的",
    "pretrained": "预训练的",
    "pre-trained": "预训练的",
    "regularization": "正则化",
    "hand-crafted": "人工设计的",
    "latent": "潜在",
    "implicit": "隐式",
    "plug-and-play": "即插即用",
    "real-time": "实时",
    "training-free": "免训练",
    "interpretability": "可解释性",
    "data-efficient": "数据高效的",
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

# English words Chinese ML writing commonly keeps: left in English, they are no fault of a translation.
KEPT_IN_ENGLISH = frozenset({
    "token", "tokens", "prompt", "prompts", "transformer", "transformers", "embedding", "logits", "softmax",
    "batch", "pipeline", "agent", "agents", "benchmark", "et", "al", "vs", "e.g", "i.e", "top-k", "top-p",
})


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


# Mistranslations of a term: (English stem the source must contain, wrong Chinese, house Chinese), applied in
# order (the longer renderings first). Only where the source uses the term: 代理 is right for "proxy".
MISRENDERINGS: tuple[tuple[str, str, str], ...] = (
    ("tokeniz", "标记化", "分词"),
    ("token", "令牌", "token"),
    ("token", "词元", "token"),
    ("agent", "代理人", "智能体"),
    ("agent", "代理商", "智能体"),
    ("agent", "代理", "智能体"),
)
# Words that, in the source, make a misrendering the right word after all.
_MISRENDERING_EXCEPTIONS = {"代理": re.compile(r"\b(proxy|proxies|surrogate|delegat)", re.IGNORECASE)}

# Variant spellings of one term -> the house spelling.
SPELLINGS: dict[str, str] = {
    "大型语言模型": "大语言模型",
    "大规模语言模型": "大语言模型",
    "视觉-语言模型": "视觉语言模型",
    "视觉-语言-动作模型": "视觉语言动作模型",
    "视觉-语言": "视觉语言",
    "专家混合": "混合专家",
    "思维链条": "思维链",
    "检索增强的生成": "检索增强生成",
    "强化学习学习": "强化学习",
    # Whatever the source, these are always the tokenizer (cut anywhere, 令牌化器 leaves the fragment 化器).
    "令牌化器": "分词器",
    "标记化器": "分词器",
    "令牌化": "分词",
}

# A word glued to a digit after it ("inherently3D") is still a word; one glued to a digit before it is a name.
_LATIN = re.compile(r"(?<![A-Za-z0-9_\-])([A-Za-z][A-Za-z\-]*[A-Za-z])(?![A-Za-z_\-])")


def apply_house_style(source: str, translation: str) -> str:
    """``translation`` of ``source`` with the glossary enforced (see the module's docstring)."""
    text = translation
    low = source.lower()
    for variant, house in SPELLINGS.items():  # first: 令牌化器 is one word, not 令牌 + 化器
        text = text.replace(variant, house)
    for stem, wrong, right in MISRENDERINGS:
        exception = _MISRENDERING_EXCEPTIONS.get(wrong)
        if stem in low and wrong in text and not (exception and exception.search(source)):
            text = text.replace(wrong, right)

    def translate_left(match: re.Match[str]) -> str:
        word = match.group(1)
        zh = _LEFT_IN_ENGLISH.get(word.lower())
        # Only ordinary lower-case words: "Latent" may open a name the source keeps.
        return zh if zh and word.islower() else word

    def translate_words(part: str) -> str:
        part = _COMPOUND.sub(lambda m: COMPOUND_SUFFIXES[m.group(1)], part)
        return _LATIN.sub(translate_left, part)

    # Never inside a URL: https://efficient-vit.github.io stays as written (the URLs are the odd parts).
    parts = _URL_SPLIT.split(text)
    text = "".join(part if i % 2 else translate_words(part) for i, part in enumerate(parts))
    # The spaces a model put around an English word are not wanted once it is Chinese ("用于 可扩展的 视频").
    text = _SPACE_BETWEEN_HAN.sub("", text)
    # "一种可扩展的的方法": an adjective put in before the model's own 的.
    return text.replace("的的", "的")


_URL_SPLIT = re.compile(f"({URL.pattern})", URL.flags)
_SPACE_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff，。、；：])[ \t]+(?=[\u3400-\u9fff])")

# Ordinary words of ML abstracts that a small model leaves in English now and then ("取得了 promising结果",
# "在 LMM backbone 的早期层"), each with the one sense it has in such writing. Not put in prompts: only
# translated after the model where it left them, in lower case. Words whose Chinese depends on the sentence
# (to, as, bridge, claim) are not here: a second try names those.
LEFT_WORDS: dict[str, str] = {
    # adjectives
    "superior": "更优的", "inferior": "较差的", "promising": "有前景的", "plausible": "合理的",
    "coherent": "连贯的", "robust": "鲁棒的", "naive": "朴素的", "novel": "新颖的", "diverse": "多样的",
    "comprehensive": "全面的", "intricate": "复杂的", "sophisticated": "复杂的", "versatile": "通用的",
    "holistic": "整体的", "seamless": "无缝的", "remarkable": "显著的", "impressive": "出色的",
    "substantial": "显著的", "inherent": "固有的", "efficient": "高效的", "inefficient": "低效的",
    "effective": "有效的", "ineffective": "无效的", "principled": "有原则的", "proprietary": "专有的",
    "minimalist": "极简的", "foundational": "基础性的", "transformative": "变革性的",
    "unprecedented": "前所未有的", "interpretable": "可解释的", "controllable": "可控的",
    "lightweight": "轻量级的", "compact": "紧凑的", "realistic": "逼真的", "photorealistic": "照片级真实感的",
    "faithful": "忠实的", "spurious": "虚假的", "sparse": "稀疏的", "heterogeneous": "异构的",
    "modular": "模块化的", "autoregressive": "自回归", "empirical": "实证", "theoretical": "理论",
    "extensive": "大量的", "challenging": "具有挑战性的", "critical": "关键的", "crucial": "关键的",
    "essential": "必要的", "scarce": "稀缺的", "costly": "昂贵的", "expensive": "昂贵的",
    "prohibitive": "难以承受的", "trustworthy": "可信的", "reliable": "可靠的", "unreliable": "不可靠的",
    "suboptimal": "次优的", "optimal": "最优的", "hallucinated": "幻觉", "degraded": "退化的",
    "cinematic": "电影级", "multi-turn": "多轮", "long-horizon": "长时程", "coarse-grained": "粗粒度",
    "unified": "统一的", "agnostic": "无关的", "curated": "精选的", "biomedical": "生物医学",
    "nuanced": "细致的", "cascading": "级联",
    # adverbs
    "consistently": "始终", "inherently": "本质上", "empirically": "实证地", "theoretically": "理论上",
    "significantly": "显著地", "substantially": "显著地", "remarkably": "显著地", "seamlessly": "无缝地",
    "effectively": "有效地", "efficiently": "高效地", "explicitly": "显式地", "implicitly": "隐式地",
    "jointly": "联合", "simultaneously": "同时", "iteratively": "迭代地", "progressively": "逐步",
    "dynamically": "动态地", "adaptively": "自适应地", "automatically": "自动", "extensively": "广泛地",
    # verbs
    "emerges": "出现", "emerge": "出现", "emerged": "出现", "arises": "出现", "arise": "出现",
    "leverages": "利用", "leverage": "利用", "leveraging": "利用", "facilitate": "促进",
    "facilitates": "促进", "facilitating": "促进", "refine": "细化", "refines": "细化", "mitigate": "缓解",
    "mitigates": "缓解", "alleviate": "缓解", "alleviates": "缓解", "enhance": "增强", "enhances": "增强",
    "outperform": "优于", "outperforms": "优于", "surpass": "超越", "surpasses": "超越",
    "diverged": "分化", "tackle": "解决", "tackles": "解决", "unlock": "解锁", "unlocks": "解锁",
    "paving": "铺平", "probing": "探测", "jailbreak": "越狱", "jailbreaking": "越狱",
    # nouns
    "paradigm": "范式", "paradigms": "范式", "backbone": "主干", "backbones": "主干", "overhead": "开销",
    "bottleneck": "瓶颈", "bottlenecks": "瓶颈", "ideation": "构思", "conception": "构想",
    "variation": "变化", "variations": "变化", "variants": "变体", "scaffold": "支架", "grounding": "定位",
    "trade-off": "权衡", "tradeoff": "权衡", "trade-offs": "权衡", "insights": "见解", "insight": "见解",
    "fidelity": "保真度", "granularity": "粒度", "latency": "延迟", "throughput": "吞吐量",
    "modality": "模态", "modalities": "模态", "baseline": "基线", "baselines": "基线",
    "heuristics": "启发式方法", "heuristic": "启发式", "corpus": "语料库", "corpora": "语料库",
    "annotation": "标注", "annotations": "标注", "trajectory": "轨迹", "trajectories": "轨迹",
    "workflow": "工作流", "workflows": "工作流", "formulation": "表述", "manipulation": "操作",
    "affordance": "可供性", "affordances": "可供性", "embodiment": "具身形态", "cues": "线索",
    "proficiency": "熟练度", "usability": "可用性", "correspondence": "对应关系", "practically": "实际上",
    # prepositions whose Chinese reads right in place
    "unlike": "不同于",
}
# The English half of a compound whose other half the model translated ("图-aware", "高-quality"): after a
# Chinese character, a digit or a capital, "-aware" is 感知.
COMPOUND_SUFFIXES: dict[str, str] = {
    "aware": "感知", "quality": "质量", "specific": "特定", "driven": "驱动", "level": "级", "guided": "引导",
}
_COMPOUND = re.compile(r"(?<=[\u3400-\u9fff0-9A-Z])-(" + "|".join(COMPOUND_SUFFIXES) + r")(?![A-Za-z0-9_\-])")

# Translated where a model left them in English: glossary terms whose Chinese is not the English itself,
# then the ordinary words above.
_LEFT_IN_ENGLISH = {**{en: zh for en, zh in GLOSSARY.items() if zh.lower() != en and " " not in en}, **LEFT_WORDS}
