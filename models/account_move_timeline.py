from odoo import models


class AccountMove(models.Model):
    """A customer invoice or credit note is a timeline entry of its contact, with its state."""

    _name = "account.move"
    _inherit = ["account.move", "crm.timeline.live.mixin"]  # noqa: RUF012

    _crm_live_fields = ("state", "name", "partner_id", "invoice_date", "move_type")

    def _crm_live_documents(self):
        return [("res.partner", move.partner_id.id) for move in self if move.move_type in ("out_invoice", "out_refund")]
