"""Where a message comes from: bytes, text, or a file (SPEC section 11).

Every front end reads input through :func:`read_file` (bounded by
:data:`MAX_INPUT_BYTES`) and turns what the caller gave into one parsed
:class:`~mailwarden.message.model.Message` with :func:`load_message`.
"""

from __future__ import annotations

import os

from mailwarden.errors import InputError
from mailwarden.message.model import Message, parse_message

#: Largest input accepted from a file or standard input.
MAX_INPUT_BYTES = 64 * 1024 * 1024

#: What ``message=`` may be: the raw bytes, the text, a path to read, or a parsed message.
MessageSource = bytes | bytearray | memoryview | str | os.PathLike[str] | Message


def read_file(path: str | os.PathLike[str], *, what: str = "input") -> bytes:
    """The bytes of the file at ``path``, at most :data:`MAX_INPUT_BYTES`; :class:`InputError` otherwise."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except IsADirectoryError:
        raise InputError(f"cannot read {what} {os.fspath(path)}: it is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {os.fspath(path)}: {exc.strerror or exc}") from None
    check_size(data, f"{what} {os.fspath(path)}")
    return data


def check_size(data: bytes, what: str) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{what} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")


def load_message(source: MessageSource) -> Message:
    """Parse ``source``: ``bytes`` (the message), ``str`` (the message as text, sent as
    UTF-8), an ``os.PathLike`` (a file to read) or an already parsed :class:`Message`.

    A ``str`` is always the message itself, never a file name: pass a
    :class:`pathlib.Path` to read a file.
    """
    if isinstance(source, Message):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, str):
        data = source.encode("utf-8", "surrogateescape")
    elif isinstance(source, os.PathLike):
        data = read_file(source, what="message")
    else:
        raise InputError(f"a message is bytes, str or a path, not {type(source).__name__}")
    check_size(data, "the message")
    return parse_message(data)
