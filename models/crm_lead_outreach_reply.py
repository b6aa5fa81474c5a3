from odoo import models


class CrmLead(models.Model):
    """A deleted deal takes its outreach along in the database: the replies concerned are looked up
    again."""

    _inherit = "crm.lead"

    def unlink(self):
        Outreach = self.env["crm.outreach"].sudo()
        outreach_ids, client_ids = Outreach._crm_replies_cascaded("lead_id", self.ids)
        res = super().unlink()
        Outreach._crm_refresh_replies(outreach_ids, client_ids)
        return res
