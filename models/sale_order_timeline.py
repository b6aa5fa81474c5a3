from odoo import models


class SaleOrder(models.Model):
    """A quotation is a timeline entry of its contact and of its deal, with its state."""

    _name = "sale.order"
    _inherit = ["sale.order", "crm.timeline.live.mixin"]  # noqa: RUF012

    _crm_live_fields = ("state", "name", "partner_id", "opportunity_id", "date_order")

    def _crm_live_documents(self):
        return [
            document
            for order in self
            for document in (("res.partner", order.partner_id.id), ("crm.lead", order.opportunity_id.id))
        ]
