"""Boxes on an image: drag on the image to draw one in the current class, drag a box to
move it, drag a corner of the selected box to resize it; a class key gives the selected
box that class (or, with none selected, the class of the next box), Delete removes it;
Ctrl+wheel zooms and the wheel pans. Scene coordinates are image pixels, so what is drawn
is what is stored."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from app.labeling.schema import LabelClass
from app.labeling.store import Box

HANDLE_PX = 8
"""How near (in screen pixels) to a corner a press grabs it."""
SMALLEST_PX = 2.0
"""A drag shorter than this (in image pixels) is a click, not a box."""


class BoxItem(QGraphicsRectItem):
    def __init__(self, box: Box, colour: str) -> None:
        super().__init__(QRectF(box.x, box.y, box.w, box.h))
        self.name = box.name
        # The class name on a tag of the class's colour, the same size at every zoom.
        self.tag = QGraphicsRectItem(self)
        self.tag.setFlag(QGraphicsRectItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.tag.setPen(QPen(Qt.PenStyle.NoPen))
        self.caption = QGraphicsSimpleTextItem(box.name, self.tag)
        self.caption.setBrush(QColor("white"))
        self.set_colour(colour)
        self.set_selected(False)

    def set_name(self, name: str, colour: str) -> None:
        self.name = name
        self.caption.setText(name)
        self.set_colour(colour)

    def set_colour(self, colour: str) -> None:
        self.colour = QColor(colour)
        self.tag.setBrush(self.colour)
        text = self.caption.boundingRect()
        self.tag.setRect(QRectF(0, -text.height() - 2, text.width() + 6, text.height() + 2))
        self.caption.setPos(3, -text.height() - 1)
        self.set_selected(getattr(self, "selected", False))

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        pen = QPen(self.colour, 3 if selected else 2)
        pen.setCosmetic(True)
        if selected:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.tag.setPos(self.rect().topLeft())
        self._place_handles()

    def _place_handles(self) -> None:
        """Corner squares on the selected box, the same size at every zoom: drag one to
        resize."""
        if not hasattr(self, "handles"):
            self.handles = []
            for _ in range(4):
                handle = QGraphicsRectItem(QRectF(-4, -4, 8, 8), self)
                handle.setFlag(QGraphicsRectItem.GraphicsItemFlag.ItemIgnoresTransformations)
                handle.setPen(QPen(QColor("white"), 1))
                self.handles.append(handle)
        rect = self.rect()
        corners = (rect.topLeft(), rect.topRight(), rect.bottomRight(), rect.bottomLeft())
        for handle, corner in zip(self.handles, corners, strict=True):
            handle.setBrush(self.colour)
            handle.setPos(corner)
            handle.setVisible(self.selected)

    def box(self) -> Box:
        rect = self.rect().normalized()
        return Box(self.name, rect.x(), rect.y(), rect.width(), rect.height())


class BoxCanvas(QGraphicsView):
    edited = Signal(list)
    """The image's boxes after an edit ended (a mouse release, a delete, a class change)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("box-canvas")
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the sample view keeps the keys
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.picture = QGraphicsPixmapItem()
        self.scene().addItem(self.picture)
        self.items_: list[BoxItem] = []
        self.classes: dict[str, LabelClass] = {}
        self.current_class = ""
        self.selected: BoxItem | None = None
        self.image_size = (0, 0)
        self._image_key = 0
        self._mode = ""
        self._origin = QPointF()
        self._start = QRectF()
        self._corner = 0

    # -- contents -------------------------------------------------------------------------

    def set_classes(self, classes: list[LabelClass]) -> None:
        self.classes = {c.name: c for c in classes}
        self.current_class = classes[0].name if classes else ""

    def set_image(
        self,
        image: QImage | None,
        boxes: tuple[Box, ...] | list[Box],
        size: tuple[int, int] | None = None,
    ) -> None:
        """A new image (or the same after an undo): the boxes drawn anew, the view fitted
        when the image changed. `size` is the image's own size when `image` was decoded
        smaller for the screen: the scene stays in the image's pixels."""
        if image is not None:
            size = size or (image.width(), image.height())
            if image.cacheKey() != self._image_key or size != self.image_size:
                self._image_key = image.cacheKey()
                self.picture.setPixmap(QPixmap.fromImage(image))
                self.picture.setScale(size[0] / max(image.width(), 1))
                self.image_size = size
                self.scene().setSceneRect(QRectF(0, 0, *size))
                self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        else:
            self.picture.setPixmap(QPixmap())
            self.image_size = (0, 0)
        for item in self.items_:
            self.scene().removeItem(item)
        self.items_ = [BoxItem(box, self._colour(box.name)) for box in boxes]
        for item in self.items_:
            self.scene().addItem(item)
        self.selected = None

    def boxes(self) -> list[Box]:
        return [item.box() for item in self.items_]

    def _colour(self, name: str) -> str:
        found = self.classes.get(name)
        return found.colour if found else "#888888"

    # -- keys the sample view hands over ------------------------------------------------------

    def class_key(self, name: str) -> None:
        """With a box selected it takes the class; otherwise new boxes will."""
        if self.selected is not None:
            self.selected.set_name(name, self._colour(name))
            self.edited.emit(self.boxes())
        else:
            self.current_class = name

    def delete_selected(self) -> bool:
        if self.selected is None:
            return False
        self.scene().removeItem(self.selected)
        self.items_.remove(self.selected)
        self.selected = None
        self.edited.emit(self.boxes())
        return True

    def _select(self, item: BoxItem | None) -> None:
        for each in self.items_:
            each.set_selected(each is item)
        self.selected = item

    # -- the mouse ------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.image_size[0]:
            super().mousePressEvent(event)
            return
        point = self.mapToScene(event.position().toPoint())
        corner = self._corner_at(event.position())
        if corner is not None and self.selected is not None:
            self._mode, self._corner = "resize", corner
        else:
            hit = next((i for i in reversed(self.items_) if i.rect().contains(point)), None)
            self._select(hit)
            if hit is not None:
                self._mode = "move"
            else:
                self._mode = "draw"
                item = BoxItem(Box(self.current_class, point.x(), point.y(), 0, 0), "#000")
                item.set_colour(self._colour(self.current_class))
                self.scene().addItem(item)
                self.items_.append(item)
                self._select(item)
        assert self.selected is not None
        self._origin, self._start = self._clamp(point), QRectF(self.selected.rect())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self._mode or self.selected is None:
            super().mouseMoveEvent(event)
            return
        point = self._clamp(self.mapToScene(event.position().toPoint()))
        if self._mode == "draw":
            rect = QRectF(self._origin, point).normalized()
        elif self._mode == "move":
            rect = self._start.translated(point - self._origin)
            rect.moveLeft(min(max(rect.left(), 0.0), self.image_size[0] - rect.width()))
            rect.moveTop(min(max(rect.top(), 0.0), self.image_size[1] - rect.height()))
        else:
            corners = [
                self._start.topLeft(),
                self._start.topRight(),
                self._start.bottomRight(),
                self._start.bottomLeft(),
            ]
            rect = QRectF(corners[(self._corner + 2) % 4], point).normalized()
        self.selected.setRect(rect)
        self.selected.set_selected(True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self._mode:
            super().mouseReleaseEvent(event)
            return
        mode, self._mode = self._mode, ""
        item = self.selected
        if item is None:
            return
        rect = item.rect().normalized()
        if rect.width() < SMALLEST_PX or rect.height() < SMALLEST_PX:
            if mode == "draw":  # a click on the image: no box, nothing selected
                self.scene().removeItem(item)
                self.items_.remove(item)
                self._select(None)
            else:
                item.setRect(self._start)
            return
        if rect != self._start or mode == "draw":
            self.edited.emit(self.boxes())

    def _corner_at(self, position: QPointF) -> int | None:
        if self.selected is None:
            return None
        rect = self.selected.rect()
        for index, corner in enumerate(
            (rect.topLeft(), rect.topRight(), rect.bottomRight(), rect.bottomLeft())
        ):
            on_screen = self.mapFromScene(corner)
            if (on_screen.toPointF() - position).manhattanLength() <= HANDLE_PX:
                return index
        return None

    def _clamp(self, point: QPointF) -> QPointF:
        return QPointF(
            min(max(point.x(), 0.0), float(self.image_size[0])),
            min(max(point.y(), 0.0), float(self.image_size[1])),
        )

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.25 if event.angleDelta().y() > 0 else 0.8
            self.scale(factor, factor)
            event.accept()
        else:
            super().wheelEvent(event)
