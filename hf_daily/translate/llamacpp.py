"""Greedy decoding of many prompts at once on a GGUF model, with llama.cpp (through llama-cpp-python).

Why this runtime is the CPU default for GGUF models: llama.cpp reads the 4-bit weights as they
are (no conversion, half the memory traffic of int8), and decoding several sequences in one
``llama_decode`` call turns a memory-bound stream into compute-bound batches.

How a call runs (continuous batching, as llama.cpp's own server does it):

* the prompt part shared by every text of a kind (the system message) is evaluated once, in
  sequence 0, and copied into each slot's own KV stream by ``llama_memory_seq_cp``;
* up to ``n_seq`` texts decode at once, one per sequence id; a text's own prompt is fed in
  chunks in the same batches as the other slots' next tokens;
* when a text ends (an end-of-generation token or its length cap), its cells are freed and the
  next text takes the slot at once, so one long abstract never holds the others up.

Greedy (argmax) throughout: the same text gives the same translation, so the cache and reruns agree.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from hf_daily.translate.errors import TranslationModelError

INSTALL_HINT = (
    "install llama-cpp-python (it compiles llama.cpp, about 3 minutes on 2 cores): "
    "`CMAKE_ARGS=\"-DLLAVA_BUILD=OFF\" .venv/bin/pip install -e '.[model]'`, "
    "or choose runtime='ctranslate2' or 'transformers'"
)
# Tokens in one llama_decode call: the slots' next tokens plus chunks of the prompts being read.
BATCH_TOKENS = 512


def _api():
    try:
        from llama_cpp import llama_cpp as api
    except ImportError as exc:  # not installed, or its shared library does not load
        raise TranslationModelError(f"runtime='llamacpp' needs llama-cpp-python ({exc}): {INSTALL_HINT}") from exc
    global _log_callback
    if _log_callback is None:
        # llama.cpp writes every tensor it loads, and its warnings, to stderr: into our log instead.
        @api.llama_log_callback
        def _log_callback(level, text, _user_data):
            log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

        api.llama_log_set(_log_callback, None)
    return api


def kernels() -> str:
    """The CPU features llama.cpp's build uses, as llama.cpp reports them ("AVX2 = 1 | AVX512 = 1 | ...")."""
    return _api().llama_print_system_info().decode("utf-8", "replace")


def uses_avx512() -> bool:
    return "AVX512 = 1" in kernels()


def uses_amx() -> bool:
    return "AMX_INT8 = 1" in kernels()


# llama.cpp's names of the types ``requantize`` makes.
_FTYPES = {"q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0", "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0"}


def requantize(source: Path, target: Path, weights: str) -> None:
    """Write ``source`` (a GGUF) as ``target`` with its matrices in the llama.cpp type ``weights``."""
    import ctypes

    api = _api()
    params = api.llama_model_quantize_default_params()
    params.ftype = getattr(api, _FTYPES[weights])
    params.allow_requantize = True
    status = api.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if status != 0:
        raise TranslationModelError(f"llama.cpp could not requantize {source} to {weights} (status {status}): "
                                    "check the disk space under data/models, or set weights='as-is'")


_log_callback = None  # kept referenced: llama.cpp calls it for the life of the process
log = logging.getLogger(__name__)


@dataclass
class _Slot:
    seq: int
    index: int  # which prompt
    pending: list[int]  # prompt tokens not yet evaluated
    pos: int  # position of the next token fed
    cap: int
    out: list[int] = field(default_factory=list)
    row: int = -1  # batch row whose logits give this slot's next token; -1: none this step


class LlamaCppEngine:
    """One GGUF model and one llama.cpp context, reused for every call."""

    def __init__(self, gguf_path: str | Path, *, n_seq: int, seq_ctx: int, n_threads: int, gpu: bool = False) -> None:
        api = _api()
        self._api = api
        api.llama_backend_init()
        params = api.llama_model_default_params()
        if gpu and not api.llama_supports_gpu_offload():
            log.warning("llama-cpp-python was built without GPU support, so llama.cpp runs on the CPU: rebuild it "
                        "with CMAKE_ARGS=\"-DGGML_CUDA=on\" pip install --force-reinstall --no-cache-dir "
                        "llama-cpp-python==0.3.36")
        params.n_gpu_layers = 999 if gpu and api.llama_supports_gpu_offload() else 0
        if uses_amx():
            # llama.cpp's AMX matrix kernels crash on the first decode on some Sapphire Rapids machines
            # (seen here: SIGSEGV in llama_decode; ggml-org/llama.cpp#20824, unfixed). Without the "extra"
            # buffer types the weights stay in plain CPU buffers and the AVX-512 kernels run them.
            log.info("llama.cpp was built with AMX: its AMX weight buffers are left off (llama.cpp#20824)")
            params.use_extra_bufts = False
        model = api.llama_model_load_from_file(str(gguf_path).encode(), params)
        if not model:
            raise TranslationModelError(
                f"llama.cpp could not load {gguf_path}: the file is not a GGUF model it supports, or it is "
                "damaged. Delete it (the offline model is assembled again on the next run) or name another model."
            )
        self._model = model
        self.n_seq, self.seq_ctx = n_seq, seq_ctx
        cparams = api.llama_context_default_params()
        # Sequence 0 holds the shared prompt; 1..n_seq are the slots, each in a KV stream of its own.
        cparams.n_seq_max = n_seq + 1
        cparams.n_ctx = (n_seq + 1) * seq_ctx
        cparams.n_batch = BATCH_TOKENS
        cparams.n_ubatch = BATCH_TOKENS
        cparams.n_threads = cparams.n_threads_batch = n_threads
        # Not unified: each text attends over its own cells only. In one unified cache every token of a
        # batch is scored against all the slots' cells (masked), which for 16 abstracts costs as much
        # as the weights themselves (measured: 59 against 69 tokens/s on 2 cores).
        cparams.kv_unified = False
        cparams.no_perf = True
        ctx = api.llama_init_from_model(model, cparams)
        if not ctx:
            api.llama_model_free(model)
            raise TranslationModelError(
                f"llama.cpp could not make a context of {seq_ctx} tokens for each of {n_seq} sequences "
                "(out of memory?): "
                "lower batch_size or max_new_tokens."
            )
        self._ctx = ctx
        self._memory = api.llama_get_memory(ctx)
        self._vocab = api.llama_model_get_vocab(model)
        self.n_vocab = api.llama_vocab_n_tokens(self._vocab)
        self._batch = api.llama_batch_init(BATCH_TOKENS, 0, 1)

    def close(self) -> None:
        if getattr(self, "_ctx", None):
            self._api.llama_batch_free(self._batch)
            self._api.llama_free(self._ctx)
            self._api.llama_model_free(self._model)
            self._ctx = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass

    def ceilings(self, tokens: int = 256, steps: int = 48) -> dict[str, float]:
        """This machine's own bounds for these weights, in tokens/s.

        ``prompt``: one sequence's prompt read in one batch (compute bound: what decoding many texts
        together can approach); ``generate``: one stream, a token at a time after a prompt of ``tokens``
        (memory bound: what translating one text at a time gets). Best of two tries each.
        """
        api, memory = self._api, self._memory
        prompt = [(100 + i * 7) % 20000 + 100 for i in range(min(tokens, BATCH_TOKENS))]
        rates = {"prompt": 0.0, "generate": 0.0}
        for _ in range(2):
            api.llama_memory_clear(memory, True)
            started = time.perf_counter()
            self._decode([(t, i, 1, i == len(prompt) - 1) for i, t in enumerate(prompt)])
            rates["prompt"] = max(rates["prompt"], len(prompt) / (time.perf_counter() - started))
            token, started = self._argmax(len(prompt) - 1), time.perf_counter()
            for step in range(steps):
                self._decode([(token, len(prompt) + step, 1, True)])
                token = self._argmax(0)
            rates["generate"] = max(rates["generate"], steps / (time.perf_counter() - started))
        api.llama_memory_clear(memory, True)
        return rates

    def is_end(self, token: int) -> bool:
        return bool(self._api.llama_vocab_is_eog(self._vocab, token))

    # --- decoding --------------------------------------------------------------------------------

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """Evaluate (token, position, sequence, wants_logits) items in one llama_decode call."""
        batch = self._batch
        for i, (token, pos, seq, logits) in enumerate(items):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits
        batch.n_tokens = len(items)
        status = self._api.llama_decode(self._ctx, batch)
        if status != 0:
            raise RuntimeError(f"llama_decode failed with status {status} (KV cache full or an internal error)")

    def _argmax(self, row: int) -> int:
        import numpy as np

        pointer = self._api.llama_get_logits_ith(self._ctx, row)
        return int(np.ctypeslib.as_array(pointer, shape=(self.n_vocab,)).argmax())

    def _close_gaps(self, active: list[_Slot], free_seqs: list[int]) -> None:
        """Move the slots with the highest sequence ids into the free ids below them.

        As texts end with no new ones to start, the ids in use get gaps (1, 4, 9), and llama.cpp then runs
        one micro-batch per run of ids: a step of 4 slots cost 233 ms against 66 ms for one slot and 268 ms
        for 16 in one run (measured on a 6-paper day). Moving a slot copies its KV stream once, in the next
        llama_decode, which costs less than one extra micro-batch.
        """
        api, memory = self._api, self._memory
        by_seq = sorted(active, key=lambda s: s.seq)
        while free_seqs and by_seq and free_seqs[0] < by_seq[-1].seq:
            slot, target = by_seq.pop(), heapq.heappop(free_seqs)
            api.llama_memory_seq_cp(memory, slot.seq, target, -1, -1)
            api.llama_memory_seq_rm(memory, slot.seq, -1, -1)
            heapq.heappush(free_seqs, slot.seq)
            slot.seq = target

    def generate(
        self, prompts: Sequence[list[int]], shared: list[int], caps: Sequence[int],
        on_done: Callable[[int], None] | None = None,
        then: Callable[[int, list[int]], tuple[list[int], int] | None] | None = None,
    ) -> tuple[list[list[int]], dict[int, list[int]]]:
        """Greedy continuations of ``shared + prompt`` for each prompt, each at most its cap in tokens.

        ``on_done(i)`` is called as text ``i`` finishes (its second try, if any, still to come).
        ``then(i, tokens)``, called as text ``i`` finishes, may return a second (prompt, cap) for it: that
        one joins the queue of the same run, so a retry keeps the slots busy instead of waiting for a
        second run. Returns the continuations, and the second ones by text.
        """
        prompts, caps, n = list(prompts), list(caps), len(prompts)
        parent: dict[int, int] = {}  # second job -> its text
        api, memory = self._api, self._memory
        api.llama_memory_clear(memory, True)
        for start in range(0, len(shared), BATCH_TOKENS):
            chunk = shared[start:start + BATCH_TOKENS]
            self._decode([(t, start + i, 0, False) for i, t in enumerate(chunk)])
        base = len(shared)
        # Texts that can never fit the context are refused before any work, with what to change.
        budget = self.seq_ctx - base

        def check_fits(prompt: list[int], cap: int) -> None:
            if not prompt:  # a slot's first output needs the logits of its prompt's last token
                raise ValueError("every prompt needs at least one token after the shared part")
            if len(prompt) + cap > budget:
                raise TranslationModelError(
                    f"a text of {len(prompt)} prompt tokens (+{cap} to generate) does not fit llama.cpp's "
                    f"context of {self.seq_ctx} tokens per text; lower max_new_tokens or raise the context")

        for prompt, cap in zip(prompts, caps):
            check_fits(prompt, cap)
        # Longest first: the last texts to start are the short ones, so few slots sit idle at the end.
        queue = deque(sorted(range(len(prompts)), key=lambda i: -(len(prompts[i]) + caps[i])))
        free_seqs = list(range(1, self.n_seq + 1))  # a heap of the free sequence ids
        active: list[_Slot] = []
        results: list[list[int]] = [[] for _ in prompts]
        while queue or active:
            while queue and free_seqs:
                index = queue.popleft()
                seq = heapq.heappop(free_seqs)  # the lowest free id: the slots in use stay one run of ids
                if base:
                    api.llama_memory_seq_cp(memory, 0, seq, -1, -1)
                active.append(_Slot(seq, index, list(prompts[index]), base, caps[index]))
            if not queue:
                self._close_gaps(active, free_seqs)
            fed: dict[int, list[tuple[int, int, int, bool]]] = {}
            room = BATCH_TOKENS
            # Generating slots first (one token each), then prompt chunks in the room left.
            for slot in sorted(active, key=lambda s: bool(s.pending)):
                if not slot.pending:
                    fed[slot.seq] = [(slot.out[-1], slot.pos, slot.seq, True)]
                elif room > 0:
                    chunk, slot.pending = slot.pending[:room], slot.pending[room:]
                    # The prompt is in when its last chunk is: that token's logits give the first output.
                    fed[slot.seq] = [(t, slot.pos + i, slot.seq, not slot.pending and i == len(chunk) - 1)
                                     for i, t in enumerate(chunk)]
                else:
                    continue
                slot.pos += len(fed[slot.seq])
                room -= len(fed[slot.seq])
            # In sequence order: llama.cpp splits a batch over separate KV streams into micro-batches that
            # each take one run of consecutive sequence ids, so slots fed out of order were computed one
            # micro-batch each (measured: 16 slots cost 2.5x as much as in order).
            items: list[tuple[int, int, int, bool]] = []
            for slot in sorted(active, key=lambda s: s.seq):
                items += fed.get(slot.seq, [])
                slot.row = len(items) - 1 if slot.seq in fed and items[-1][3] else -1
            self._decode(items)
            still = []
            for slot in active:
                if slot.row < 0:
                    still.append(slot)
                    continue
                token = self._argmax(slot.row)
                ended = self.is_end(token)
                if not ended:
                    slot.out.append(token)
                if ended or len(slot.out) >= slot.cap:
                    results[slot.index] = slot.out
                    api.llama_memory_seq_rm(memory, slot.seq, -1, -1)
                    heapq.heappush(free_seqs, slot.seq)
                    second = then(slot.index, slot.out) if then is not None and slot.index < n else None
                    if second is not None:
                        check_fits(*second)
                        parent[len(prompts)] = slot.index
                        prompts.append(second[0])
                        caps.append(second[1])
                        results.append([])
                        queue.append(len(prompts) - 1)
                    if slot.index < n and on_done is not None:
                        on_done(slot.index)
                else:
                    still.append(slot)
            active = still
        return results[:n], {text: results[job] for job, text in parent.items()}
