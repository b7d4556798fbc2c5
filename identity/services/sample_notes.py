"""The note an accepted enrolment photo keeps when its face looks like another enrolled person
("looks like Ada, already enrolled (similarity 0.52): check whose photo this is"), and its end
when its cause ends: Ada erased, or merged with the photo's own person (one person now: no note),
or merged into someone else (the same photos, named after the one kept)."""

from identity.models import FaceSample, Person


def duplicate_note(*, name: str, similarity: float) -> str:
    return _fitted(f"{_start(name)} (similarity {similarity:.2f}): check whose photo this is")


def _start(name: str) -> str:
    return f"looks like {name}, already enrolled"


def _naming(person: Person):
    return FaceSample.objects.filter(status=FaceSample.ACCEPTED, reason__startswith=_start(person.name))


def duplicate_notes_settle(*, gone: Person, into: Person | None = None) -> int:
    """In the transaction that erases `gone` (into None) or merges it `into` another, after its photos
    moved: the notes naming `gone` go, or name `into` on a third person's photos; `into`'s own photos
    lose the notes naming either of them. How many notes changed (a note names a person by name:
    two people of one name share their notes)."""
    if into is None:
        return _naming(gone).update(reason="")
    changed = (_naming(gone).filter(person=into).update(reason="")
               + _naming(into).filter(person=into).update(reason=""))
    for sample in _naming(gone):
        sample.reason = _fitted(sample.reason.replace(_start(gone.name), _start(into.name), 1))
        sample.save(update_fields=["reason"])
        changed += 1
    return changed


def _fitted(reason: str) -> str:
    return reason[: FaceSample._meta.get_field("reason").max_length]
