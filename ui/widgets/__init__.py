"""Reusable widgets the pages embed: the scheme editor, charts and the small edit dialogs.

Import from the submodules (`ui.widgets.charts`, `ui.widgets.scheme_editor`, …); this package
does not import them eagerly, so importing the charts does not load the scheme editor.
"""

from __future__ import annotations

__all__ = ["charts", "correction_dialog", "override_dialog", "scheme_editor", "settings_dialog"]
