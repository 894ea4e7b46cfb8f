"""One open labeling project, as the pane works on it: the labels held in memory, the
samples in the order the filter gives, where the person is, and undo / redo.

Every label goes to the database the moment it is given, through a pool of one thread so
writes land in the order they were made (a label, then its undo, never the reverse); the
GUI thread only updates its copy and repaints. Sample values are read off the GUI thread,
a block at a time around the current sample, so the next ones are there before they are
asked for.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.errors import UserError
from app.labeling.service import LabelingService, Progress
from app.labeling.store import Box, Label, Project, Suggestion
from app.tasks import run_task

BLOCK = 256
"""Samples read at a time; the next block is read while the person is still in this one."""
KEPT_VALUES = 8 * BLOCK
POSITION_SAVE_MS = 500

ALL, UNLABELED, SKIPPED = "all", "unlabeled", "skipped"
LEAST_CONFIDENT, DISAGREE = "least-confident", "disagree"
"""Unlabeled samples with the model's least sure suggestions first; labeled samples whose
label is not what the model suggested."""


class LabelChange(QUndoCommand):
    """Samples' labels before and after one action (None: no label)."""

    def __init__(
        self,
        session: LabelSession,
        text: str,
        before: dict[int, Label | None],
        after: dict[int, Label | None],
        *,
        advance: bool = False,
    ) -> None:
        super().__init__(text)
        self.session, self.before, self.after = session, before, after
        self.advance = advance
        self._done_once = False

    def redo(self) -> None:
        self.session.apply(self.after)
        if self._done_once:  # Ctrl+Shift+Z: back where the action was, as after it
            self.session.go_to_sample(min(self.after))
            if self.advance:
                self.session.move(1)
        self._done_once = True

    def undo(self) -> None:
        self.session.apply(self.before)
        self.session.go_to_sample(min(self.before))


class LabelSession(QObject):
    changed = Signal()
    """Labels, the position or the filter changed: repaint."""
    values_arrived = Signal()
    failed = Signal(str)

    def __init__(
        self,
        labeling: LabelingService,
        project: Project,
        total: int,
        labels: dict[int, Label],
        suggestions: dict[int, Suggestion] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.labeling, self.project, self.total = labeling, project, total
        self.labels = labels
        self.suggestions: dict[int, Suggestion] = suggestions or {}
        self._per_class = dict.fromkeys(project.class_names, 0)
        self._labeled = self._skipped = 0
        for label in labels.values():
            self._count(label, +1)
        self.undo_stack = QUndoStack(self)
        self.filter = ALL
        self.order: list[int] | None = None
        """The samples the filter keeps (None: all of them, in row order)."""
        self.position = 0
        self._values: OrderedDict[int, Any] = OrderedDict()
        self._reading: set[int] = set()
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._save_position = QTimer(self, singleShot=True, interval=POSITION_SAVE_MS)
        self._save_position.timeout.connect(self._write_position)
        self.go_to_sample(min(max(project.position, 0), max(total - 1, 0)))

    # -- where the person is ------------------------------------------------------------

    @property
    def count(self) -> int:
        return self.total if self.order is None else len(self.order)

    def sample(self, position: int | None = None) -> int | None:
        at = self.position if position is None else position
        if not 0 <= at < self.count:
            return None
        return at if self.order is None else self.order[at]

    def move(self, step: int) -> None:
        self.go_to(self.position + step)

    def go_to(self, position: int) -> None:
        self.position = max(0, min(position, max(self.count - 1, 0)))
        self._save_position.start()
        self._prefetch()
        self.changed.emit()

    def go_to_sample(self, sample: int) -> None:
        if self.order is None:
            self.go_to(sample)
        elif sample in self.order:
            self.go_to(self.order.index(sample))
        else:
            self.set_filter(ALL, sample)

    def set_filter(self, kind: str, sample: int | None = None) -> None:
        """ALL, UNLABELED, SKIPPED or a class name; the order is fixed until the next
        filter change, so labeling in "unlabeled" walks on instead of jumping."""
        current = self.sample() if sample is None else sample
        self.filter = kind
        if kind == ALL:
            self.order = None
        elif kind == UNLABELED:
            self.order = [i for i in range(self.total) if i not in self.labels]
        elif kind == SKIPPED:
            self.order = sorted(s for s, label in self.labels.items() if label.skipped)
        elif kind == LEAST_CONFIDENT:
            open_samples = [i for i in range(self.total) if i not in self.labels]
            self.order = sorted(
                open_samples,
                key=lambda i: (i not in self.suggestions, self._confidence(i), i),
            )
        elif kind == DISAGREE:
            self.order = sorted(
                s
                for s, label in self.labels.items()
                if s in self.suggestions
                and not label.skipped
                and label.classes != self.suggestions[s].classes
            )
        else:
            self.order = sorted(s for s, label in self.labels.items() if kind in label.classes)
        if current is None or kind == LEAST_CONFIDENT:
            self.go_to(0)  # the least sure first, whatever was on screen
        elif self.order is None:
            self.go_to(current)
        else:
            self.go_to(bisect.bisect_left(self.order, current))

    def _write_position(self) -> None:
        sample, labeling, project = self.sample(), self.labeling, self.project
        if sample is not None:
            run_task(lambda _s: labeling.set_position(project, sample), pool=self._writes)

    # -- labeling -----------------------------------------------------------------------

    def label_of(self, sample: int) -> Label | None:
        return self.labels.get(sample)

    def assign(self, name: str) -> None:
        """Single-label: this class, then the next sample. Multi-label: toggle it here."""
        sample = self.sample()
        if sample is None or name not in self.project.class_names:
            return
        old = self.labels.get(sample)
        if self.project.multi_label:
            chosen = set(old.classes if old and not old.skipped else [])
            chosen ^= {name}
            classes = [c for c in self.project.class_names if c in chosen]
            new = Label(sample, classes, False) if classes else None
            self.undo_stack.push(LabelChange(self, f"toggle {name}", {sample: old}, {sample: new}))
            return
        new = Label(sample, [name], False)
        self.undo_stack.push(
            LabelChange(self, f"label {name}", {sample: old}, {sample: new}, advance=True)
        )
        self.move(1)

    def _confidence(self, sample: int) -> float:
        found = self.suggestions.get(sample)
        return found.confidence if found is not None else 1.0

    def set_suggestions(self, suggestions: dict[int, Suggestion]) -> None:
        self.suggestions = suggestions
        self.changed.emit()

    def accept(self) -> None:
        """The model's suggestion becomes the label (Enter), then the next sample."""
        sample = self.sample()
        found = self.suggestions.get(sample) if sample is not None else None
        if sample is None or found is None:
            self.move(1)
            return
        old = self.labels.get(sample)
        new = Label(sample, list(found.classes), False)
        self.undo_stack.push(
            LabelChange(self, "accept suggestion", {sample: old}, {sample: new}, advance=True)
        )
        self.move(1)

    def set_boxes(self, boxes: list[Box]) -> None:
        """A box project's rectangles for the current image, as the canvas has them now."""
        sample = self.sample()
        if sample is None:
            return
        try:
            new = self.labeling.boxes_label(self.project, sample, boxes) if boxes else None
        except UserError as error:
            self.failed.emit(error.message)
            return
        old = self.labels.get(sample)
        self.undo_stack.push(LabelChange(self, "boxes", {sample: old}, {sample: new}))

    def copy_previous_boxes(self) -> None:
        """The boxes of the sample before this one, here too (a video's next frame)."""
        before = self.sample(self.position - 1)
        label = self.labels.get(before) if before is not None else None
        if label is not None and label.boxes:
            self.set_boxes(list(label.boxes))

    def skip(self) -> None:
        sample = self.sample()
        if sample is None:
            return
        old = self.labels.get(sample)
        new = Label(sample, [], True)
        self.undo_stack.push(LabelChange(self, "skip", {sample: old}, {sample: new}, advance=True))
        self.move(1)

    def clear(self) -> None:
        sample = self.sample()
        if sample is not None and sample in self.labels:
            old = self.labels[sample]
            self.undo_stack.push(LabelChange(self, "clear", {sample: old}, {sample: None}))

    def apply(self, changes: dict[int, Label | None]) -> None:
        """Into memory now, onto disk in order (the undo stack's redo and undo come here)."""
        put = [label for label in changes.values() if label is not None]
        removed = [sample for sample, label in changes.items() if label is None]
        for sample, label in changes.items():
            self._count(self.labels.get(sample), -1)
            if label is None:
                self.labels.pop(sample, None)
            else:
                self.labels[sample] = label
            self._count(label, +1)
        labeling, project = self.labeling, self.project

        def write(_state: object) -> None:
            if put:
                labeling.put(project, put)
            if removed:
                labeling.clear(project, removed)

        run_task(
            write,
            on_error=lambda error, _text: self.failed.emit(str(error)),
            pool=self._writes,
        )
        self.changed.emit()

    def _count(self, label: Label | None, sign: int) -> None:
        if label is None:
            return
        if label.skipped:
            self._skipped += sign
        elif label.classes:
            self._labeled += sign
            for name in label.classes:
                self._per_class[name] = self._per_class.get(name, 0) + sign

    def progress(self) -> Progress:
        """Kept up to date as labels change: a repaint counts nothing (100,000 labels)."""
        return Progress(self.total, self._labeled, self._skipped, dict(self._per_class))

    def flush(self) -> None:
        """Wait for the writes in flight (the pane closes, a test checks the database)."""
        if self._save_position.isActive():
            self._save_position.stop()
            self._write_position()
        self._writes.waitForDone()

    # -- sample values ------------------------------------------------------------------

    def value(self, sample: int) -> Any | None:
        """The sample's text or image path if read already; else None, and it is asked
        for (`values_arrived` follows)."""
        if sample in self._values:
            self._values.move_to_end(sample)
            return self._values[sample]
        self._read_block(sample)
        return None

    def _prefetch(self) -> None:
        for step in (0, 1, BLOCK // 2):
            sample = self.sample(self.position + step)
            if sample is not None and sample not in self._values:
                self._read_block(sample)

    def _read_block(self, sample: int) -> None:
        start = sample - sample % BLOCK
        if start in self._reading:
            return
        self._reading.add(start)
        labeling, project = self.labeling, self.project

        def done(values: list[Any]) -> None:
            for offset, value in enumerate(values):
                self._values[start + offset] = value
            while len(self._values) > KEPT_VALUES:
                self._values.popitem(last=False)
            self.values_arrived.emit()

        run_task(
            lambda _s: labeling.values(project, start, BLOCK),
            on_done=done,
            on_error=lambda error, _text: self.failed.emit(str(error)),
            on_finished=lambda: self._reading.discard(start),
            context=self,
        )
