"""The names over the faces of the dashboard's latest frame, in a real browser: faces side by side
at the top of a picture get labels that cover no other label and stay inside the picture (below
a box when above it is off the picture or taken, pushed down past the labels already there)."""

import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from identity.models import Snapshot
from tests.browser import ARTIFACTS, log_in
from tests.review_data import make_log, make_person

# (name, box) on a 640 x 360 picture: three faces side by side at its top, one at its right edge
FACES = [
    ("Alexandra Montgomery-Smith", [100, 8, 160, 80]),
    ("Bartholomew Fitzgerald", [165, 12, 225, 84]),
    ("Christabel Featherstonehaugh", [230, 10, 290, 82]),
    ("Dominic Oyelaran-Whitfield", [585, 150, 640, 220]),
]
LABEL_RECTS = """() => {
  const stage = document.getElementById('latest-boxes').getBoundingClientRect();
  const labels = [...document.querySelectorAll('#latest-boxes .face-label')].map((label) => label.getBoundingClientRect());
  return { stage: [stage.left, stage.top, stage.right, stage.bottom],
           labels: labels.map((rect) => [rect.left, rect.top, rect.right, rect.bottom]) };
}"""


def _picture(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 110, 130)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _frame_with_faces() -> None:
    now = timezone.now()
    snapshot = Snapshot(received_at=now, status=Snapshot.DONE, processed_at=now, width=640, height=360)
    snapshot.image.save("frame.jpg", ContentFile(_picture(640, 360)), save=False)
    snapshot.save()
    for name, box in FACES:
        log = make_log(seen_at=now, person=make_person(name, with_sample=False), snapshot=snapshot)
        log.box = box
        log.save(update_fields=["box"])


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_it_places_the_labels_of_faces_side_by_side_apart_inside_the_picture(width, admin_user, browser_site):
    from playwright.sync_api import expect  # the fixture has skipped the test where Chromium is not

    base_url, browser = browser_site
    _frame_with_faces()
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    log_in(page, base_url, "admin", "password")
    # Assertions that poll, not wait_for_function: its string predicate is an eval the page's CSP refuses.
    expect(page.locator("#latest-image")).to_have_js_property("complete", True)
    expect(page.locator("#latest-boxes .face-label")).to_have_count(4)
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")  # resize observed
    geometry = page.evaluate(LABEL_RECTS)
    page.locator("#latest-frame").screenshot(path=str(ARTIFACTS / f"face_labels_{width}.png"))
    stage, labels = geometry["stage"], geometry["labels"]

    overlapping = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels)) if _overlaps(labels[i], labels[j])]
    outside = [i for i, (left, top, right, bottom) in enumerate(labels)
               if left < stage[0] - 0.5 or top < stage[1] - 0.5 or right > stage[2] + 0.5 or bottom > stage[3] + 0.5]
    assert overlapping == [] and outside == []
