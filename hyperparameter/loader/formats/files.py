"""Reading a config file: only regular files, at most :data:`MAX_FILE_BYTES` (refused
before reading, as a located ``unreadable`` error)."""

from __future__ import annotations

import errno
import os
import stat

from ...errors import ConfigFileError
from .common import MAX_FILE_BYTES


def max_file_bytes() -> int:
    """The size limit of :func:`read_bytes`: ``HYPERPARAMETER_MAX_FILE_BYTES`` when set (a
    positive integer, bytes), else :data:`MAX_FILE_BYTES`."""
    text = os.environ.get("HYPERPARAMETER_MAX_FILE_BYTES", "").strip()
    if not text:
        return MAX_FILE_BYTES
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit <= 0:
        raise ValueError(
            f"HYPERPARAMETER_MAX_FILE_BYTES must be a positive number of bytes, not {text!r}"
        )
    return limit


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of ``path``; an unreadable file is a :class:`ConfigFileError`.

    Only a regular file is read, and only up to :func:`max_file_bytes`: a FIFO, a socket, a
    device (``/dev/zero``, ``/dev/urandom``) or a directory, also through a symlink, and a file
    over the limit are refused before anything is read, so none can hang or exhaust memory.
    """
    name = os.fspath(path)
    limit = max_file_bytes()
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        fd = os.open(name, os.O_RDONLY | _OPEN_FLAGS)
    except OSError as e:
        raise ConfigFileError(f"cannot read the file: {e.strerror or e}", name) from None
    try:
        info = os.fstat(fd)  # the opened file itself: no race with a swapped symlink
        if stat.S_ISDIR(info.st_mode):
            raise ConfigFileError(f"cannot read the file: {os.strerror(errno.EISDIR)}", name)
        if not stat.S_ISREG(info.st_mode):
            what = _FILE_KINDS.get(stat.S_IFMT(info.st_mode), "special file")
            raise ConfigFileError(f"cannot read the file: not a regular file ({what})", name)
        if info.st_size > limit:
            raise _too_big(name, limit)
        chunks = []
        size = 0
        want = info.st_size + 1  # one read for a file that keeps its size (the common case)
        while size <= limit:  # it may grow after fstat: read at most limit + 1 bytes
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            want = min(limit + 1 - size, 1 << 20)
        if size > limit:
            raise _too_big(name, limit)
        return b"".join(chunks)
    except OSError as e:
        raise ConfigFileError(f"cannot read the file: {e.strerror or e}", name) from None
    finally:
        os.close(fd)


_OPEN_FLAGS = sum(getattr(os, flag, 0) for flag in ("O_NONBLOCK", "O_BINARY", "O_CLOEXEC"))
_FILE_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _too_big(name: str, limit: int) -> ConfigFileError:
    return ConfigFileError(
        f"cannot read the file: larger than {limit:,} bytes "
        "(the limit; HYPERPARAMETER_MAX_FILE_BYTES raises it)",
        name,
    )
