from django.contrib import admin

from .models import Gathering, GatheringBody


class InvitedInline(admin.TabularInline):
    model = GatheringBody
    extra = 0
    readonly_fields = ("body", "reason")
    can_delete = False


@admin.register(Gathering)
class GatheringAdmin(admin.ModelAdmin):
    """Read-only: gatherings are organised, changed and cancelled by their bodies (invitations are sent then)."""

    list_display = ("title", "organiser", "starts_at", "status", "sequence")
    list_filter = ("status",)
    search_fields = ("title",)
    inlines = [InvitedInline]

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False
