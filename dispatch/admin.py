"""Read-mostly admin views of alerts; every change goes through the API's services (audited, published)."""

from __future__ import annotations

from django.contrib import admin

from dispatch.models import Alert, CapRecord, Delivery, Response


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnly):
    list_display = ["id", "title", "kind", "severity", "status", "area", "radius_m", "needed", "created_at"]
    list_filter = ["status", "kind", "severity", "source"]
    search_fields = ["title", "cap_identifier"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["alert", "person", "wave", "distance_m", "seq", "created_at"]


@admin.register(Response)
class ResponseAdmin(ReadOnly):
    list_display = ["alert", "person", "state", "accepted_at", "on_scene_at", "done_at"]
    list_filter = ["state"]


@admin.register(CapRecord)
class CapRecordAdmin(ReadOnly):
    list_display = ["alert", "sender", "identifier", "msg_type", "sent", "received_at"]
