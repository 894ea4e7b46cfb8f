"""A job's log, live: its events as `job logs` prints them (steps, evaluations,
checkpoints, warnings) and the engine's stderr log; level filter, search, copy, open the
run folder.

Events arrive with the job service's ingestion; engine.log's new bytes are read by a
worker every half second from where the last read ended, so a log of any size costs only
what was appended. Its lines keep the level of the record they belong to (a traceback's
lines are ERROR with it).
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.jobs.run_files import (
    ENGINE_LOG,
    EVENTS_FILE,
    LEVELS,
    ProgressThinning,
    event_line,
    log_events,
    read_from,
)
from app.tasks import run_task
from views.widgets.open_folder import open_folder

TAIL_MS = 500
MAX_LINES = 20_000
"""Kept in the view; the file keeps everything."""
LEVEL_AT = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
CHOICES = (("All", 0), ("Info and above", 20), ("Warnings and errors", 30), ("Errors", 40))


class LogView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setObjectName("job-log")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = self.text.font()
        font.setFamily("monospace")
        self.text.setFont(font)
        self.level = QComboBox()
        for label, value in CHOICES:
            self.level.addItem(label, value)
        self.level.currentIndexChanged.connect(self._refilter)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search (Enter: next, Shift+Enter: previous)")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_next)
        QShortcut(QKeySequence("Shift+Return"), self.search, lambda: self.find_next(back=True))
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the selection, or the whole log shown")
        self.copy_button.clicked.connect(self.copy)
        self.open_button = QPushButton("Open run folder")
        self.open_button.clicked.connect(self.open_folder)
        bar = QHBoxLayout()
        bar.addWidget(self.level)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)

        self._run_dir: Path | None = None
        self._offset = 0
        self._lines: list[tuple[int, str]] = []
        self._last_level = 20
        self._reading = False
        self._waiting: list[dict] | None = None
        """Live events that arrived while the events file was being read."""
        self._thinning = ProgressThinning()
        self._timer = QTimer(self, interval=TAIL_MS)
        self._timer.timeout.connect(self._poll)

    def follow(self, run_dir: Path | None, live: bool) -> None:
        """Show this run's log; keep reading while `live`."""
        if run_dir != self._run_dir:
            self._run_dir, self._offset, self._lines = run_dir, 0, []
            self._waiting = None
            self._last_level = 20
            self.text.clear()
            # One thinning for the file and then the live events (it reads the file first,
            # in a worker; live events wait until it is done).
            thinning = self._thinning = ProgressThinning()
            if run_dir is not None:
                events = run_dir / EVENTS_FILE
                self._waiting = []
                run_task(
                    lambda _s: log_events(events, MAX_LINES, thinning),
                    on_done=lambda found: self._loaded(run_dir, *found),
                    context=self,
                )
        self.open_button.setEnabled(run_dir is not None)
        self._poll()
        if live:
            self._timer.start()
        else:
            self._timer.stop()

    def add_events(self, events: list[dict]) -> None:
        """Live events from the engine, as lines (held back while the file is read, so
        none is shown twice or out of order)."""
        if self._waiting is not None:
            self._waiting.extend(events)
            return
        self._add_levelled([event_line(e) for e in events if self._thinning.keep(e)])

    def _loaded(self, run_dir: Path, lines: list[tuple[int, str]], until: float) -> None:
        if run_dir != self._run_dir:
            return
        waiting, self._waiting = self._waiting or [], None
        self._add_levelled(lines)
        self.add_events([e for e in waiting if float(e.get("time", 0.0)) > until])

    def _poll(self) -> None:
        if self._run_dir is None or self._reading:
            return
        self._reading = True
        path, offset, run_dir = self._run_dir / ENGINE_LOG, self._offset, self._run_dir

        def arrived(result: tuple[int, str]) -> None:
            if run_dir != self._run_dir:
                return
            self._offset, text = result
            if text:
                self._add(text.splitlines())

        def finished() -> None:
            self._reading = False

        run_task(
            lambda _s: read_from(path, offset),
            on_done=arrived,
            on_finished=finished,
            context=self,
        )

    def _add(self, lines: list[str]) -> None:
        """engine.log lines: a line without a level belongs to the record above it."""
        levelled = []
        for line in lines:
            match = LEVEL_AT.match(line)
            if match:
                self._last_level = LEVELS.get(match.group(1), 20)
            levelled.append((self._last_level, line))
        self._add_levelled(levelled)

    def _add_levelled(self, lines: list[tuple[int, str]]) -> None:
        minimum = self.level.currentData()
        self._lines.extend(lines)
        shown = [line for level, line in lines if level >= minimum]
        del self._lines[:-MAX_LINES]
        if shown:
            bar = self.text.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 2
            self.text.appendPlainText("\n".join(shown))
            if at_end:
                bar.setValue(bar.maximum())

    def _refilter(self) -> None:
        minimum = self.level.currentData()
        self.text.setPlainText("\n".join(line for level, line in self._lines if level >= minimum))
        self.text.moveCursor(QTextCursor.MoveOperation.End)

    def shown_text(self) -> str:
        return self.text.toPlainText()

    def find_next(self, back: bool = False) -> bool:
        needle = self.search.text()
        if not needle:
            return False
        flags = QTextDocument.FindFlag.FindBackward if back else QTextDocument.FindFlag(0)
        if self.text.find(needle, flags):
            return True
        cursor = self.text.textCursor()  # wrap around once
        cursor.movePosition(
            QTextCursor.MoveOperation.End if back else QTextCursor.MoveOperation.Start
        )
        self.text.setTextCursor(cursor)
        return self.text.find(needle, flags)

    def copy(self) -> None:
        selected = self.text.textCursor().selectedText().replace("\u2029", "\n")
        QApplication.clipboard().setText(selected or self.shown_text())

    def open_folder(self) -> None:
        if self._run_dir is not None:
            open_folder(self, self._run_dir)
