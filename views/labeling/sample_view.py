"""The sample being labeled, large, with a button per class and the keys that go with
them: number keys (or each class's own key) label and move on, arrows or J / K move,
Space skips, Backspace clears; Ctrl+Z and Ctrl+Shift+Z undo and redo across samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QImage,
    QImageIOHandler,
    QImageReader,
    QKeyEvent,
    QKeySequence,
    QPixmap,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.labeling.service import BOXES
from app.tasks import run_task
from views.labeling.box_canvas import BoxCanvas
from views.labeling.session import (
    ALL,
    DISAGREE,
    LEAST_CONFIDENT,
    SKIPPED,
    UNLABELED,
    LabelSession,
)

DISPLAY_PX = 2048
"""The longest side an image is decoded at for the screen."""
KEPT_IMAGES = 8
"""Decoded images kept (the current one, the ones just left and the ones prefetched)."""
PREFETCH_IMAGES = 3


@dataclass(frozen=True)
class Picture:
    """An image decoded for the screen, and the size of the image itself (boxes are in its
    pixels, whatever size it is shown at)."""

    image: QImage
    width: int
    height: int


def read_image(path: Path, longest: int = DISPLAY_PX) -> Picture:
    """Decoded with the EXIF orientation applied, as the engine reads it, and at most
    `longest` pixels a side: a 4000 × 3000 photo is decoded small (JPEG decodes at a
    fraction of the cost) and never scaled on the GUI thread."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    stored = reader.size()
    turned = bool(reader.transformation() & QImageIOHandler.Transformation.TransformationRotate90)
    width, height = (
        (stored.height(), stored.width()) if turned else (stored.width(), stored.height())
    )
    if stored.isValid() and max(stored.width(), stored.height()) > longest:
        reader.setScaledSize(stored.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise UserError(f"{path.name}: {reader.errorString()}")
    if not stored.isValid():
        width, height = image.width(), image.height()
    return Picture(image, width, height)


class SampleView(QWidget):
    labeled = Signal()
    """A label was given (the pane refreshes its list's counts)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: LabelSession | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.where = QLabel()
        self.where.setObjectName("sample-position")
        self.state = QLabel()
        self.state.setObjectName("sample-state")
        self.state.setProperty("role", "muted")
        self.filter = QComboBox()
        self.filter.setObjectName("label-filter")
        self.filter.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with labeling
        self.filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter.currentIndexChanged.connect(self._filter_chosen)
        top = QHBoxLayout()
        top.addWidget(self.where)
        top.addSpacing(12)
        top.addWidget(self.state, 1)
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter)

        self.text = QTextBrowser()
        self.text.setObjectName("sample-text")
        self.text.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        font = QFont(self.text.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.text.setFont(font)
        self.image = QLabel()
        self.image.setObjectName("sample-image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.canvas = BoxCanvas()
        self.canvas.edited.connect(self._boxes_edited)
        self._canvas_sample: int | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.image)
        self.stack.addWidget(self.canvas)
        copy = QShortcut(QKeySequence("Ctrl+Shift+V"), self, self._copy_previous)
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.buttons_row = QHBoxLayout()
        self.class_buttons: dict[str, QPushButton] = {}
        self.progress = QProgressBar()
        self.progress.setObjectName("label-progress")
        self.counts = QLabel()
        self.counts.setProperty("role", "muted")
        self.counts.setWordWrap(True)
        navigation = QHBoxLayout()
        for text, tip, slot in (
            ("← Previous", "Previous sample (← or K)", lambda: self._move(-1)),
            ("Skip", "Skip this sample (Space)", self._skip),
            ("Next →", "Next sample (→ or J)", lambda: self._move(1)),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            navigation.addWidget(button)
        navigation.addStretch(1)
        navigation.addWidget(self.progress, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addLayout(self.buttons_row)
        layout.addWidget(self.counts)
        layout.addLayout(navigation)

        self._images: dict[int, Picture] = {}
        self._loading: set[int] = set()
        self._failed_images: dict[int, str] = {}

    # -- the project ----------------------------------------------------------------------

    def set_session(self, session: LabelSession | None) -> None:
        self.session = session
        self._images.clear()
        self._failed_images.clear()
        for button in self.class_buttons.values():
            button.deleteLater()
        self.class_buttons.clear()
        self.filter.blockSignals(True)
        self.filter.clear()
        if session is None:
            self.filter.blockSignals(False)
            self._show_nothing()
            return
        for label, kind in (("All samples", ALL), ("Unlabeled", UNLABELED), ("Skipped", SKIPPED)):
            self.filter.addItem(label, kind)
        self.filter.addItem("Unlabeled, least confident first", LEAST_CONFIDENT)
        self.filter.addItem("Labeled unlike the model", DISAGREE)
        for label_class in session.project.classes:
            self.filter.addItem(f"Labeled {label_class.name}", label_class.name)
            key = f"{label_class.hotkey}  " if label_class.hotkey else ""
            button = QPushButton(f"{key}{label_class.name}")
            button.setObjectName(f"class-{label_class.name}")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setStyleSheet(
                f"QPushButton {{ border: 2px solid {label_class.colour}; padding: 6px 12px; }}"
                f"QPushButton:checked {{ background: {label_class.colour}; color: white; }}"
            )
            name = label_class.name
            button.clicked.connect(lambda _c=False, n=name: self._assign(n))
            self.buttons_row.addWidget(button)
            self.class_buttons[name] = button
        self.filter.blockSignals(False)
        kind = session.project.kind
        self.stack.setCurrentIndex({"image_classification": 1, BOXES: 2}.get(kind, 0))
        self.canvas.set_classes(session.project.classes)
        self._canvas_sample = None
        session.changed.connect(self.refresh)
        session.values_arrived.connect(self.refresh)
        self.refresh()
        self.setFocus()

    # -- keys -----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        session = self.session
        if session is None or event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        ):
            super().keyPressEvent(event)
            return
        key, text = event.key(), event.text().upper()
        boxes = session.project.kind == BOXES
        if boxes and key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.canvas.delete_selected()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_J, Qt.Key.Key_Down) or (
            boxes and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._move(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_K, Qt.Key.Key_Up):
            self._move(-1)
        elif key == Qt.Key.Key_Space:
            self._skip()
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            session.clear()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if session.project.multi_label and session.sample() in session.labels:
                self._move(1)  # several classes given by their keys: on to the next
            else:
                session.accept()
                self.labeled.emit()
        elif text and any(c.hotkey == text for c in session.project.classes):
            self._assign(next(c.name for c in session.project.classes if c.hotkey == text))
        else:
            super().keyPressEvent(event)

    def _assign(self, name: str) -> None:
        if self.session is not None and self.session.project.kind == BOXES:
            self.canvas.class_key(name)  # the selected box's class, or the next box's
            for other, button in self.class_buttons.items():
                button.setChecked(other == self.canvas.current_class)
        elif self.session is not None:
            self.session.assign(name)
            self.labeled.emit()

    def _boxes_edited(self, boxes: list) -> None:
        if self.session is not None:
            self.session.set_boxes(boxes)
            self.labeled.emit()

    def _copy_previous(self) -> None:
        if self.session is not None and self.session.project.kind == BOXES:
            self.session.copy_previous_boxes()
            self.labeled.emit()

    def _skip(self) -> None:
        if self.session is not None:
            self.session.skip()
            self.labeled.emit()

    def _move(self, step: int) -> None:
        if self.session is not None:
            self.session.move(step)

    def _filter_chosen(self, index: int) -> None:
        if self.session is not None and index >= 0:
            self.session.set_filter(str(self.filter.itemData(index)))
            self.setFocus()

    def show_opening(self, name: str) -> None:
        """While a project's labels are read (a large one takes a moment): say so, and
        keep the last project's sample off the screen."""
        self.set_session(None)
        self.where.setText(f"Opening {name}…")
        self.state.setText("reading its labels")
        self.progress.setRange(0, 0)  # busy until refresh sets the project's counts

    def _show_nothing(self) -> None:
        for label in (self.where, self.state, self.counts, self.image):
            label.clear()
        self.text.clear()
        self.stack.setCurrentIndex(0)  # not the last project's image or boxes
        self.progress.setRange(0, 1)
        self.progress.reset()
        self.progress.setFormat("")

    # -- painting -------------------------------------------------------------------------

    def refresh(self) -> None:
        session = self.session
        if session is None:
            return
        sample = session.sample()
        progress = session.progress()
        self.progress.setMaximum(max(progress.total, 1))
        self.progress.setValue(progress.labeled)
        self.progress.setFormat(f"{progress.labeled:,} of {progress.total:,} labeled")
        counts = " · ".join(f"{name} {count:,}" for name, count in progress.per_class.items())
        self.counts.setText(
            counts + (f" · skipped {progress.skipped:,}" if progress.skipped else "")
        )
        if sample is None:
            self.where.setText("No sample here")
            self.state.setText("nothing matches this filter")
            self.text.setPlainText("")
            self.image.clear()
            for button in self.class_buttons.values():
                button.setChecked(False)
            return
        shown = f"Sample {session.position + 1:,} of {session.count:,}"
        self.where.setText(shown if session.order is None else f"{shown} (row {sample:,})")
        label = session.label_of(sample)
        if label is None:
            state = "unlabeled"
        elif label.skipped:
            state = "skipped"
        else:
            state = "labeled " + ", ".join(label.classes)
        suggestion = session.suggestions.get(sample)
        if suggestion is not None:
            suggested = ", ".join(suggestion.classes)
            state += f" · model suggests {suggested} ({suggestion.confidence:.0%}, Enter accepts)"
        self.state.setText(state)
        if session.project.kind == BOXES:
            drawn = len(label.boxes) if label else 0
            self.state.setText(f"{state} · {drawn} box{'es' if drawn != 1 else ''}")
            for name, button in self.class_buttons.items():
                button.setChecked(name == self.canvas.current_class)
        else:
            for name, button in self.class_buttons.items():
                button.setChecked(bool(label and name in label.classes))
        value = session.value(sample)
        if session.project.kind in ("image_classification", BOXES):
            self._show_image(sample, value)
        elif value is None:
            self.text.setPlainText("Reading…")
        elif self.text.toPlainText() != str(value):
            self.text.setPlainText(str(value))

    def _show_image(self, sample: int, value: Any) -> None:
        image = self._images.get(sample)
        if image is not None:
            self._show_loaded(sample, image)
        elif sample in self._failed_images:
            self.image.setText(self._failed_images[sample])
        else:
            self.image.setText("Loading…")
        session = self.session
        assert session is not None
        for step in range(PREFETCH_IMAGES + 1):
            ahead = session.sample(session.position + step)
            if ahead is not None:
                self._load_image(ahead, value if ahead == sample else session.value(ahead))

    def _load_image(self, sample: int, value: Any) -> None:
        session = self.session
        if session is None or value is None or sample in self._images or sample in self._loading:
            return
        if sample in self._failed_images:
            return
        self._loading.add(sample)
        labeling, project = session.labeling, session.project

        def done(image: Picture) -> None:
            self._images[sample] = image
            while len(self._images) > KEPT_IMAGES:
                self._images.pop(next(iter(self._images)))
            if self.session is session and session.sample() == sample:
                self._show_loaded(sample, image)

        def failed(error: BaseException, _text: str) -> None:
            self._failed_images[sample] = (
                f"Cannot show this image: {getattr(error, 'message', error)}"
            )
            if self.session is session and session.sample() == sample:
                self.image.setText(self._failed_images[sample])

        run_task(
            lambda _s: read_image(labeling.image_path(project, str(value))),
            on_done=done,
            on_error=failed,
            on_finished=lambda: self._loading.discard(sample),
            context=self,
        )

    def _show_loaded(self, sample: int, image: Picture) -> None:
        session = self.session
        if session is None or session.project.kind != BOXES:
            self._paint_image(image)
            return
        label = session.label_of(sample)
        boxes = list(label.boxes) if label else []
        if self._canvas_sample != sample or self.canvas.boxes() != boxes:
            # a new image, or an undo / redo
            self.canvas.set_image(image.image, boxes, (image.width, image.height))
            self._canvas_sample = sample

    def _paint_image(self, picture: Picture) -> None:
        image = picture.image
        size = self.image.size()
        if size.width() < 2 or size.height() < 2:
            size = QSize(640, 480)
        pixmap = QPixmap.fromImage(image).scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.image.setPixmap(pixmap)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.session is not None and self.session.project.kind == "image_classification":
            sample = self.session.sample()
            if sample is not None and sample in self._images:
                self._paint_image(self._images[sample])
