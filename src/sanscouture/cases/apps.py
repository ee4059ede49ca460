from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "sanscouture.cases"
    verbose_name = "Dossiers partagés"

    def ready(self) -> None:
        # The personal fields a body's webhook may ask for (docs/adr/024): webhooks is a lower layer.
        from sanscouture.webhooks.registry import register_personal_fields

        from .fields import field_labels

        register_personal_fields(field_labels())
