from __future__ import annotations

import hashlib

import pytest

from hf_daily.translate import source_hash
from hf_daily.translate.glossary import relevant_terms
from hf_daily.translate.prompts import build_messages, shared_messages
from hf_daily.translate.text import clean_output, group_sentences, join_translations, normalize_text, split_sentences


def test_source_hash_is_sha256_of_the_whitespace_normalised_text():
    assert source_hash("  Deep\n  learning\tworks ") == hashlib.sha256(b"Deep learning works").hexdigest()


def test_source_hash_ignores_rewrapping_but_not_content():
    wrapped = "We propose a method\nfor fast\n\ninference."
    assert source_hash(wrapped) == source_hash("We propose a method for fast inference.")
    assert source_hash(wrapped) == source_hash(wrapped)
    assert source_hash(wrapped) != source_hash("We propose a method for slow inference.")
    assert source_hash("Ünïcode 中文") == hashlib.sha256("Ünïcode 中文".encode()).hexdigest()


def test_split_sentences_keeps_abbreviations_numbers_and_urls_inside_sentences():
    text = (
        "We train a 1.5B model, e.g. Qwen2.5, as in Smith et al. 2024. "
        "Results improve by 3.2% (see Fig. 2)! Is it general? "
        "Code: https://github.com/x/y.git. Data and models are released."
    )
    assert split_sentences(text) == [
        "We train a 1.5B model, e.g. Qwen2.5, as in Smith et al. 2024.",
        "Results improve by 3.2% (see Fig. 2)!",
        "Is it general?",
        "Code: https://github.com/x/y.git.",
        "Data and models are released.",
    ]


def test_split_sentences_of_blank_text_is_empty():
    assert split_sentences(" \n ") == []
    assert normalize_text(" a \n b ") == "a b"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  强化学习的扩展  \n", "强化学习的扩展"),
        ('"强化学习的扩展"', "强化学习的扩展"),
        ("“强化学习的扩展”", "强化学习的扩展"),
        ("「强化学习的扩展」", "强化学习的扩展"),
        ("```\n强化学习的扩展\n```", "强化学习的扩展"),
        ("```text\n强化学习的扩展\n```", "强化学习的扩展"),
        ("翻译：强化学习的扩展", "强化学习的扩展"),
        ("**译文：** 强化学习的扩展", "强化学习的扩展"),
        ("Translation: 强化学习的扩展", "强化学习的扩展"),
        ("以下是翻译：\n\n强化学习的扩展", "强化学习的扩展"),
        ('Here is the translation:\n```\n"强化学习的扩展"\n```', "强化学习的扩展"),
    ],
)
def test_clean_output_strips_wrappers_models_add(raw, clean):
    assert clean_output(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "DeepSeek-R1：通过强化学习激励大语言模型的推理能力",  # a title's own colon
        '"A" 与 "B" 的比较',  # quotes that do not wrap the whole answer
        "我们提出了 `vLLM`，一个推理引擎。",
        "第一段。\n第二段。",  # line breaks that are not a lead-in
    ],
)
def test_clean_output_leaves_real_content_alone(text):
    assert clean_output(text) == text


def test_glossary_picks_only_terms_in_the_text_including_inflections():
    terms = relevant_terms("Fine-tuned agents on new benchmarks via reinforcement learning")
    assert terms["reinforcement learning"] == "强化学习"
    assert terms["agent"] == "智能体"
    assert terms["benchmark"] == "基准"
    assert "fine-tune" in terms
    assert "diffusion model" not in terms
    # "agent" and "token" inside other words do not count; "tokenizer" is a term of its own.
    assert relevant_terms("Magenta tokenizers") == {"tokenizer": "分词器"}


def test_prompt_names_the_kind_asks_for_translation_only_and_carries_relevant_terms():
    messages = build_messages("A multimodal agent benchmark", "title")
    system, user = messages[0], messages[-1]
    assert system["role"] == "system" and user["role"] == "user"
    # Between them, the worked title examples: the same for every title, so part of the shared prefix.
    assert messages[:-1] == build_messages("Another title", "title")[:-1] == shared_messages("title")
    assert "paper title" in system["content"] and "Simplified Chinese" in system["content"]
    assert "Output only the Chinese translation" in system["content"]
    # The terms go with the text, so the system message is the same for every title (a cacheable prefix).
    assert "multimodal = 多模态" in user["content"] and "agent = 智能体" in user["content"]
    assert "扩散模型" not in user["content"]
    assert user["content"].endswith("Text:\nA multimodal agent benchmark")
    assert build_messages("Plain text about diffusion models.", "title")[0] == system
    abstract_system, abstract_user = build_messages("Plain text.", "abstract")  # abstracts have no examples
    assert "paper abstract" in abstract_system["content"] and abstract_user["content"] == "Plain text."


def test_glossary_leaves_out_terms_found_only_inside_longer_ones():
    terms = relevant_terms("Large language models and supervised fine-tuning")
    assert "large language model" in terms and "language model" not in terms
    assert "supervised fine-tuning" in terms and "fine-tuning" not in terms


def test_group_sentences_joins_neighbours_up_to_the_limit_and_never_splits_a_sentence():
    text = "First one is short. Second one, e.g. with an abbreviation, is longer. Third. " + "Long " * 30 + "end."
    groups = group_sentences(text, 80)
    assert groups == ["First one is short. Second one, e.g. with an abbreviation, is longer. Third.",
                      ("Long " * 30 + "end.").strip()]
    assert " ".join(groups) == normalize_text(text)
    assert group_sentences("", 80) == []


def test_join_translations_glues_chinese_and_spaces_latin():
    assert join_translations(["第一句。", " 第二句。", "", "GPT-4o wins.", "Then more."]) == \
        "第一句。第二句。GPT-4o wins. Then more."

