from django.contrib import admin

from .models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "body", "role", "created_at")
    list_filter = ("role",)
    raw_id_fields = ("user", "body")
