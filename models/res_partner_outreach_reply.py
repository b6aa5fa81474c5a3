from odoo import models


class ResPartner(models.Model):
    """A deleted partner takes its outreach along (and leaves its client's outreach without a client)
    in the database, past the outreach's own upkeep: the replies concerned are looked up again."""

    _inherit = "res.partner"

    def unlink(self):
        Outreach = self.env["crm.outreach"].sudo()
        outreach_ids, client_ids = Outreach._crm_replies_cascaded("partner_id", self.ids)
        res = super().unlink()
        Outreach._crm_refresh_replies(outreach_ids, client_ids)
        return res
