"""Query strings stay out of the local stack's access log.

uvicorn logs each request's path *with* its query string, and some of them are
capabilities: a webhook URL's `token`, a signed storage URL's `X-Amz-Signature`. Anyone who
can read the log (or a copy of it in a bug report) could replay them. The path is kept, the
query string replaced by `?…`.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
_PATH_ARG = 2  # uvicorn's access record: (client, method, path with query, http version, status)


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            target = args[_PATH_ARG]
            if isinstance(target, str) and "?" in target:
                path = target.partition("?")[0]
                record.args = (*args[:_PATH_ARG], f"{path}?…", *args[_PATH_ARG + 1 :])
        return True


def drop_query_strings(logger_name: str = ACCESS_LOGGER) -> None:
    """Installs the filter on uvicorn's access logger (once, however often called)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
        logger.addFilter(DropQueryStrings())
