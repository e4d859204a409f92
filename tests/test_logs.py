"""Structured JSON logs never carry secrets, whatever a caller passes."""

from __future__ import annotations

import json
import logging

from videogen.logs import JsonFormatter


def test_log_lines_are_json_and_secret_fields_are_redacted() -> None:
    record = logging.makeLogRecord(
        {
            "name": "videogen.test",
            "levelname": "INFO",
            "msg": "user %s signed in",
            "args": ("ada",),
            "user_id": "42",
            "password": "hunter2-42",
            "access_token": "eyJhbGciOi...",
            "Authorization": "Bearer abc",
        }
    )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "user ada signed in" and entry["user_id"] == "42"
    assert entry["password"] == entry["access_token"] == entry["Authorization"] == "[redacted]"
    assert "hunter2" not in line and "eyJhbGciOi" not in line and "abc" not in line
