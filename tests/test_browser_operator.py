"""An operator's review day in a real browser: merges two strangers the page suggests, names a
stranger, confirms a person's whole group of faces in one action, and undoes a review."""

import numpy as np
import pytest
from django.utils import timezone

from identity.models import MatchLog, Person, ProvisionalIdentity, embedding_to_bytes
from tests.browser import ARTIFACTS, log_in
from tests.review_data import make_log, make_person, make_provisional, unit_vector


def _strangers():
    """U-0001 and U-0002 are one person seen as two; U-0003 is someone else."""
    first, twin, other = make_provisional("U-0001"), make_provisional("U-0002"), make_provisional("U-0003")
    vector = np.frombuffer(first.embeddings, np.float32) + 0.1 * unit_vector(99)
    twin.embeddings = embedding_to_bytes(vector / np.linalg.norm(vector))
    twin.save()
    for stranger in (first, twin, other, other):
        make_log(seen_at=timezone.now(), provisional=stranger)
    return first, twin, other


def _message(page) -> str:
    return page.text_content(".messages").strip()


@pytest.mark.django_db(transaction=True)
def test_it_lets_an_operator_merge_and_name_strangers_review_a_group_and_undo(operator_user, browser_site):
    first, twin, other = _strangers()
    ada = make_person("Ada Lovelace", "AL")
    ada_faces = [make_log(seen_at=timezone.now(), person=ada) for _ in range(3)]
    base_url, browser = browser_site
    page = browser.new_context().new_page()
    log_in(page, base_url, "operator", "pw-operator")

    page.goto(f"{base_url}/strangers/")
    page.screenshot(path=str(ARTIFACTS / "operator_strangers.png"), full_page=True)
    with page.expect_navigation():
        page.click("#suggestions button[type=submit]")
    merged = _message(page)

    row = page.locator('tr[data-stranger="U-0003"]')
    row.locator("input[name=name]").fill("Grace Hopper")
    row.locator("input[name=code]").fill("GH")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    named = _message(page)
    page.screenshot(path=str(ARTIFACTS / "operator_named_stranger.png"), full_page=True)

    page.goto(f"{base_url}/review/history/?who=AL")
    page.check("#select-all")
    with page.expect_navigation():
        page.click("#group-review button[value=confirm]")
    confirmed = _message(page)
    with page.expect_navigation():
        page.locator("#history tbody tr").first.locator("button", has_text="Undo").click()
    undone = _message(page)
    page.screenshot(path=str(ARTIFACTS / "operator_history.png"), full_page=True)

    assert merged == "U-0002 merged into U-0001." and not ProvisionalIdentity.objects.filter(pk=twin.pk).exists()
    assert MatchLog.objects.filter(provisional=first).count() == 2
    grace = Person.objects.get(code="GH")
    assert named.startswith("U-0003 is Grace Hopper") and MatchLog.objects.filter(reviewed_person=grace).count() == 2
    assert confirmed == "3 face(s) confirmed."
    assert undone.startswith("Review of face #") and "undone" in undone
    statuses = sorted(MatchLog.objects.filter(pk__in=[f.pk for f in ada_faces]).values_list("review_status", flat=True))
    assert statuses == [MatchLog.CONFIRMED, MatchLog.CONFIRMED, MatchLog.UNREVIEWED]
