"""The list of the provider's algorithm classes (one algorithm per module)."""

from __future__ import annotations

ALGORITHM_CLASSES: list = []
