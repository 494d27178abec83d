"""The house style: the glossary's terms enforced on a translation."""

from __future__ import annotations

from hf_daily.translate.glossary import apply_house_style, relevant_terms


def test_terms_kept_in_english_stay_english_and_the_tokenizer_is_one_word():
    source = "A tokenizer turns text into tokens for the agent."
    assert apply_house_style(source, "令牌化器把文本变成令牌，供代理使用。") == "分词器把文本变成token，供智能体使用。"


def test_a_rendering_is_replaced_only_where_the_source_uses_the_term():
    assert apply_house_style("We train a proxy model for the agent.", "我们为智能体训练一个代理模型。") == \
        "我们为智能体训练一个代理模型。"
    assert apply_house_style("A commercial agent.", "一个代理商。") == "一个智能体。"
    assert apply_house_style("A lock with a key.", "令牌锁") == "令牌锁"


def test_glossary_terms_left_in_english_are_translated_and_names_are_not():
    out = apply_house_style("A scalable method with Latent codes.", "一种scalable的方法，使用Latent编码和pretrained模型。")
    assert out == "一种可扩展的方法，使用Latent编码和预训练的模型。"


def test_each_term_is_spelled_one_way():
    assert apply_house_style("Large language models", "大型语言模型与大规模语言模型") == "大语言模型与大语言模型"


def test_the_prompt_names_the_terms_a_title_uses():
    assert relevant_terms("Latent Implicit Visual Reasoning") == {"reasoning": "推理", "latent": "潜在",
                                                                  "implicit": "隐式"}


def test_no_space_is_left_where_an_english_word_became_chinese():
    assert apply_house_style("a scalable, memory-driven framework", "一个用于 scalable 的、记忆驱动的框架") == \
        "一个用于可扩展的、记忆驱动的框架"
    # Spaces beside Latin text stay: they are the model's and readable.
    assert apply_house_style("We use GPT-4o.", "我们使用 GPT-4o 模型。") == "我们使用 GPT-4o 模型。"


def test_ordinary_words_a_model_leaves_are_translated_in_place():
    source = "Unlike prior work, it gives promising results with a 3D-aware, high-quality backbone."
    out = apply_house_style(source, "unlike以往的工作，它用 3D-aware、高-quality 的 backbone 取得了 promising的结果。")
    assert out == "不同于以往的工作，它用 3D感知、高质量的主干取得了有前景的结果。"
    # A word glued to the digits after it is still a word; one after digits or a hyphen belongs to a name.
    assert apply_house_style("It is inherently 3D-aware.", "它 inherently3D-aware。") == "它本质上3D感知。"
    assert apply_house_style("x", "Qwen2-robust 与 v2robust") == "Qwen2-robust 与 v2robust"


def test_words_inside_urls_are_left_as_written():
    source = "Code: https://efficient-vit.github.io/robust and www.sparse.ai"
    out = apply_house_style(source, "代码：https://efficient-vit.github.io/robust 与 www.sparse.ai，以及 robust 基线")
    assert out == "代码：https://efficient-vit.github.io/robust 与 www.sparse.ai，以及鲁棒的基线"
