"""Errors raised by the core.

The core never translates: it raises :class:`EitError` with a stable ``code`` and the
data needed to explain the problem. The QGIS glue turns the code into a translated
message (see ``processing/messages.py``), so the core stays free of Qt.
"""

from __future__ import annotations


class EitError(Exception):
    """A problem with the user's input or with the data.

    ``code`` is a stable identifier (``"missing_column"``, ``"duplicate_actor_id"``...),
    ``data`` the values that explain it (file, row, field, value, expected...).
    ``str(error)`` gives a plain English message built from both, for logs and tests.
    """

    def __init__(self, code: str, message: str = "", **data):
        self.code = code
        self.data = data
        super().__init__(message or code)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"EitError({self.code!r}, {self.args[0]!r}, {self.data!r})"


class Canceled(Exception):  # noqa: N818 - reads better than CanceledError at call sites
    """Raised by the core when the caller asked to stop (see :mod:`core.progress`)."""
