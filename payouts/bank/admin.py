"""The bank files in admin: what was sent, what arrived and why a file was refused.

Read-only: the rows are written by batch_file_send and the inbound job only.
"""

from django.contrib import admin

from .models import InboundBankFile, OutboundBankFile


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboundBankFile)
class InboundBankFileAdmin(_ReadOnly):
    """Each file found in the bank's inbound folder: read, or refused and why."""

    list_display = [
        "received_at",
        "name",
        "message_type",
        "message_id",
        "original_message_id",
        "status",
        "reason",
    ]
    list_filter = ["status", "message_type"]
    search_fields = ["=message_id", "=original_message_id", "name"]
    ordering = ["-received_at", "-pk"]
    show_full_result_count = False
    fields = list_display
    readonly_fields = fields


@admin.register(OutboundBankFile)
class OutboundBankFileAdmin(_ReadOnly):
    """Each batch's pain.001 as written to the bank's outbound folder."""

    list_display = ["written_at", "name", "batch"]
    list_select_related = ["batch"]
    search_fields = ["=batch__message_id", "name"]
    ordering = ["-written_at", "-pk"]
    show_full_result_count = False
    fields = list_display
    readonly_fields = fields
