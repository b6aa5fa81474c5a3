from odoo import api, fields, models

from .res_partner import CONTACT_CHANNELS

OUTREACH_OUTCOMES = [
    ("planned", "Planned"),
    ("done", "Done"),
    ("no_answer", "No Answer"),
    ("replied", "Replied"),
    ("bounced", "Bounced"),
]


class CrmOutreach(models.Model):
    """One attempt to reach a client or contact, or one contact from them.

    Kept deliberately small: the automation pipelines log what they do here
    (emails sent, calls to make) and people log what they did by hand.
    """

    _name = "crm.outreach"
    _description = "Outreach"
    _order = "date desc, id desc"
    _rec_name = "summary"

    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    channel = fields.Selection(CONTACT_CHANNELS, required=True, default="email")
    direction = fields.Selection([("outbound", "Outbound"), ("inbound", "Inbound")], required=True, default="outbound")
    outcome = fields.Selection(OUTREACH_OUTCOMES, required=True, default="planned", index=True)
    summary = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", string="Contact", index=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", string="Deal", index="btree_not_null", ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user, index=True)
    automation_run_id = fields.Many2one("crm.automation.run", index="btree_not_null", ondelete="set null")
    source_id = fields.Many2one("utm.source")
    medium_id = fields.Many2one("utm.medium")

    @api.onchange("lead_id")
    def _onchange_lead_id(self):
        if self.lead_id.partner_id and not self.partner_id:
            self.partner_id = self.lead_id.partner_id
