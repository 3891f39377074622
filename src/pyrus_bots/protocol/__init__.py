"""The Pyrus wire contract, without I/O: signature, Pyrus JSON rules, models, error codes.

Everything a bot or the platform exchanges with the other side is described here; both halves
of pyrus-bots import it, and it imports neither.
"""

from pyrus_bots.protocol import models, pyrus_json, signature
from pyrus_bots.protocol.errors import PyrusError, status_for_code
from pyrus_bots.protocol.models import *  # noqa: F403  (the models are the package's surface)

__all__ = [
    *models.__all__,
    "PyrusError",
    "pyrus_json",
    "signature",
    "status_for_code",
]
