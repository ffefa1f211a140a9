"""The app's settings: one QSettings file, keys grouped as "section/key", read with a default.

Pages do not read settings themselves: the window stores each page's state (its `state()`
dict, the same thing a lesson slide holds) under "pages/<page id>" as JSON when the window
closes, and gives it back through `apply_state` when the page is next built. Scripts,
benchmarks and tests point QSettings at a temporary folder with `use_temporary_settings()`,
so nothing but the app itself ever touches the user's real settings.
"""
from __future__ import annotations

import json
import tempfile

from PySide6.QtCore import QSettings

ORGANISATION = APP = "StridesGates"

WINDOW_GEOMETRY = "window/geometry"
WINDOW_PAGE = "window/page"
VIEW_SCALE = "view/scale"
PAGE_STATE = "pages/{page_id}"


def app_settings() -> QSettings:
    """The app's settings (an INI file in the user's config folder, unless redirected)."""
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANISATION, APP)


def use_temporary_settings() -> str:
    """Point this process's settings at a new temporary folder (scripts, benchmarks, tests)."""
    folder = tempfile.mkdtemp(prefix="strides-gates-settings-")
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, folder)
    return folder


def read_setting(key: str, default):
    """A stored setting converted to the type of `default`; the default when the value is
    missing or unreadable (a hand-edited or corrupt settings file must not break the app)."""
    value = app_settings().value(key, None)
    if value is None:
        return default
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0"):
                    return default
                return value.lower() in ("true", "1")
            return bool(value)
        return type(default)(value)
    except (TypeError, ValueError):
        return default


def read_page_state(page_id: str) -> dict:
    """The state a page had when the window last closed ({} when none or unreadable)."""
    text = read_setting(PAGE_STATE.format(page_id=page_id), "")
    try:
        state = json.loads(text) if text else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def write_page_state(page_id: str, state: dict) -> None:
    app_settings().setValue(PAGE_STATE.format(page_id=page_id), json.dumps(state))


def forget_page_state(page_id: str | None = None) -> None:
    """Forget one page's stored state, or every page's (None)."""
    settings = app_settings()
    if page_id is None:
        settings.remove("pages")
    else:
        settings.remove(PAGE_STATE.format(page_id=page_id))
