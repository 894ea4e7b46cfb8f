"""Typed settings: validation, persistence, change signals, and the Settings pane."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QMessageBox, QSpinBox

from app.settings import NOTIFICATION_HISTORY, NOTIFICATIONS_ENABLED, THEME, Settings


def test_defaults_then_persisted_values(paths, qapp) -> None:
    settings = Settings(paths.settings_file)
    assert settings.get(THEME) == "system"
    assert settings.get(NOTIFICATIONS_ENABLED) is True
    settings.set(THEME, "dark")
    settings.set(NOTIFICATIONS_ENABLED, False)
    settings.set(NOTIFICATION_HISTORY, 50)
    settings.sync()

    reopened = Settings(paths.settings_file)
    assert reopened.get(THEME) == "dark"
    assert reopened.get(NOTIFICATIONS_ENABLED) is False
    assert reopened.get(NOTIFICATION_HISTORY) == 50


def test_invalid_values_are_refused_naming_the_option(paths, qapp) -> None:
    settings = Settings(paths.settings_file)
    with pytest.raises(ValueError, match=r"appearance\.theme"):
        settings.set(THEME, "purple")
    with pytest.raises(ValueError, match="below the minimum"):
        settings.set(NOTIFICATION_HISTORY, 1)
    assert settings.get(THEME) == "system"


def test_a_corrupt_stored_value_falls_back_to_the_default(paths, qapp) -> None:
    paths.settings_file.write_text("[notifications]\nhistory_size=lots\n")
    assert Settings(paths.settings_file).get(NOTIFICATION_HISTORY) == 200


def test_changes_are_signalled_once(paths, qtbot) -> None:
    settings = Settings(paths.settings_file)
    changes: list = []
    settings.changed.connect(lambda key, value: changes.append((key, value)))
    settings.set(THEME, "light")
    settings.set(THEME, "light")
    settings.reset(THEME)
    assert changes == [("appearance.theme", "light"), ("appearance.theme", "system")]


def test_every_option_is_declared_with_title_and_description(paths, qapp) -> None:
    settings = Settings(paths.settings_file)
    for option in settings.options(include_internal=True):
        assert option.title and option.description
        assert option.validate(option.default) == option.default


def test_settings_pane_edits_apply_and_follow_outside_changes(start_session, paths, qtbot):
    session = start_session(paths)
    pane = session.window.show_pane("settings")
    combo = pane.editor(THEME.key)
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData("dark"))
    assert session.core.settings.get(THEME) == "dark"
    assert session.theme.is_dark

    checkbox = pane.editor(NOTIFICATIONS_ENABLED.key)
    assert isinstance(checkbox, QCheckBox)
    session.core.settings.set(NOTIFICATIONS_ENABLED, False)
    assert not checkbox.isChecked()

    spin = pane.editor(NOTIFICATION_HISTORY.key)
    assert isinstance(spin, QSpinBox)
    spin.setValue(75)
    assert session.core.settings.get(NOTIFICATION_HISTORY) == 75


def test_restore_defaults_asks_first(start_session, paths, qtbot, monkeypatch) -> None:
    session = start_session(paths)
    pane = session.window.show_pane("settings")
    session.core.settings.set(THEME, "dark")

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    pane._on_reset_clicked()
    assert session.core.settings.get(THEME) == "dark"

    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.RestoreDefaults
    )
    pane._on_reset_clicked()
    assert session.core.settings.get(THEME) == "system"
    assert pane.editor(THEME.key).currentData() == "system"
