"""Widgets of the plugin (the workshop dock, forms). Built on ``layers`` and ``core``."""
