"""Secrets never reach the access log: query values that can carry one are replaced.

Only the legacy ``GET /v4/auth`` takes a secret in the query string (Pyrus does, spec 4.1); every
other secret travels in headers or bodies. The filter sits on uvicorn's access logger, so a
request logged by ``--access-log`` shows ``security_key=***`` whatever the client sent.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
SECRET_PARAMETERS = ("security_key", "admin_token", "access_token", "password", "token")
_SECRET_VALUE = re.compile(r"(?i)([?&](?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&#\s]*")


def redact(text: str) -> str:
    return _SECRET_VALUE.sub(r"\1***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
        return True


def install_access_log_redaction() -> None:
    """Add the filter to uvicorn's access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
