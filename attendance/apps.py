from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attendance"
    verbose_name = "Attendance"

    def ready(self) -> None:
        from attendance import receivers  # noqa: F401  (follows identity's domain events: identity.events)
