"""Tiny stand-ins for real translation models, built in the test run (no downloads).

They are saved with ``save_pretrained`` so that the translator loads them
through exactly the ``from_pretrained`` path it uses for real models. Their
weights are random (seeded, so outputs are deterministic); their generation
configs only allow Chinese characters and cap the length, so every
"translation" is a short, non-empty string of Chinese characters that depends
on the input, and a few titles and abstracts translate in well under a second.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

# Common characters, including those of the translator's glossary terms.
CHINESE_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性"
    "好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第"
    "向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管"
    "特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处"
    "模型语言智能体扩散多态基准微调强化学习推理数据集训练预后生成检索增对齐幻觉奖励注意力混合专家嵌入零样本少蒸馏"
    "量缩放定律上下文窗口视觉图频开源消融最先进"
)

ENGLISH_CORPUS = [
    "We propose a new method for training large language models with reinforcement learning.",
    "Our multimodal agent achieves state-of-the-art results on a challenging benchmark.",
    "Diffusion models generate high quality images from text prompts.",
    "Fine-tuning on a small dataset improves reasoning and reduces hallucination.",
    "Translate the English paper title into fluent Simplified Chinese.",
    "Keep the names of models, datasets, methods and benchmarks, code, numbers and URLs exactly as written.",
    "Output only the Chinese translation: no explanations, notes, quotation marks or Markdown.",
    "You are a professional translator of machine-learning research papers.",
    "Experiments show that the approach scales to 70B parameters and 1,000 GPUs (see https://example.com).",
    "Translate the whole abstract sentence by sentence; do not summarize, add or omit anything.",
]

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_SEED = 1234
# Kept small so tests stay fast; the translator caps generation at the smaller
# of this and its own max_new_tokens.
GENERATION_MAX_NEW_TOKENS = 8


def _is_cjk(piece: str) -> bool:
    return len(piece) == 1 and "\u4e00" <= piece <= "\u9fff"


def _chinese_only_generation(vocab: dict[str, int], *, eos_id: int, pad_id: int, decoder_start: int | None = None):
    from transformers import GenerationConfig

    # Suppressing everything but Chinese characters (and EOS, once min_new_tokens
    # is reached) keeps the random model's output decodable and visibly Chinese.
    suppress = sorted(i for piece, i in vocab.items() if i != eos_id and not _is_cjk(piece.lstrip("▁")))
    kwargs = {"decoder_start_token_id": decoder_start} if decoder_start is not None else {}
    return GenerationConfig(
        do_sample=False,
        num_beams=1,
        max_new_tokens=GENERATION_MAX_NEW_TOKENS,
        min_new_tokens=3,
        suppress_tokens=suppress,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        **kwargs,
    )


def _seeded(build):
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_SEED)
        return build()


def build_tiny_causal_lm(path: Path) -> Path:
    """Save a tiny Qwen2 chat model (random weights, ChatML template, BPE tokenizer) in ``path``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<unk>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    # Chinese characters go in the alphabet, not the corpus, so each stays one token.
    alphabet = sorted(set(CHINESE_CHARS) | {chr(c) for c in range(32, 127)} | {"→", "▁"})
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials, initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(ENGLISH_CORPUS, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<unk>",
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )
    tokenizer.save_pretrained(path)
    vocab = tok.get_vocab()

    config = Qwen2Config(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        # Large init so attention mixes the input into the last position and
        # different inputs give different outputs.
        initializer_range=0.5,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=vocab["<|im_end|>"],
        pad_token_id=vocab["<|endoftext|>"],
    )
    model = _seeded(lambda: Qwen2ForCausalLM(config))
    model.generation_config = _chinese_only_generation(vocab, eos_id=vocab["<|im_end|>"], pad_id=vocab["<|endoftext|>"])
    model.save_pretrained(path)
    return path


MARIAN_CORPUS = ENGLISH_CORPUS + [
    "我们提出了一种使用强化学习训练大语言模型的新方法。",
    "我们的多模态智能体在具有挑战性的基准上取得了最先进的结果。",
    "扩散模型根据文本提示生成高质量图像。",
    "在小数据集上微调可以提高推理能力并减少幻觉。",
    CHINESE_CHARS,
]


def build_tiny_marian(path: Path) -> Path:
    """Save a tiny MarianMT model with a sentencepiece vocabulary trained here, in ``path``."""
    import sentencepiece as spm
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(MARIAN_CORPUS),
        model_writer=buffer,
        vocab_size=400,
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type="unigram",
        # Marian's ids come from vocab.json; the spm model only segments.
        unk_id=0, bos_id=-1, eos_id=-1, pad_id=-1,
        minloglevel=2,
    )
    spm_bytes = buffer.getvalue()
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes(spm_bytes)
    processor = spm.SentencePieceProcessor(model_proto=spm_bytes)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    # opus-mt layout: </s> and <unk> first, <pad> last.
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in pieces:
        if piece not in vocab and piece not in ("<unk>", "<s>", "<pad>"):
            vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))

    tokenizer = MarianTokenizer(
        source_spm=str(path / "source.spm"),
        target_spm=str(path / "target.spm"),
        vocab=str(path / "vocab.json"),
        source_lang="en",
        target_lang="zh",
        model_max_length=512,
    )
    tokenizer.save_pretrained(path)

    pad_id, eos_id = vocab["<pad>"], vocab["</s>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=512,
        init_std=0.5,
        pad_token_id=pad_id,
        eos_token_id=eos_id,
        forced_eos_token_id=eos_id,
        decoder_start_token_id=pad_id,
        share_encoder_decoder_embeddings=True,
    )
    model = _seeded(lambda: MarianMTModel(config))
    model.generation_config = _chinese_only_generation(vocab, eos_id=eos_id, pad_id=pad_id, decoder_start=pad_id)
    model.save_pretrained(path)
    return path


ROPE_THETA = 10000.0


def build_tiny_gguf(folder: Path, name: str = "tiny-qwen2-f32.gguf") -> Path:
    """Write a tiny Qwen2 chat model as a GGUF file (f32, byte-level BPE, ChatML), as llama.cpp reads them.

    The same weights load in transformers (its GGUF reader dequantizes them), so the llama.cpp
    runtime and the transformers reference can be held to the same greedy outputs.
    """
    import gguf
    import numpy as np
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2Config, Qwen2ForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(ENGLISH_CORPUS + [CHINESE_CHARS], trainer=trainer)
    state = json.loads(tok.to_str())
    vocab = state["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    merges = [m if isinstance(m, str) else " ".join(m) for m in state["model"]["merges"]]
    eos, pad = vocab["<|im_end|>"], vocab["<|endoftext|>"]

    config = Qwen2Config(
        rope_parameters={"rope_type": "default", "rope_theta": ROPE_THETA},
        vocab_size=len(tokens), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096, rms_norm_eps=1e-6,
        initializer_range=0.5, tie_word_embeddings=False, eos_token_id=eos, pad_token_id=pad,
    )
    model = _seeded(lambda: Qwen2ForCausalLM(config))
    weights = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}

    path = folder / name
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_name("tiny-qwen2")
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(ROPE_THETA)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL if t in specials else gguf.TokenType.NORMAL for t in tokens])
    writer.add_token_merges(merges)
    writer.add_eos_token_id(eos)
    writer.add_pad_token_id(pad)
    writer.add_bos_token_id(pad)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    parts = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
             "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm",
             "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
    for key, value in weights.items():
        if key in names:
            target = names[key]
        else:
            _, _, layer, *rest = key.split(".")
            module, kind = ".".join(rest[:-1]), rest[-1]
            target = f"blk.{layer}.{parts[module]}.{kind}"
        writer.add_tensor(target, np.ascontiguousarray(value, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
