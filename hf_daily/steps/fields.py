"""Hot fields: a small topic taxonomy for papers and the day's leading topics.

Each field is defined by English patterns (for the original title, abstract and
keywords) and Chinese patterns (for translated text). A paper belongs to a
field when the title or a keyword names it, or when the abstract names it at
least twice: abstracts mention LLMs or agents in passing ("we use an LLM to
label the data"), and one passing mention should not put a paper in a field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hf_daily.core.layout import SLUG


@dataclass(frozen=True)
class Field:
    name: str
    slug: str  # ASCII, stable: names the field's files (data/site/feeds/field-SLUG.xml)
    english: tuple[str, ...]  # regular expressions, whole words, case-insensitive
    chinese: tuple[str, ...] = ()  # regular expressions, substrings (Chinese has no word boundaries)
    # Whether the abstract counts. "Benchmark" and "dataset" appear in nearly every
    # abstract, so the data field is decided by the title and keywords alone.
    from_abstract: bool = True
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not SLUG.fullmatch(self.slug):
            raise ValueError(f"field {self.name}: slug {self.slug!r} must be lower-case ASCII words joined by '-'")
        # One boundary check around all English alternatives: a boundary per alternative
        # makes the scan about ten times slower.
        alternatives = [rf"(?<![A-Za-z0-9])(?:{'|'.join(self.english)})(?![A-Za-z0-9])", *self.chinese]
        object.__setattr__(self, "pattern", re.compile("|".join(alternatives), re.IGNORECASE))


# Ordered: the order breaks ties in hot_fields and orders classify_paper's answer.
# Patterns are regular expressions matched case-insensitively on whole words.
FIELDS: tuple[Field, ...] = (
    Field(
        "大语言模型", "llm",
        (
            r"LLMs?",
            # Not the language model inside a vision-language or multimodal one.
            r"(?:large |small |foundation |pre-?trained )?"
            r"(?<!vision-)(?<!vision )(?<!visual )(?<!multimodal )(?<!multi-modal )"
            r"(?<!multimodal large )(?<!multi-modal large )language models?",
            r"LRMs?",
            r"SLMs?",
            r"GPT-?\d(?:\.\d)?o?",
            r"ChatGPT",
            r"Qwen[\d.]*",
            r"LLaMA[\d.-]*",
            r"DeepSeek(?:-[A-Z]\d)?",
            r"Mistral",
            r"instruction[- ]tun(?:ing|ed)",
            r"in-context learning",
            r"chatbots?",
        ),
        ("大语言模型", "大型语言模型", "语言模型", "大模型"),
    ),
    Field(
        "多模态", "multimodal",
        (
            r"multi-?modal(?:ity)?",
            r"omni-?modal",
            r"cross-?modal",
            r"vision[- ]language(?!-action)",
            r"VLMs?",
            r"LVLMs?",
            r"MLLMs?",
            r"LMMs?",
            r"visual question answering",
            r"VQA",
            r"image-text",
            r"text-image",
            r"audio-visual",
            r"audio-?video",
            r"Qwen[\d.]*-VL",
            r"(?-i:CLIP)",  # not "video clips"
        ),
        ("多模态", "视觉语言", "视觉-语言", "跨模态", "图文", "视觉问答"),
    ),
    Field(
        "计算机视觉", "vision",
        (
            r"computer vision",
            r"images?",
            r"videos?",
            r"visual perception",
            r"object detection",
            r"(?:semantic |instance |image |video )?segmentation",
            r"depth estimation",
            r"pose estimation",
            r"optical flow",
            r"(?:object|point|visual|multi-object) tracking",
            r"3D reconstruction",
            r"(?:3D )?gaussian splatting",
            r"3DGS",
            r"NeRFs?",
            r"neural radiance fields?",
            r"point clouds?",
            r"novel view synthesis",
            r"super-resolution",
            r"ViTs?",
            r"vision transformers?",
            r"vision encoders?",
            r"OCR",
            r"scene understanding",
            r"depth (?:estimation|maps?|prediction)",
            r"monocular",
            r"stereo",
            r"occupancy",
            r"(?:3D )?meshes",
            r"3D (?:shapes?|scenes?|assets?|objects?|understanding|geometry)",
            r"avatars?",
            r"human (?:body|motion|pose|mesh)",
        ),
        (
            "计算机视觉", "图像", "视频", "目标检测", "分割", "深度估计", "姿态估计", "三维重建", "高斯泼溅", "点云",
            "视觉感知", "网格", "虚拟人", "数字人",
        ),
    ),
    Field(
        "强化学习", "rl",
        (
            r"reinforcement learning",
            r"RL",
            r"RLHF",
            r"RLVR",
            r"RLAIF",
            r"GRPO",
            r"DAPO",
            r"PPO",
            r"DPO",
            r"policy optimization",
            r"policy gradients?",
            r"reward models?",
            r"reward modeling",
            r"verifiable rewards?",
            r"preference optimization",
            r"Q-learning",
            r"offline RL",
        ),
        ("强化学习", "奖励模型", "策略优化", "可验证奖励", "偏好优化"),
    ),
    Field(
        "语音", "speech",
        (
            r"speech",
            r"audio",
            r"spoken",
            r"voices?",
            r"ASR",
            r"text-to-speech",
            r"speakers?",
            r"music",
            r"sounds",
            r"sound effects?",
            r"acoustic",
        ),
        ("语音", "音频", "音乐", "声音", "说话人"),
    ),
    Field(
        "智能体", "agents",
        (
            r"agents?",
            r"agentic",
            r"multi-agent",
            r"tool[- ]use",
            r"tool[- ]calling",
            r"tool[- ]augmented",
            r"function[- ]calling",
            r"GUI",
            r"web navigation",
            r"computer[- ]use",
            r"deep research",
            r"browsing",
        ),
        ("智能体", "多智能体", "工具调用", "工具使用", "函数调用", "深度研究", "图形用户界面"),
    ),
    Field(
        "生成模型", "generative",
        (
            r"diffusion",
            r"generative models?",
            r"text-to-(?:image|video|3D|audio|speech|music)",
            r"image-to-(?:video|3D|image)",
            r"(?:image|video|3D|audio|music|motion|scene) generation",
            r"(?:image|video) (?:synthesis|editing)",
            r"(?:editing|generating|synthesizing) (?:images?|videos?)",
            r"GANs?",
            r"generative adversarial",
            r"VAEs?",
            r"flow matching",
            r"rectified flows?",
            r"DiTs?",
            r"consistency models?",
            r"score distillation",
        ),
        ("扩散", "生成模型", "生成式模型", "文生图", "文生视频", "文本到图像", "文本到视频", "图像生成", "视频生成", "图像编辑", "视频编辑", "流匹配"),
    ),
    Field(
        "机器人", "robotics",
        (
            r"robots?",
            r"robotics?",
            r"embodied",
            r"(?:robotic |dexterous |object )?manipulation",
            r"VLAs?",
            r"vision-language-action",
            r"humanoids?",
            r"locomotion",
            r"autonomous driving",
            r"self-driving",
            r"teleoperation",
            r"grasping",
            r"grasp (?:planning|detection|poses?)",
            r"driving",
            r"(?:visual|embodied|robot|vision-and-language|indoor|outdoor) navigation",
            r"navigation polic(?:y|ies)",
            r"VLN",
            r"quadrupeds?",
            r"legged",
            r"drones?",
            r"UAVs?",
            r"sim-to-real",
        ),
        ("机器人", "具身", "自动驾驶", "人形", "机械臂", "四足", "无人机", "视觉导航"),
    ),
    Field(
        "推理", "reasoning",
        (
            r"reasoning",
            r"chain-of-thoughts?",
            r"CoT",
            r"test-time scaling",
            r"test-time compute",
            r"mathematical",
            r"math",
            r"theorem proving",
            r"problem[- ]solving",
            r"thinking",
            r"LRMs?",
        ),
        # 推理 is also "inference" (推理速度, 推理成本), which is no reasoning.
        ("推理(?!速度|成本|效率|延迟|开销|加速|吞吐|时间)", "思维链", "测试时扩展", "数学", "定理证明"),
    ),
    Field(
        "架构与效率", "efficiency",
        (
            r"(?:linear|sparse|self|multi-head|full|flash|hybrid|causal|cross) attention",
            r"attention (?:mechanisms?|heads?|layers?|kernels?|sinks?)",
            r"mixture-of-experts",
            r"MoE",
            r"state[- ]space models?",
            r"SSMs?",
            r"Mamba\d*",
            r"RWKV",
            r"KV[- ]cache",
            r"long[- ]context",
            r"quantization",
            r"quantized",
            r"low-bit",
            r"pruning",
            r"knowledge distillation",
            r"model compression",
            r"scaling laws?",
            r"optimizers?",
            r"speculative decoding",
            r"inference (?:efficiency|acceleration|latency|cost|speed)",
            r"efficient inference",
            r"throughput",
            r"speedups?",
            r"FLOPs",
            r"parameter-efficient",
            r"LoRA",
            r"positional encodings?",
            r"position encodings?",
            r"memory footprint",
        ),
        ("注意力", "混合专家", "状态空间模型", "键值缓存", "长上下文", "量化", "剪枝", "知识蒸馏", "模型压缩", "缩放定律", "扩展定律", "优化器", "推测解码", "推理加速", "推理效率", "参数高效"),
    ),
    Field(
        "数据与评测", "data-eval",
        (
            r"benchmarks?",
            r"benchmarking",
            r"datasets?",
            r"evaluations?",
            r"evaluating",
            r"leaderboards?",
            r"corpus",
            r"corpora",
            r"surveys?",
        ),
        ("基准", "数据集", "评测", "评估", "语料", "综述"),
        from_abstract=False,
    ),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_ORDER = {name: index for index, name in enumerate(FIELD_NAMES)}


def taxonomy_order(name: str) -> tuple[int, str]:
    """A sort key: the taxonomy's fields in FIELDS' order, then any other name in name order."""
    return _ORDER.get(name, len(_ORDER)), name


# Two mentions in the abstract, or one in the title or keywords.
_TITLE_WEIGHT = 2
_KEYWORD_WEIGHT = 2
_THRESHOLD = 2


def classify_paper(title: str, abstract: str, keywords: Sequence[str]) -> list[str]:
    """The paper's fields in taxonomy order; several or none.

    Works on English and on Chinese text alike: each field's English patterns are
    whole-word and case-insensitive, its Chinese patterns plain substrings.
    """
    title = title or ""
    abstract = abstract or ""
    keyword_text = "\n".join(k for k in (keywords or ()) if k)
    found = []
    for f in FIELDS:
        score = 0
        if f.pattern.search(title):
            score += _TITLE_WEIGHT
        if keyword_text and f.pattern.search(keyword_text):
            score += _KEYWORD_WEIGHT
        if f.from_abstract and score < _THRESHOLD:
            score += sum(1 for _ in zip(range(_THRESHOLD), f.pattern.finditer(abstract)))
        if score >= _THRESHOLD:
            found.append(f.name)
    return found


def hot_fields(paper_fields: Iterable[list[str]], top_n: int = 3) -> list[tuple[str, int]]:
    """The day's leading fields as (field, number of papers), most papers first.

    Ties go to the field earlier in FIELDS; fields no paper has are left out, and a
    field listed twice for one paper counts once. Names outside FIELDS are counted
    too and rank after the taxonomy's fields on a tie, in name order.
    """
    counts: Counter[str] = Counter()
    for fields in paper_fields:
        counts.update(set(fields))
    ranked = sorted(
        (name for name, n in counts.items() if n > 0),
        key=lambda name: (-counts[name], *taxonomy_order(name)),
    )
    return [(name, counts[name]) for name in ranked[: max(top_n, 0)]]
