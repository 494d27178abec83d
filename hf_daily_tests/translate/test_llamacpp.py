"""The llama.cpp runtime on a tiny GGUF built in the test run: held to the transformers reference."""

from __future__ import annotations

import importlib.util

import pytest

from hf_daily.translate import TranslationModelError, TranslatorConfig, load_translator
from hf_daily.translate.causal import resolve_runtime
from hf_daily.translate.llamacpp import LlamaCppEngine
from hf_daily.translate.prompts import PROMPT_VERSION
from hf_daily_tests.factories import ABSTRACTS, TITLES

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None,
    reason="llama-cpp-python is not installed: .venv/bin/pip install -e '.[test]' builds it",
)


def _gguf(tiny_gguf, runtime="llamacpp", **kwargs):
    kwargs.setdefault("data_dir", str(tiny_gguf.parent / "data"))
    kwargs.setdefault("max_new_tokens", 12)
    return load_translator(TranslatorConfig(model=str(tiny_gguf.parent), gguf_file=tiny_gguf.name, runtime=runtime,
                                            **kwargs))


# The random tiny model meets a near tie on "Attention Is All You Need" (top-two margin 0.04 at its
# third token), which float rounding decides either way; every other text is decided clearly.
CLEAR_TITLES = TITLES[:5]


@pytest.fixture(scope="module", autouse=True)
def no_title_retries():
    # The random model's titles drop every word (and its texts leave English), so each would be tried again
    # with a new prompt, and the near ties of those prompts are float rounding's to decide. The retry policy
    # has tests of its own (test_english_retry.py, test_openai.py).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("hf_daily.translate.base.dropped_words", lambda source, translation: [])
        patch.setattr("hf_daily.translate.base.adds_colon", lambda source, translation: False)
        patch.setattr("hf_daily.translate.base.english_left", lambda source, translation: [])
        yield


@pytest.fixture(scope="module")
def reference(tiny_gguf, no_title_retries):
    """The transformers runtime's greedy outputs for the same GGUF weights."""
    translator = _gguf(tiny_gguf, runtime="transformers", batch_size=1)
    return {"title": translator.translate(CLEAR_TITLES, "title"),
            "abstract": translator.translate(ABSTRACTS, "abstract")}


def test_gives_the_transformers_reference_outputs(tiny_gguf, reference):
    translator = _gguf(tiny_gguf)
    assert translator.model_id.startswith("causal-llamacpp:") and translator.model_id.endswith(f"#{PROMPT_VERSION}")
    assert translator.translate(CLEAR_TITLES, "title") == reference["title"]
    assert translator.translate(ABSTRACTS, "abstract") == reference["abstract"]
    assert all(reference["title"]) and all(reference["abstract"])
    # The name before a title's colon is kept as written and not given to the model.
    assert reference["title"][3].startswith("LoRA：")


@pytest.mark.parametrize("batch_size", [1, 2, 16])
def test_the_number_of_slots_does_not_change_a_translation(tiny_gguf, reference, batch_size):
    # Slots are reused as texts end, and every slot shares the system prompt's cells.
    translator = _gguf(tiny_gguf, batch_size=batch_size)
    assert translator.translate(ABSTRACTS + TITLES, "abstract") == translator.translate(ABSTRACTS + TITLES, "abstract")
    assert translator.translate(ABSTRACTS, "abstract") == reference["abstract"]


def _record_steps(monkeypatch) -> list[list[int]]:
    """The sequence ids of each llama_decode call from now on, in the order the call lists its tokens,
    leaving out the calls that read the shared prompt (sequence 0)."""
    steps: list[list[int]] = []
    decode = LlamaCppEngine._decode

    def recorded(self, items):
        seqs = [seq for _token, _pos, seq, _logits in items]
        if 0 not in seqs:
            steps.append(seqs)
        decode(self, items)

    monkeypatch.setattr(LlamaCppEngine, "_decode", recorded)
    return steps


def test_each_step_feeds_the_slots_in_sequence_order(tiny_gguf, reference, monkeypatch):
    # llama.cpp computes a batch over separate KV streams one run of consecutive sequence ids at a time, so
    # a step fed out of order costs a micro-batch per slot: 2.5x the time for 16 slots on a CPU.
    steps = _record_steps(monkeypatch)
    assert _gguf(tiny_gguf, batch_size=3).translate(ABSTRACTS, "abstract") == reference["abstract"]
    assert steps and all(seqs == sorted(seqs) for seqs in steps)
    full = [sorted(set(seqs)) for seqs in steps if len(set(seqs)) == 3]
    assert full and all(ids == [1, 2, 3] for ids in full)  # the slots in use are one run of ids


def test_a_slot_moves_down_into_the_id_its_neighbour_left(tiny_gguf, monkeypatch):
    # As the last texts end at different steps, the ids in use would get gaps (1, 3), and llama.cpp runs a
    # micro-batch per run of ids; the slot above a gap moves down into it, and its text comes out the same.
    engine = LlamaCppEngine(tiny_gguf, n_seq=3, seq_ctx=256, n_threads=1)
    # Longest first: text 0 takes id 1 and ends first, which leaves ids 2 and 3 in use (text 1 and text 2).
    prompts, caps = [[10] * 20, [11] * 5, [12] * 6], [2, 9, 6]
    alone = [engine.generate([p], [1, 2, 3], [c])[0][0] for p, c in zip(prompts, caps)]
    steps = _record_steps(monkeypatch)
    together, _ = engine.generate(prompts, [1, 2, 3], caps)
    assert together == alone and [len(t) for t in together] == caps
    runs = [sorted(set(seqs)) for seqs in steps]
    assert all(ids == list(range(1, len(ids) + 1)) for ids in runs)
    assert {len(ids) for ids in runs} == {1, 2, 3}


def test_reports_each_text_as_it_ends(tiny_gguf):
    calls = []
    _gguf(tiny_gguf, batch_size=2).translate(ABSTRACTS, "abstract", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(n, len(ABSTRACTS)) for n in range(1, len(ABSTRACTS) + 1)]


def test_reports_a_text_split_into_sentences_when_all_its_pieces_end(tiny_gguf):
    # Three copies of an abstract are about 450 characters: two groups of sentences each.
    long = [" ".join([a] * 3) for a in ABSTRACTS[:3]]
    translator = _gguf(tiny_gguf, batch_size=2, abstract_units="sentences")
    assert all(len(translator._units(a, "abstract")) == 2 for a in long)
    calls = []
    translator.translate(long, "abstract", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]  # each as it completes, not one report at the end


def test_caps_each_text_at_max_new_tokens(tiny_gguf):
    engine = _gguf(tiny_gguf, max_new_tokens=3)
    engine.translate(["warm-up"], "title")
    prompts = [engine._prompt_ids(t, "abstract") for t in ABSTRACTS]
    static, rest = engine._split_static(prompts, "abstract")
    assert static and all(len(r) < len(p) for r, p in zip(rest, prompts))
    outputs, second = engine._engine.generate(rest, static, [3, 1, 2, 3, 1, 2])
    assert [len(o) <= c for o, c in zip(outputs, [3, 1, 2, 3, 1, 2])] == [True] * 6
    assert all(outputs) and second == {}


def test_a_second_try_runs_in_the_same_batch_and_is_returned_by_text(tiny_gguf):
    engine = LlamaCppEngine(tiny_gguf, n_seq=2, seq_ctx=512, n_threads=1)
    prompts = [[10 + i] * (5 + i) for i in range(4)]
    asked, done = [], []

    def then(i, tokens):
        asked.append(i)
        return (prompts[3], 4) if i == 1 else None  # text 1 is tried again with text 3's prompt

    first, second = engine.generate(prompts, [1, 2, 3], [4] * 4, on_done=done.append, then=then)
    assert sorted(asked) == [0, 1, 2, 3] and sorted(done) == [0, 1, 2, 3]  # a second try is not a text of its own
    assert list(second) == [1] and second[1] == first[3]  # greedy: the same prompt gives the same tokens
    alone, _ = engine.generate(prompts[:1], [1, 2, 3], [4])
    assert alone[0] == first[0]


def test_prepares_the_tokenizer_once(tiny_gguf, tmp_path):
    _gguf(tiny_gguf, data_dir=str(tmp_path)).translate(["A title"], "title")
    (folder,) = (tmp_path / "models" / "prepared").glob("*-tokenizer")
    stamp = (folder / ".prepared.json").stat().st_mtime_ns
    _gguf(tiny_gguf, data_dir=str(tmp_path)).translate(["A title"], "title")
    assert (folder / ".prepared.json").stat().st_mtime_ns == stamp
    # llama.cpp reads the GGUF as it is: nothing is dequantized or converted.
    assert not list((tmp_path / "models" / "prepared").glob("*-hf")) and not list(
        (tmp_path / "models" / "prepared").glob("*-ct2-*"))


def test_auto_picks_llama_cpp_for_a_gguf_model_only(tiny_gguf, tiny_causal_lm):
    assert resolve_runtime(TranslatorConfig(model=str(tiny_gguf.parent), gguf_file=tiny_gguf.name)) == "llamacpp"
    assert resolve_runtime(TranslatorConfig()) == "llamacpp"  # the offline default is a GGUF
    assert resolve_runtime(TranslatorConfig(model=str(tiny_causal_lm))) != "llamacpp"
    with pytest.raises(ValueError, match="runtime='llamacpp' runs GGUF models"):
        load_translator(TranslatorConfig(model=str(tiny_causal_lm), runtime="llamacpp"))


def test_a_damaged_gguf_is_a_model_error_naming_the_file(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(TranslationModelError, match="broken.gguf"):
        LlamaCppEngine(bad, n_seq=1, seq_ctx=256, n_threads=1)


def test_a_text_too_long_for_the_context_is_refused_before_any_work(tiny_gguf):
    engine = LlamaCppEngine(tiny_gguf, n_seq=2, seq_ctx=64, n_threads=1)
    with pytest.raises(TranslationModelError, match="does not fit llama.cpp's context of 64 tokens per text"):
        engine.generate([[5] * 40], [1, 2, 3], [30])
    assert engine.generate([[5] * 10], [1, 2, 3], [4])[0] != [[]]


def test_requantized_weights_are_made_once_and_named_in_the_model_id(tiny_gguf, tmp_path):
    translator = _gguf(tiny_gguf, data_dir=str(tmp_path), weights="q8_0")
    assert translator.model_id.startswith("causal-llamacpp-q8_0:")
    first = translator.translate(CLEAR_TITLES, "title")
    (made,) = (tmp_path / "models" / "prepared").glob("*-q8_0/model.gguf")
    stamp = made.stat().st_mtime_ns
    again = _gguf(tiny_gguf, data_dir=str(tmp_path), weights="q8_0")
    assert again.translate(CLEAR_TITLES, "title") == first and all(first)
    assert made.stat().st_mtime_ns == stamp
    # 8-bit weights: a quarter of the f32 file, and llama.cpp reads them.
    assert made.stat().st_size < tiny_gguf.stat().st_size / 2


def test_auto_weights_run_a_chosen_gguf_as_it_is(tiny_gguf):
    translator = _gguf(tiny_gguf)
    assert translator.weights == "as-is" and translator.model_id.startswith("causal-llamacpp:")
    with pytest.raises(ValueError, match="weights must be one of"):
        TranslatorConfig(weights="q5_k")


def test_auto_weights_of_the_offline_model_follow_the_cpu_kernels(monkeypatch):
    from hf_daily.translate import causal, llamacpp

    monkeypatch.setattr(llamacpp, "kernels", lambda: "CPU : AVX2 = 1 | AVX512 = 1 | REPACK = 1")
    assert causal.resolve_weights(TranslatorConfig(), "llamacpp") == "q4_0"
    monkeypatch.setattr(llamacpp, "kernels", lambda: "CPU : AVX2 = 1 | FMA = 1 | REPACK = 1")
    assert causal.resolve_weights(TranslatorConfig(), "llamacpp") == "as-is"
    assert causal.resolve_weights(TranslatorConfig(weights="q8_0"), "llamacpp") == "q8_0"
    assert causal.resolve_weights(TranslatorConfig(), "transformers") == "as-is"


def test_measures_the_machines_ceilings(tiny_gguf):
    engine = LlamaCppEngine(tiny_gguf, n_seq=2, seq_ctx=512, n_threads=1)
    rates = engine.ceilings(tokens=64, steps=8)
    # Reading a prompt in one batch is faster per token than generating one token at a time.
    assert rates["prompt"] > rates["generate"] > 0
    # The measurement leaves the cache empty: a later generation is unaffected.
    assert engine.generate([[5] * 10], [1, 2, 3], [4])[0] == LlamaCppEngine(
        tiny_gguf, n_seq=2, seq_ctx=512, n_threads=1).generate([[5] * 10], [1, 2, 3], [4])[0]
