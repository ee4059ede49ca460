from django.contrib import admin

from .models import LifeEvent, Publication


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "kind", "theme_title", "modified")
    list_filter = ("kind", "schema_version")
    search_fields = ("id", "title")

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201 (reference data, re-imported)
        return False


@admin.register(LifeEvent)
class LifeEventAdmin(admin.ModelAdmin):
    list_display = ("slug", "publication", "audience")
    list_filter = ("audience",)
    search_fields = ("slug", "publication__title")

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201 (reference data, re-imported)
        return False
