from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    crm_outreach_count = fields.Integer(string="Outreach Count", compute="_compute_crm_outreach_count")

    def _compute_crm_outreach_count(self):
        counts = {}
        if self.ids and self.env["crm.outreach"].has_access("read"):
            counts = {
                lead.id: count
                for lead, count in self.env["crm.outreach"]._read_group(
                    [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
                )
            }
        for lead in self:
            lead.crm_outreach_count = counts.get(lead.id, 0)

    def action_crm_log_outreach(self):
        self.ensure_one()
        channel = self.env.context.get("crm_outreach_channel") or "call"
        return self.env["crm.outreach"]._crm_log_action(channel, lead=self)

    def action_crm_view_outreach(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_outreach")
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id, "default_partner_id": self.partner_id.id}
        return action

    def unlink(self):
        # their outreach goes first, through the ORM (crm.outreach._crm_take_along)
        self.check_access("unlink")
        self.env["crm.outreach"]._crm_take_along(self)
        return super().unlink()
