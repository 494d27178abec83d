"""Writing published files: one atomic write for every file hf-daily publishes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Published files are for a web server and for other users to read: rw-r--r--, less what the umask takes away.
PUBLISHED_MODE = 0o644


def _umask() -> int:
    """The process's umask, read without changing it (os.umask can only read it by setting it, which races
    with other threads); the fallback sets it back at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: str | bytes) -> Path:
    """Write a file so that readers see the old or the new content, never a half-written one.

    The temporary file lies in the same folder, because a rename is atomic only within one file system;
    it is synced before the rename, so a crash cannot leave the new name on an empty file. mkstemp
    makes files private (0600): the mode is set to what a published file needs.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            os.fchmod(fd, PUBLISHED_MODE & ~_umask())
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform or file system lets a folder be synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
