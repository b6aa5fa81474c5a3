from odoo import models


class CrmOutreach(models.Model):
    """Outreach is a timeline entry of its contact and of its deal."""

    _name = "crm.outreach"
    _inherit = ["crm.outreach", "crm.timeline.live.mixin"]  # noqa: RUF012

    def _crm_live_documents(self):
        return [
            document
            for outreach in self
            for document in (("res.partner", outreach.partner_id.id), ("crm.lead", outreach.lead_id.id))
        ]
