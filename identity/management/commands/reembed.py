"""``manage.py reembed``: every stored enrolment photo embedded again by the active profile's model."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from identity.face_engine import get_face_engine
from identity.services.gallery_rows import people_without_model
from identity.vision import ModelError
from identity.services.reembed import samples_embedded, samples_reembed, samples_to_reembed


class Command(BaseCommand):
    help = (
        "Embed every enrolment photo again with the active profile's model (FACEAPP_PROFILE), so that "
        "everyone enrolled under another model can be recognised. Resumable: photos already embedded "
        "by the active model are skipped; the gallery is rebuilt once, at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, cron)")

    def handle(self, *args, **options):
        try:
            engine = get_face_engine().load()  # a missing model file fails here, before any photo
        except ModelError as exc:
            raise CommandError(f"the active profile's models cannot be loaded: {exc}") from exc
        model_id, config = engine.model_id, engine.config
        total = samples_embedded().count()
        todo = samples_to_reembed(model_id=model_id).count()
        self.stdout.write(f"profile {config.profile}: {config.detector} + {model_id}; "
                          f"{total - todo} of {total} enrolment photos already embedded by it, {todo} to re-embed")
        done, failed = 0, []
        with tqdm(total=todo, unit="photo", disable=options["no_progress"] or not todo, file=self.stderr) as bar:
            for sample, problem in samples_reembed(engine=engine):
                if problem:
                    failed.append((sample, problem))
                else:
                    done += 1
                bar.update()
        for sample, problem in failed:
            self.stdout.write(f"photo #{sample.pk} of person #{sample.person_id} kept its {sample.model_id} "
                              f"embedding: {problem}")
        self.stdout.write(f"re-embedded {done} photo(s); the gallery was rebuilt")
        missing = people_without_model(model_id=model_id).count()
        if missing:
            self.stdout.write(self.style.WARNING(
                f"people left with no photo {model_id} could embed: {missing}; add a new photo of each"))
