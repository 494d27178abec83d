from __future__ import annotations

import pytest

from hf_daily.translate.quality import check_paper, check_translation, source_names, translation_stats

SOURCE = (
    "We present REINFORCE++, which improves GPT-4o by 3.5% on 1,000 prompts. "
    "Code is available at https://github.com/OpenRLHF/OpenRLHF."
)
GOOD = "我们提出了REINFORCE++，它在1000个提示上将GPT-4o的性能提高了3.5%。代码见https://github.com/OpenRLHF/OpenRLHF。"


def test_a_faithful_translation_passes():
    assert check_translation(SOURCE, GOOD, "abstract") == []
    stats = translation_stats(SOURCE, GOOD)
    assert (stats.numbers, stats.numbers_kept, stats.urls_kept, stats.untranslated_words) == (2, 2, 1, 0)
    assert stats.names == stats.names_kept and "REINFORCE++" in source_names(SOURCE)


def test_lost_numbers_urls_and_names_are_listed():
    bad = "我们提出了一种方法，它将性能提高了很多。代码已开源。"
    problems = check_translation(SOURCE, bad, "abstract")
    assert any(p.startswith("numbers lost: ") and "3.5" in p and "1,000" in p for p in problems)  # as the source writes it
    assert any(p.startswith("URLs lost: https://github.com/OpenRLHF/OpenRLHF") for p in problems)
    assert any("names lost" in p and "GPT-4o" in p for p in problems)


def test_english_left_untranslated_is_flagged():
    half = "我们提出了REINFORCE++。 Code is available at the repository and we hope it helps https://github.com/OpenRLHF/OpenRLHF"
    problems = check_translation(SOURCE + " More.", half, "abstract")
    assert any(p.startswith("English left untranslated") for p in problems)
    assert check_translation(SOURCE, SOURCE, "abstract")[0].startswith("too little Chinese")


def test_names_acronyms_and_small_numbers_in_chinese_are_not_errors():
    source = "Stage 2 trains LLMs with LLM-based rewards on the MMLU benchmark."
    assert check_translation(source, "第二阶段用基于大语言模型的奖励在MMLU基准上训练大语言模型。", "abstract") == []
    assert "LLMs" not in source_names(source) and "MMLU" in source_names(source)


def test_summaries_loops_and_empty_outputs_are_flagged():
    long_source = " ".join(["We study how models learn from data in many settings."] * 8)
    assert any("too short" in p for p in check_translation(long_source, "我们研究模型。", "abstract"))
    assert any("repeats itself" in p for p in check_translation("A title", "模型学习数据" * 6, "title"))
    assert check_translation("A title", "  ", "title") == ["empty translation"]
    assert check_translation("", "", "abstract") == []


def test_check_paper_prefixes_the_field():
    problems = check_paper("GPT-4o at Scale", "We train it.", "大规模模型", "我们训练它。")
    assert problems == ["title: names lost: GPT-4o"]


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError):
        check_translation("a", "b", "body")


def test_variables_and_enumerators_of_the_source_are_symbols_not_english_left():
    source = "We (i) embed each token in d dimensions and (iii) keep the top-k of a set of size N."
    kept = "我们（i）将每个token嵌入d维，并（iii）保留大小为N的集合中的top-k。"
    assert translation_stats(source, kept).english_left == []
    # A letter the source does not use as a symbol, and the article "a", are still English left.
    left = translation_stats(source, "我们（i）将每个token嵌入d维，并保留 a 集合中的 x。")
    assert left.english_left == ["a", "x"] and left.untranslated_words == 2


@pytest.mark.parametrize("translation", ["超过72,000个表达，共2000个视频。", "超过7.2万个表达，共2千个视频。", "超过72K个表达，共2k个视频。"])
def test_a_count_with_a_magnitude_suffix_may_be_written_out(translation):
    source = "A dataset of over 72k expressions in 2k videos."
    assert translation_stats(source, translation).lost_names == []


@pytest.mark.parametrize("translation", ["超过72个表达，共2000个视频。", "超过17.2万个表达，共2000个视频。", "超过720,000个表达，共2000个视频。"])
def test_a_count_written_out_wrong_is_still_lost(translation):
    assert translation_stats("A dataset of over 72k expressions in 2k videos.", translation).lost_names == ["72k"]


def test_a_large_number_may_be_written_with_a_chinese_unit():
    source = "We collect 1,200,000 images and 20,000 captions."
    assert translation_stats(source, "我们收集了120万张图像和2万条描述。").lost_numbers == []
    assert translation_stats(source, "我们收集了12万张图像和2万条描述。").lost_numbers == ["1,200,000"]
