from django.contrib import admin
from django.http import HttpRequest

from .access import is_agent_verified
from .models import AccountEvent, ApiToken, Invitation, Membership


class VerifiedAdminSite(admin.AdminSite):
    """Django's admin, for staff who passed the second factor (login goes through /connexion/)."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_agent_verified(request)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "body", "role", "created_at")
    list_filter = ("role",)
    raw_id_fields = ("user", "body")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("body", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    raw_id_fields = ("body", "invited_by", "accepted_by")
    exclude = ("token_hash",)
    readonly_fields = ("accepted_at", "accepted_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invitations are sent from the body's agents page (the token exists only in the e-mail)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "body", "role", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    raw_id_fields = ("body", "service_user", "created_by")
    readonly_fields = ("prefix", "service_user", "created_by", "last_used_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created from the body's page, where the value is shown once


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor", "body", "user", "detail")
    list_filter = ("action",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
