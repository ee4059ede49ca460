from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "sanscouture.network"
    verbose_name = "Acteur-réseau"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from .models import Interaction
        from .services import interaction_unfold

        # A ledger row deleted (by the app that wrote it, or with its body) leaves the monthly aggregate too.
        pre_delete.connect(interaction_unfold, sender=Interaction, dispatch_uid="network_interaction_unfold")
