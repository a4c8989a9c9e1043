"""EIT Synergies — QGIS plugin entry point.

Only ``classFactory`` lives here, and it imports the plugin lazily, so that
``eit_synergies.core`` imports without QGIS.
"""


def classFactory(iface):  # noqa: N802 - name required by QGIS
    from .eit_plugin import EitSynergiesPlugin

    return EitSynergiesPlugin(iface)
