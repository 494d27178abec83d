"""Keywords for papers: English key phrases and Chinese terms.

Hugging Face attaches ``ai_keywords`` to most papers but not all (about one in
eight has none), so :func:`extract_english_keywords` gives the newsletter key
phrases of the same kind for the rest: short noun-like phrases such as
"video generation", "spatial memory", "LLMs".

:func:`chinese_keywords` picks the leading terms of a Chinese text (the
translated summary) for the word cloud. It uses a private jieba tokenizer with
a domain term list so that 大语言模型 or 检索增强生成 are one word, not three.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from importlib import resources

from hf_daily.translate.glossary import SPELLINGS

# --------------------------------------------------------------------------
# English
# --------------------------------------------------------------------------

# Function words, plus the verbs, adverbs and stock adjectives of abstracts
# ("we propose a novel ... that significantly outperforms existing ...").
# They end a candidate phrase, which is how phrases are found at all.
_FUNCTION_WORDS = """
a about above across after again against all almost along already also although always am among amongst an and
another any anyone anything are around as at be because been before being below beneath beside besides between
beyond both but by can cannot could did do does doing done down due during each either else enough especially
etc even ever every everything few for from further furthermore had has have having he hence her here hers herself
him himself his how however i if in inside instead into is it its itself just least less let like likewise many
may me might more moreover most much must my myself namely neither never nevertheless no nor not nothing now of
off often on once one only onto or other others otherwise our ours ourselves out over own per perhaps rather
same several shall she should since so some something somewhat still such than that the their theirs them
themselves then there thereby therefore these they this those though through throughout thus to together too
toward towards under unless unlike until up upon us very via was we were what whatever when whenever where
whereas whether which while who whom whose why will with within without would yet you your yours
e.g i.e et al vs cf eg ie viz alongside amid beneath
two three four five six seven eight nine ten first second third fourth fifth last
""".split()

_STOCK_WORDS = """
able abundant accurate accurately actually additional additionally adequate advanced affordable aforementioned
ample appealing apparent appropriate approximately arbitrary available average based best better broad broader
broadly capable carefully certain challenging clear clearly closely common commonly comparable comparative
competitive complete completely comprehensive comprehensively considerable considerably consistently conventional
correct correctly critical crucial current currently decent different difficult directly distinct distinctly
diverse easily effective effectively efficient efficiently elaborate emerging empirical empirically entire
entirely equally essential essentially exact exactly excellent exceptional existing explicitly extensive
extensively extremely fair faithful faithfully far favorable finally flexible frequently full fully fundamental
fundamentally further generally given good great greatly heavily highly huge ideal immense important importantly
impressive increasingly inherent inherently initial initially innovative key largely latest leading less likely
limited main mainly major majority marked markedly massive mere merely minimal moderate modest namely 
nearly necessary new newly notable notably novel numerous often ongoing optimal original overall
paramount particular particularly plausible possible potentially powerful practical precisely predominantly
preliminary present previous previously primarily primary prior promising proper properly proposed publicly
rapid rapidly readily real really recent recently related relatively reliable reliably remarkable remarkably
respective respectively rich rigorous rigorously robustly satisfactory scarce seamless seamlessly separate
separately severe severely standard significant significantly similar similarly simple simply simultaneously slightly
so-called solid specific specifically state-of-the-art strictly strong stronger strongest strongly subsequent
subsequently substantial substantially successful successfully sufficient sufficiently suitable superior
surprising surprisingly systematically thorough thoroughly tremendous truly typical typically ultimately unclear
underexplored underlying unique unprecedented usual usually valuable various vast versatile well well-known
whole wide widely widespread worse worst cutting-edge corresponding tailored extra
sota sotas paper papers work works study studies approach approaches technique techniques way ways thing things
result results finding findings experiment experiments insight insights extensive effort efforts lot lots kind
kinds aspect aspects example examples case cases fact number numbers amount part parts end terms term respect
improvement improvements gain gains advance advances advancement advancements progress success limitation
limitations challenge challenges issue issues problem problems gap gaps need needs role roles
""".split()

# Verbs of abstracts in all their forms ("propose", "proposes", "proposed", "proposing").
_VERB_STEMS = """
achieve adapt address adopt aim allow alleviate analyze apply argue assess assume attain attempt augment
become begin benefit boost bridge bring build call capture combine compare complement compose comprise conduct
confirm consider consist constitute construct contain continue contribute cover create deliver demonstrate
denote depend derive describe design determine develop discover discuss display emerge employ enable encourage
enhance ensure equip establish evaluate examine exceed exhibit expand explain exploit explore expose extend
facilitate fail find focus follow formulate foster gain generate give guide handle help highlight hinder
hold identify illustrate implement improve include incorporate increase indicate inspire integrate introduce
investigate involve keep lack lead leverage limit maintain make mitigate motivate necessitate need
observe obtain offer open operate outperform overcome perform permit possess present preserve produce propose prove
provide pursue raise reach realize receive reduce refer reflect release rely remain report represent
require reveal seek select serve show solve span struggle study suffer suggest summarize support surpass
sustain tackle take tend transform treat uncover underperform undergo unlock use utilize
validate verify yield
decouple simplify
accelerate adjust align annotate decompose detect encode estimate fuse inject localize measure optimize outline
predict quantify recover refine retrieve reuse simulate synthesize unify
""".split()

_IRREGULAR_VERB_FORMS = """
made found shown given taken led built held kept brought became begun began drawn seen known sought
thought understood undergone chosen arisen won lost meant paid set put run ran done
trains trained learns understand understands matches matched renders rendered dive dives featuring spanning spanned
""".split()


def _verb_forms(stem: str) -> set[str]:
    forms = {stem}
    if stem.endswith("e"):
        forms |= {stem + "s", stem + "d", stem[:-1] + "ing"}
    elif stem.endswith("y") and stem[-2:-1] not in "aeiou":
        forms |= {stem[:-1] + "ies", stem[:-1] + "ied", stem + "ing"}
    elif stem.endswith(("s", "sh", "ch", "x", "z")):
        forms |= {stem + "es", stem + "ed", stem + "ing"}
    else:
        forms |= {stem + "s", stem + "ed", stem + "ing"}
    return forms


# Nouns that are keywords inside phrases ("diffusion models", "agentic framework")
# but say nothing alone, and modifiers that say nothing alone; both rank low
# when they are much of a phrase.
_WEAK_WORDS = frozenset(
    """
    model models method methods framework frameworks system systems task tasks performance data dataset datasets
    training module modules pipeline pipelines strategy strategies process processes mechanism mechanisms setting
    settings scenario scenarios capability capabilities ability abilities quality accuracy baseline baselines
    information knowledge level levels scale scales set sets type types stage stages step steps time times
    component components design designs solution solutions architecture architectures application applications
    domain domains tool tools input inputs output outputs version versions variant variants space spaces
    understanding analysis evaluation evaluations metric metrics score scores cost costs rate rates signal signals
    feature features representation representations content contents form forms structure structures human humans
    user users world paradigm paradigms context contexts objective objectives area areas point points
    """.split()
)

# Modifiers that are nothing alone and never end a phrase ("3D multimodal large").
_MODIFIERS = frozenset(
    """
    large high low long short small multi single dynamic static visual spatial temporal semantic textual
    open general unified generative real-world large-scale high-quality fine-grained end-to-end
    vision-language multimodal multi-modal cross-modal
    sparse dense deep shallow fast slow efficient robust scalable accurate hybrid joint discrete lightweight
    compact explicit implicit diverse complex reliable flexible stable fixed random latent
    """.split()
)

# Head nouns: in "vision-language models" the phrase is the whole, and
# "vision-language" there is only a modifier, so that occurrence does not count for it.
_HEAD_NOUNS = frozenset(
    """
    model models framework frameworks system systems method methods module modules pipeline pipelines
    architecture architectures network networks
    """.split()
)

# Adjective endings: a phrase ending in one is cut off before its noun
# ("functional shifts relative"), and a lone adjective is no keyword.
_ADJECTIVE_ENDINGS = ("al", "ive", "ous", "able", "ible", "ful", "less", "ic", "ar")
_NOUNS_LIKE_ADJECTIVES = frozenset(
    """
    retrieval signal interval proposal removal material potential tutorial terminal journal arrival approval
    rehearsal reversal rival survival trial animal capital manual portal principal
    objective alternative incentive perspective primitive narrative initiative archive directive
    logic music topic graphic graphics physics dynamic rubric heuristic metric clinic
    radar lidar solar bar grammar seminar calendar scholar pillar collar
    """.split()
)


def _looks_adjective(word: str) -> bool:
    low = word.lower()
    return low.endswith(_ADJECTIVE_ENDINGS) and low not in _NOUNS_LIKE_ADJECTIVES and not _is_acronym(word)


_URL_RE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
# "Code and data are available at https://..." says nothing about the paper.
_BOILERPLATE_RE = re.compile(
    r"https?://|www\.|github|project page|\b(?:available|released|accessible)\s+(?:at|on|via|here|publicly)\b",
    re.IGNORECASE,
)


def _drop_boilerplate(text: str) -> str:
    sentences = _SENTENCE_END_RE.split(text)
    return " ".join(s for s in sentences if not _BOILERPLATE_RE.search(s))


# A word: letters/digits joined by inner hyphens, dots between digits ("Qwen2.5-VL"),
# or apostrophes; a trailing "+" for names like "C++" is kept.
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:(?:[-'’]|\.(?=\d))[A-Za-z0-9]+)*\+*")
_DIMENSION_RE = re.compile(r"^\d[dD]$")
_NUMBER_RE = re.compile(r"^[\d.,+\-]+(?:[kKmMbBxX%]|st|nd|rd|th)?$")
# -ly words are adverbs (and so end phrases) except for these nouns and adjectives.
_LY_NOUNS = frozenset({"anomaly", "family", "assembly", "supply", "poly", "monopoly", "reply", "italy", "ally", "holy"})
_ED_NOUNS = frozenset({"speed", "seed", "embed", "feed", "need", "bed", "red", "shed", "breed", "weed"})

_STOPWORDS = frozenset(
    {w.lower() for w in _FUNCTION_WORDS}
    | {w.lower() for w in _STOCK_WORDS}
    | {form for stem in _VERB_STEMS for form in _verb_forms(stem)}
    | set(_IRREGULAR_VERB_FORMS)
)

_MAX_PHRASE_WORDS = 4


def _is_acronym(token: str) -> bool:
    """LLM, LLMs, RLHF, GPT-4, VidFMs, 3D, ImageNet: words whose capitals carry meaning.

    Hyphenated words are judged part by part, so that a title's "Vision-Language"
    is an ordinary word and "Qwen2.5-VL" a name.
    """
    return any(_is_acronym_part(part) for part in re.split(r"[-'’]", token))


def _is_acronym_part(part: str) -> bool:
    uppers = sum(c.isupper() for c in part)
    if uppers >= 2:
        return True
    if uppers == 1 and not part[0].isupper():  # camelCase such as "iPhone" or "xLSTM"
        return True
    return uppers == 1 and any(c.isdigit() for c in part)


def _display(token: str) -> str:
    return token if _is_acronym(token) else token.lower()


def _singular(word: str) -> str:
    """Crude singular for matching "model"/"models", "LLM"/"LLMs"; never shown to readers."""
    low = word.lower()
    if len(low) > 4 and low.endswith("ies"):
        return low[:-3] + "y"
    if len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is", "ics")):
        return low[:-1]
    return low


def _is_breaker(token: str) -> bool:
    low = token.lower()
    if low in _STOPWORDS or _NUMBER_RE.match(low) or len(low) == 1:
        return True
    if low.endswith("ly") and len(low) > 4 and low not in _LY_NOUNS:
        return True
    return False


def _runs(text: str) -> list[list[tuple[str, int]]]:
    """Maximal runs of content words, as (token, position), split at stopwords and punctuation."""
    runs: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    last_end = 0
    for position, match in enumerate(_TOKEN_RE.finditer(text)):
        token = match.group()
        if token.endswith(("'s", "’s")):
            token = token[:-2]
        gap = text[last_end : match.start()]
        last_end = match.end()
        if current and gap.strip():  # any punctuation between two words ends the phrase
            runs.append(current)
            current = []
        if _is_breaker(token):
            if current:
                runs.append(current)
                current = []
            continue
        current.append((token, position))
    if current:
        runs.append(current)
    return runs


def _acceptable(words: list[str]) -> bool:
    lows = [w.lower() for w in words]
    if all(w in _WEAK_WORDS or w in _MODIFIERS for w in lows) or lows[-1] in _MODIFIERS:
        return False
    # A phrase ending in a past participle is a clause fragment ("video clips conditioned").
    last = lows[-1]
    if last.endswith("ed") and last not in _ED_NOUNS and not _is_acronym(words[-1]):
        return False
    # A lone adjective is no keyword, and a phrase ending in one was cut before its noun.
    return not (_looks_adjective(words[-1]) or _DIMENSION_RE.match(words[-1]))


_LENGTH_BONUS = {1: 1.0, 2: 1.8, 3: 2.1, 4: 2.2}


def extract_english_keywords(title: str, abstract: str, top_n: int = 8) -> list[str]:
    """Key phrases of a paper, best first, in the spirit of Hugging Face's ``ai_keywords``.

    Candidates are the runs of words between stopwords and punctuation and their
    sub-phrases of up to four words. A phrase scores by how often it occurs, with
    extra weight for the title, for multi-word phrases and for acronyms, and less
    weight for generic nouns ("model", "framework"). A phrase that only ever occurs
    inside a longer one is represented by the longer one, and a phrase overlapping
    one already chosen is skipped, so the list is varied. Words are lowercased
    except acronyms and names with inner capitals (LLMs, GPT-4, ImageNet). The same
    input always gives the same list.
    """
    if top_n <= 0:
        return []
    title = _URL_RE.sub(" ", " ".join((title or "").split()))
    abstract = _drop_boilerplate(" ".join((abstract or "").split()))

    counts: Counter[tuple[str, ...]] = Counter()
    in_title: set[tuple[str, ...]] = set()
    first_seen: dict[tuple[str, ...], int] = {}
    surfaces: dict[tuple[str, ...], Counter[str]] = {}
    words_of: dict[tuple[str, ...], list[str]] = {}

    # The title is counted as text too, after the abstract so that positions in the
    # abstract (the order a reader meets phrases) break ties.
    offset = 0
    for source, is_title in ((abstract, False), (title, True)):
        for run in _runs(source):
            tokens = [t for t, _ in run]
            for n in range(1, min(_MAX_PHRASE_WORDS, len(tokens)) + 1):
                for start in range(len(tokens) - n + 1):
                    words = tokens[start : start + n]
                    following = tokens[start + n] if start + n < len(tokens) else ""
                    if following.lower() in _HEAD_NOUNS or not _acceptable(words):
                        continue
                    key = tuple(w.lower() for w in words[:-1]) + (_singular(words[-1]),)
                    counts[key] += 1
                    if is_title:
                        in_title.add(key)
                    first_seen.setdefault(key, offset + run[start][1])
                    surfaces.setdefault(key, Counter())[" ".join(_display(w) for w in words)] += 1
                    words_of.setdefault(key, words)
        offset = 1_000_000

    # A sub-phrase that never stands outside a longer phrase adds nothing of its own.
    keys = list(counts)
    subsumed: set[tuple[str, ...]] = set()
    for long in keys:
        for n in range(1, len(long)):
            for start in range(len(long) - n + 1):
                piece = long[start : start + n]
                short = piece[:-1] + (_singular(piece[-1]),)
                # A phrase of the title stands on its own unless the longer one is there too.
                if short in counts and counts[long] >= counts[short] and (short not in in_title or long in in_title):
                    subsumed.add(short)

    def score(key: tuple[str, ...]) -> float:
        words = words_of[key]
        weights = []
        for word in words:
            if _is_acronym(word) and not _DIMENSION_RE.match(word):
                weights.append(1.5)
            elif word.lower() in _WEAK_WORDS or word.lower() in _MODIFIERS:
                weights.append(0.6)
            else:
                weights.append(1.0)
        frequency = counts[key] + (1.5 if key in in_title else 0.0)
        return math.log1p(frequency) * _LENGTH_BONUS[len(key)] * (sum(weights) / len(weights))

    ranked = sorted(
        (k for k in keys if k not in subsumed),
        key=lambda k: (-score(k), first_seen[k], k),
    )
    # Fall back to the subsumed ones only when nothing else is left (a one-word title).
    ranked += sorted(subsumed, key=lambda k: (-score(k), first_seen[k], k))

    chosen: list[tuple[str, ...]] = []
    for key in ranked:
        # Overlapping phrases ("3D multimodal large language", "multimodal large language
        # model") would say one thing twice.
        words = {_singular(w) for w in key}
        if any(
            2 * len(words & (other := {_singular(w) for w in c})) > len(key) or other <= words for c in chosen
        ):
            continue
        chosen.append(key)
        if len(chosen) == top_n:
            break

    def surface(key: tuple[str, ...]) -> str:
        forms = surfaces[key]
        best = max(forms.values())
        return next(form for form, count in forms.items() if count == best)

    return [surface(k) for k in chosen]


# --------------------------------------------------------------------------
# Chinese
# --------------------------------------------------------------------------

_ZH_STOPWORDS = frozenset(
    """
    的 了 和 与 及 或 在 是 为 对 以 将 把 被 从 由 等 中 上 下 也 都 而 并 但 还 又 就 仅 只 更 最 很 其 之 所 着 过 于
    这一 这样 难以 如何 什么 哪些 为何 没有 并非 无法 不能 不会 不再
    我们 你们 他们 它们 我 你 他 她 它 本文 本研究 本工作 该 此 这 那 这些 那些 这种 这个 这类 该类 一种 一个 一些 一项 一系列
    各种 多种 多个 若干 不同 相同 类似 相应 其他 其它 各自 每个 所有 整体 全部
    提出 提供 介绍 展示 表明 显示 证明 发现 实现 取得 达到 获得 进行 通过 使用 利用 采用 基于 用于 针对 关于 对于 由于 鉴于
    因此 然而 但是 并且 而且 同时 此外 另外 例如 比如 包括 其中 以及 从而 进而 因而 所以 虽然 尽管 如果 是否 以便 为了
    能够 可以 可能 需要 具有 存在 成为 作为 包含 涉及 依赖 依靠 使得 使 让 导致 旨在 致力于 面临 面对 带来 引入 引发
    首先 其次 最后 然后 随后 最终 目前 当前 现有 已有 传统 先前 之前 此前 以往 最近 近期 近年来 如今 现在 未来
    研究 方法 模型 框架 任务 性能 结果 实验 问题 能力 效果 工作 方面 方式 过程 技术 系统 领域 场景 方案 策略 机制 手段
    设计 构建 开发 探索 分析 评估 验证 表现 改进 提升 提高 增强 降低 减少 解决 应对 克服 缓解 优于 超越 超过 相比 相较
    优异 出色 领先 先进 最先进 最新 全面 广泛 大量 丰富 多样 复杂 简单 关键 重要 主要 核心 显著 大幅 有效 高效 新 新型 新颖
    进一步 一定 相当 非常 十分 极大 较大 较好 更好 良好 明显 持续 不断 仍然 依然 尚未 已经 正在 不仅 而是 即 亦 均 皆
    数据 代码 开源 发布 公开 项目 主页 链接 论文 文章 作者 实验表明 结果表明 研究表明 大量实验 广泛实验 实验结果
    """.split()
)

_ASCII_TOKEN_RE = re.compile(r"(?:\d+[A-Za-z]|[A-Za-z])[A-Za-z0-9]*(?:(?:[-_]|\.(?=\d))[A-Za-z0-9]+)*\+*")
_HAS_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_HAS_ALNUM_RE = re.compile(r"[A-Za-z\u4e00-\u9fff]")

# Weight of a domain term and of a word jieba's own dictionary does not know
# (an English name, a new word from the HMM); log(total / frequency) of a
# dictionary word runs from about 6 (我们) to 17 (rare words).
_DOMAIN_TERM_WEIGHT = 16.0
_UNKNOWN_WORD_WEIGHT = 12.0

_lock = threading.Lock()
_tokenizer = None
_domain_terms: frozenset[str] = frozenset()


def _load_domain_terms() -> list[tuple[str, int | None]]:
    """The term list shipped in ``hf_daily/data/zh_terms.txt``: "term [frequency]" per line, "#" comments."""
    text = resources.files("hf_daily").joinpath("data", "zh_terms.txt").read_text(encoding="utf-8")
    terms = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        terms.append((parts[0], freq))
    return terms


def _get_tokenizer():
    """The shared jieba tokenizer with the domain terms, built once per process.

    A private ``jieba.Tokenizer`` keeps the terms out of the global one that other
    code may use. jieba reads its dictionary from a cache in the temp folder after
    the first build, so the start costs about a second once.
    """
    global _tokenizer, _domain_terms
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            # jieba logs "Building prefix dict ..." to stderr at DEBUG on every start.
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            terms = _load_domain_terms()
            # Shorter terms first, so that a longer term's suggested frequency is
            # computed against the pieces it would otherwise be cut into.
            for term, freq in sorted(terms, key=lambda t: (len(t[0]), t[0])):
                tokenizer.add_word(term, freq)
            _domain_terms = frozenset(term for term, _ in terms)
            _tokenizer = tokenizer
    return _tokenizer


def _cut(tokenizer, text: str) -> list[str]:
    # No HMM: its "new words" are mostly fragments of words it cut wrongly (化器 of 令牌化器), and
    # they scored as rare terms. Only dictionary words and domain terms can be keywords.
    return tokenizer.lcut(text, HMM=False)


def _segments(text: str) -> list[str]:
    """Tokens of a Chinese text: jieba words for the Chinese, whole ASCII names for the rest.

    jieba would cut "GPT-4" into "GPT", "-", "4", so ASCII names are taken out first.
    """
    tokenizer = _get_tokenizer()
    for variant, house in SPELLINGS.items():  # one term, one keyword (大型语言模型 is 大语言模型)
        text = text.replace(variant, house)
    tokens: list[str] = []
    last = 0
    for match in _ASCII_TOKEN_RE.finditer(text):
        if match.start() > last:
            tokens.extend(_cut(tokenizer, text[last : match.start()]))
        tokens.append(match.group())
        last = match.end()
    if last < len(text):
        tokens.extend(_cut(tokenizer, text[last:]))
    return tokens


def _keep_zh(token: str) -> bool:
    token = token.strip()
    if len(token) < 2 or not _HAS_ALNUM_RE.search(token):
        return False  # single characters, punctuation, spaces
    if _NUMBER_RE.match(token):
        return False
    if _HAS_HAN_RE.search(token):
        return token not in _ZH_STOPWORDS
    # English words left in Chinese text ("the", "using") carry nothing there either.
    return token.lower() not in _STOPWORDS


def chinese_keywords(text_zh: str, top_n: int = 8) -> list[str]:
    """The leading terms of a Chinese text, best first.

    Terms are scored like TF-IDF, with jieba's dictionary frequencies standing in for
    document frequencies: count in the text times log(total / frequency). Domain terms
    from ``zh_terms.txt`` score as the rarest words, so they lead when they occur.
    Stopwords, numbers, punctuation and single characters are dropped; English names
    inside the text (LLM, GPT-4, Qwen2.5-VL) are kept as written. Ties keep the order
    of first occurrence. Thread-safe.
    """
    if top_n <= 0 or not text_zh or not text_zh.strip():
        return []
    tokenizer = _get_tokenizer()
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for index, token in enumerate(_segments(text_zh)):
        token = token.strip()
        if not _keep_zh(token):
            continue
        counts[token] += 1
        first.setdefault(token, index)

    def weight(token: str) -> float:
        if token in _domain_terms:
            return _DOMAIN_TERM_WEIGHT
        freq = tokenizer.FREQ.get(token, 0)
        if freq <= 0:
            return _UNKNOWN_WORD_WEIGHT
        return math.log(tokenizer.total / freq)

    ranked = sorted(counts, key=lambda t: (-counts[t] * weight(t), first[t]))
    return ranked[:top_n]
