"""Records what one logger emits. pytest's caplog handler sits on the root logger, which
`videogen.logs.configure_logging` replaces when the first handler module is loaded, so a
test run alone would see nothing; a handler on the logger itself always sees its records."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from videogen.logs import JsonFormatter


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def logged(name: str) -> Iterator[list[logging.LogRecord]]:
    """The records `name` emits (at the level the settings allow) inside the block."""
    recorder = _Recorder()
    logger = logging.getLogger(name)
    logger.addHandler(recorder)
    try:
        yield recorder.records
    finally:
        logger.removeHandler(recorder)


@contextmanager
def json_lines(name: str = "videogen") -> Iterator[list[dict[str, Any]]]:
    """The lines `name` (and its children) log inside the block, as the production
    JsonFormatter writes them to stdout, parsed: what CloudWatch Logs would hold."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())
