"""The register's setup, what an office configures: groups and their members and responsible users
(groups), dated weekly schedules (schedules), the calendar of closures and planned absences, the
site's attendance codes and the cameras' roles (calendar). Typed keyword-only services: every
refusal is a ValidationError with a sentence, every write one audit entry, in its transaction."""
