"""Qt-free computation of EIT Synergies.

Nothing in this package may import ``qgis``, ``PyQt5``/``PyQt6`` or ``processing``:
it runs (and is tested) without QGIS. The QGIS glue lives in ``layers/`` and
``processing/``.
"""
