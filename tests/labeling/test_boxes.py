"""Boxes: drawn, moved, resized, re-classed and deleted with real mouse and key events, in
image pixels (EXIF orientation applied); COCO exports read by pycocotools (the reference
reader), a YOLO export → import round trip, and bad files refused with the annotation id
or the file and line."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from app.errors import UserError
from app.labeling.box_formats import export_coco, export_yolo, import_coco, import_yolo
from app.labeling.formats import to_dataset
from app.labeling.store import Box

CLASSES = ["cat", "dog"]


@pytest.fixture
def photos(core, tmp_path):
    """Three images: two 120 × 80 PNGs and a JPEG stored 120 × 80 but turned a quarter by
    its EXIF orientation (shown 80 × 120)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, colour in (("a.png", "red"), ("b.png", "blue")):
        Image.new("RGB", (120, 80), colour).save(folder / name)
    turned = Image.new("RGB", (120, 80), "green")
    exif = turned.getexif()
    exif[274] = 6
    turned.save(folder / "c.jpg", exif=exif)
    core.datasets.import_path(folder, "photos")
    project = core.labeling.create("pets", "photos", CLASSES, boxes=True)
    values = core.labeling.values(project, 0, 3)
    return core.labeling, project, {str(v).rsplit("/", 1)[-1]: i for i, v in enumerate(values)}


def test_coco_and_yolo_round_trips(photos, tmp_path) -> None:
    from pycocotools.coco import COCO

    labeling, project, samples = photos
    a, c = samples["a.png"], samples["c.jpg"]
    labeling.set_boxes(project, a, [Box("cat", 10, 5, 30, 20), Box("dog", 60, 40, 50, 35)])
    labeling.set_boxes(project, c, [Box("dog", 5, 70, 60, 45)])  # below 80: the shown height
    assert labeling.labels(project)[a].classes == ["cat", "dog"]
    with pytest.raises(UserError, match="width and a height"):
        labeling.set_boxes(project, a, [Box("cat", 10, 5, 0, 20)])
    with pytest.raises(UserError, match="no class 'bird'"):
        labeling.set_boxes(project, a, [Box("bird", 10, 5, 3, 3)])

    coco_file = tmp_path / "pets.json"
    assert export_coco(labeling, project, coco_file) == 3
    coco = COCO(str(coco_file))
    assert sorted(c["name"] for c in coco.loadCats(coco.getCatIds())) == CLASSES
    sizes = {
        img["file_name"].rsplit("/", 1)[-1]: (img["width"], img["height"])
        for img in coco.loadImgs(coco.getImgIds())
    }
    assert sizes == {"a.png": (120, 80), "c.jpg": (80, 120)}
    dog = coco.getCatIds(catNms=["dog"])[0]
    dog_boxes = sorted(tuple(ann["bbox"]) for ann in coco.loadAnns(coco.getAnnIds(catIds=[dog])))
    assert dog_boxes == [(5, 70, 60, 45), (60, 40, 50, 35)]
    with pytest.raises(UserError, match="exists already"):
        export_coco(labeling, project, coco_file)

    fresh = labeling.create("again", "photos", CLASSES, boxes=True)
    assert import_coco(labeling, fresh, coco_file) == 2
    assert labeling.labels(fresh) == labeling.labels(project)

    yolo = tmp_path / "yolo"
    assert export_yolo(labeling, project, yolo) == 3
    assert (yolo / "classes.txt").read_text() == "cat\ndog\n"
    assert "nc: 2" in (yolo / "data.yaml").read_text()
    assert (yolo / "labels" / "a.txt").read_text().splitlines()[0] == (
        "0 0.208333 0.187500 0.250000 0.250000"
    )
    third = labeling.create("third", "photos", CLASSES, boxes=True)
    assert import_yolo(labeling, third, yolo) == 2
    back = labeling.labels(third)
    for sample, label in labeling.labels(project).items():
        assert back[sample].classes == label.classes
        for got, want in zip(back[sample].boxes, label.boxes, strict=True):
            assert got.name == want.name
            assert all(
                abs(g - w) < 1e-3
                for g, w in zip(
                    (got.x, got.y, got.w, got.h), (want.x, want.y, want.w, want.h), strict=True
                )
            )
    version = to_dataset(labeling, project)
    table = labeling.datasets.read(version)
    assert version.rows == 2 and json.loads(table.column("boxes")[0].as_py())[0]["class"] == "cat"


def test_bad_box_files_are_refused_naming_the_annotation_or_line(photos, tmp_path) -> None:
    labeling, project, _samples = photos
    document = {
        "images": [{"id": 1, "file_name": "a.png", "width": 120, "height": 80}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [
            {"id": 7, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
            {"id": 8, "image_id": 1, "category_id": 9, "bbox": [10, 10, 20, 20]},
        ],
    }
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    with pytest.raises(UserError, match="annotation 8 names category 9"):
        import_coco(labeling, project, bad)
    document["annotations"][1] = {
        "id": 8,
        "image_id": 1,
        "category_id": 1,
        "bbox": [100, 10, 40, 20],
    }
    bad.write_text(json.dumps(document))
    with pytest.raises(UserError, match=r"annotation 8: the box .* not inside the 120 × 80 image"):
        import_coco(labeling, project, bad)
    document["categories"] = [{"id": 1, "name": "horse"}]
    bad.write_text(json.dumps(document))
    with pytest.raises(UserError, match="category 1 \\('horse'\\) is not one of pets"):
        import_coco(labeling, project, bad)
    assert labeling.labels(project) == {}

    yolo = tmp_path / "yolo"
    (yolo / "labels").mkdir(parents=True)
    (yolo / "classes.txt").write_text("cat\ndog\n")
    (yolo / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n1 0.5 0.5 1.4 0.2\n")
    with pytest.raises(UserError, match=r"a\.txt, line 2: the box is not inside"):
        import_yolo(labeling, project, yolo)
    (yolo / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n")
    with pytest.raises(UserError, match=r"a\.txt, line 2: class 5 is not in classes\.txt"):
        import_yolo(labeling, project, yolo)
    (yolo / "labels" / "zebra.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (yolo / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    with pytest.raises(UserError, match=r"zebra\.txt: no image of the project"):
        import_yolo(labeling, project, yolo)
    assert labeling.labels(project) == {}


@pytest.mark.slow  # a window
def test_boxes_drawn_moved_resized_reclassed_deleted_with_the_mouse(photos, core, qtbot) -> None:
    from views.labeling.pane import LabelingPane

    labeling, project, samples = photos
    pane = LabelingPane(core)
    qtbot.addWidget(pane)
    pane.resize(1100, 700)
    pane.show()
    qtbot.waitUntil(lambda: pane.session is not None, timeout=30_000)
    session, view = pane.session, pane.view
    canvas = view.canvas
    session.go_to_sample(samples["a.png"])
    qtbot.waitUntil(lambda: canvas.image_size == (120, 80), timeout=20_000)
    viewport = canvas.viewport()

    def at(x: float, y: float):
        return canvas.mapFromScene(QPointF(x, y))

    def drag(start, end) -> None:
        qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=at(*start))
        qtbot.mouseMove(viewport, at((start[0] + end[0]) / 2, (start[1] + end[1]) / 2))
        qtbot.mouseMove(viewport, at(*end))
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=at(*end))

    def drawn() -> list[tuple[str, float, float, float, float]]:
        label = session.labels.get(samples["a.png"])
        return [(b.name, b.x, b.y, b.w, b.h) for b in (label.boxes if label else ())]

    def close(got, want) -> bool:
        return got[0] == want[0] and all(
            abs(g - w) <= 0.5 for g, w in zip(got[1:], want[1:], strict=True)
        )

    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_2)  # nothing selected: the next box is a dog
    drag((10, 10), (50, 40))
    assert len(drawn()) == 1 and close(drawn()[0], ("dog", 10, 10, 40, 30))
    drag((30, 25), (60, 35))  # inside the box: it moves by (30, 10)
    assert close(drawn()[0], ("dog", 40, 20, 40, 30))
    drag((80, 50), (100, 70))  # its bottom-right corner: resized
    assert close(drawn()[0], ("dog", 40, 20, 60, 50))
    drag((100, 70), (200, 200))  # dragged past the edge: clamped to the image
    assert close(drawn()[0], ("dog", 40, 20, 80, 60))
    qtbot.keyClick(view, Qt.Key.Key_1)  # the selected box becomes a cat
    assert drawn()[0][0] == "cat" and session.labels[samples["a.png"]].classes == ["cat"]
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=at(5, 75))  # a click: no box
    assert len(drawn()) == 1 and canvas.selected is None
    drag((45, 25), (45, 25))  # selects it again (no move)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert drawn() == []
    pane.undo_action.trigger()
    assert len(drawn()) == 1 and close(drawn()[0], ("cat", 40, 20, 80, 60))
    qtbot.waitUntil(lambda: len(canvas.items_) == 1)  # the undo is drawn too

    # The next image gets the same boxes with Ctrl+Shift+V.
    session.go_to_sample(samples["a.png"] + 1)
    qtbot.keyClick(
        view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    copied = session.labels[samples["a.png"] + 1].boxes
    assert [(b.name, b.x, b.y) for b in copied] == [("cat", drawn()[0][1], drawn()[0][2])]
    session.flush()
    assert (
        labeling.labels(project)[samples["a.png"]].boxes == session.labels[samples["a.png"]].boxes
    )


def test_a_large_photo_is_decoded_small_and_turned_as_its_exif_says(qapp, tmp_path) -> None:
    from views.labeling.sample_view import DISPLAY_PX, read_image

    photo = Image.new("RGB", (4000, 3000), "red")
    exif = photo.getexif()
    exif[274] = 6  # turned a quarter: shown 3000 wide and 4000 high
    photo.save(tmp_path / "big.jpg", exif=exif)
    picture = read_image(tmp_path / "big.jpg")
    assert (picture.width, picture.height) == (3000, 4000)
    assert max(picture.image.width(), picture.image.height()) == DISPLAY_PX
    assert picture.image.height() > picture.image.width()
