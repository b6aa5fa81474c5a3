from odoo import models


class MailMessage(models.Model):
    """Emails in and out, notes, tracked changes and done activities are
    timeline entries: the open timelines of their records reload."""

    _name = "mail.message"
    _inherit = ["mail.message", "crm.timeline.live.mixin"]  # noqa: RUF012

    _crm_live_fields = ("body", "subject", "attachment_ids", "model", "res_id", "message_type", "subtype_id")

    def _crm_live_documents(self):
        return [(message.model, message.res_id) for message in self]
