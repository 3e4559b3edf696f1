"""A client log's files read into records: one per client line, in file order.

How it works
------------
:func:`sources` accepts what :func:`kafkalab.tracelog.read_log` does (a path, a list of paths, an
open text file, the lines themselves) and gives each file's label and lines.  :func:`read_file`
splits every line with :func:`kafkalab.logformat.parse_line` into a :class:`Record` (its time, file
and line number, the :class:`~kafkalab.logformat.LogLine`); a Java consumer's multi-line
"ConsumerConfig values:" block becomes one record that carries the configs.  A file holds one
client's lines (``format="auto"``: its first client line decides which); lines of neither client
are skipped, and a line that starts like a client's but cannot be read raises
:class:`LogFormatError` with the file and line number, unless it is the file's last (a log still
being written ends with a cut-off line).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from .. import logformat as lf

Source = Union[str, os.PathLike, Iterable[str], io.IOBase]


class LogFormatError(ValueError):
    """A log that cannot be read: says which file and line, and what to do.

    Attributes: ``path`` (a file name, or ``"<lines>"``) and ``line_number`` (1-based, or None).
    """

    def __init__(self, message: str, path: Optional[str] = None, line_number: Optional[int] = None) -> None:
        where = f"{path}:{line_number}: " if path and line_number else (f"{path}: " if path else "")
        super().__init__(where + message)
        self.path = path
        self.line_number = line_number


@dataclass
class Record:
    """One client line of file number ``file`` (0-based) at line ``number``, or a Java consumer's
    "ConsumerConfig values" block (``config``); ``ts`` is the line's time, ``label`` the file's name."""

    ts: float
    file: int
    number: int
    line: lf.LogLine
    config: Optional[dict] = None
    label: Optional[str] = None


def sources(source: Any) -> list[tuple[str, Iterable[str]]]:
    """``(label, lines)`` of each file :func:`kafkalab.tracelog.read_log` was given."""
    if isinstance(source, (str, os.PathLike)) and not (isinstance(source, str) and "\n" in source):
        return [_open(source)]
    if isinstance(source, str):
        return [("<lines>", source.splitlines())]
    if isinstance(source, io.IOBase) or hasattr(source, "read"):
        return [(getattr(source, "name", "<file>"), source.read().splitlines())]
    if isinstance(source, (list, tuple)):
        if source and all(isinstance(s, os.PathLike) or (isinstance(s, str) and _path_like(s)) for s in source):
            return [_open(s) for s in source]
        if all(isinstance(s, str) for s in source):
            return [("<lines>", list(source))]
    raise TypeError("read_log takes a path, a list of paths, an open text file or a list of lines, "
                    f"not {type(source).__name__}")


_FILE_NAME = re.compile(r"^[\w.~/\\:-]+\.(?:log|txt|out|err)(?:\.\d+)?$")


def _path_like(text: str) -> bool:
    """A string in a list names a file if it is one, or looks like a log file's name (``c1.log``)."""
    return "\n" not in text and (os.path.isfile(text) or bool(_FILE_NAME.match(text)))


def _open(path: Any) -> tuple[str, list[str]]:
    p = Path(path)
    if not p.is_file():
        raise LogFormatError("no such file; pass the path of a client log (or the log's lines)", str(path))
    with open(p, encoding="utf-8", errors="replace") as f:
        return str(path), f.read().splitlines()


_CONFIG_HEADER = re.compile(r"\bConsumerConfig values:\s*$")
_CONFIG_ITEM = re.compile(r"^\s+([\w.]+) = (.*?)\s*$")


def read_file(index: int, label: str, lines: Iterable[str], fmt: str) -> list[Record]:
    """The records of file number ``index``, in file order (``fmt``: ``"auto"`` or the client's name)."""
    lines = list(lines)
    out: list[Record] = []
    client: Optional[str] = None if fmt == "auto" else fmt
    last = len(lines)
    k = 0
    while k < last:
        number, text = k + 1, lines[k]
        k += 1
        if _CONFIG_HEADER.search(text):
            config, k = _config_block(lines, k)
            try:
                ts = lf.parse_timestamp(text)
            except ValueError as e:
                raise LogFormatError(str(e), label, number) from None
            if ts is not None and config.get("client.id"):
                line = lf.LogLine("java", ts, "INFO", config["client.id"], config.get("group.id"),
                                  config.get("group.instance.id") or None, "ConsumerConfig", "ConsumerConfig values:")
                out.append(Record(ts, index, number, line, config, label))
            continue
        try:
            line = lf.parse_line(text)
        except lf.MalformedLine as e:
            if number == last:
                continue  # a cut-off last line: the log was still being written
            raise LogFormatError(f"{e}: {text[:100]!r}", label, number) from None
        if line is None:
            continue
        if client is None:
            client = line.client
        elif line.client != client:
            if fmt != "auto":
                raise LogFormatError(f"this is a {_CLIENT_NAMES[line.client]} line, but format={fmt!r}; "
                                     f"use format={line.client!r} or 'auto'", label, number)
            raise LogFormatError(f"a {_CLIENT_NAMES[line.client]} line in a {_CLIENT_NAMES[client]} log; "
                                 "keep each client's log in a file of its own", label, number)
        out.append(Record(line.timestamp_ms, index, number, line, None, label))
    if not out:
        raise LogFormatError("no librdkafka or Java consumer log lines found: capture librdkafka with "
                             "debug=cgrp, or the Java consumer's INFO log (docs/logs.md)", label)
    return out


_CLIENT_NAMES = {"librdkafka": "librdkafka", "java": "Java consumer"}


def _config_block(lines: list[str], k: int) -> tuple[dict, int]:
    config: dict[str, str] = {}
    while k < len(lines):
        m = _CONFIG_ITEM.match(lines[k])
        if not m:
            break
        config[m.group(1)] = m.group(2)
        k += 1
    return config, k
