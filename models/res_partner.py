from odoo import api, fields, models

# Channels through which a client or contact can be reached. Shared by the
# communication preferences, outreach and the automation pipelines.
CONTACT_CHANNELS = [
    ("email", "Email"),
    ("call", "Call"),
    ("messenger", "Messenger"),
    ("social", "Social"),
    ("platform", "Platform"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        tracking=True,
        help="Sales team in charge of this client. Its contacts follow the client's team.",
    )
    crm_preferred_channel = fields.Selection(
        CONTACT_CHANNELS,
        string="Preferred Channel",
        help="How this client or contact prefers to be reached.",
    )
    crm_no_email = fields.Boolean(string="Do Not Email", tracking=True)
    crm_no_call = fields.Boolean(string="Do Not Call", tracking=True)
    crm_no_messenger = fields.Boolean(string="Do Not Message", tracking=True)
    crm_no_social = fields.Boolean(string="Do Not Contact on Social Networks", tracking=True)
    # Where the client came from, inherited from the lead it was converted from.
    source_id = fields.Many2one("utm.source", string="Lead Source", index="btree_not_null")
    medium_id = fields.Many2one("utm.medium", string="Lead Medium", index="btree_not_null")

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["team_id"]

    def _crm_may_contact(self, channel):
        """Whether this partner may be contacted through ``channel``.

        Every feature that reaches out to people (outreach, automation
        pipelines, mass mailing from the suite) must ask this first. Email
        also honours Odoo's mail blacklist.
        """
        self.ensure_one()
        if channel == "email":
            return bool(self.email) and not self.crm_no_email and not self.is_blacklisted
        if channel == "call":
            return not self.crm_no_call
        if channel == "messenger":
            return not self.crm_no_messenger
        if channel == "social":
            return not self.crm_no_social
        return True


class ResPartnerAutomation(models.Model):
    """Automation pipelines on clients and contacts: observer and exit events."""

    _inherit = "res.partner"

    crm_automation_run_ids = fields.One2many("crm.automation.run", "partner_id", string="Automation Runs")
    crm_automation_run_count = fields.Integer(string="Automation", compute="_compute_crm_automation_run_count")

    def _compute_crm_automation_run_count(self):
        counts = dict(
            self.env["crm.automation.run"]._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"])
        )
        for partner in self:
            partner.crm_automation_run_count = counts.get(partner, 0)

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        self.env["crm.automation"]._enrol_created(partners)
        return partners

    def write(self, vals):
        res = super().write(vals)
        if {"active", "crm_no_email", "email"} & vals.keys():
            self.env["crm.automation.run"]._on_records_changed(self)
            leads = self.env["crm.lead"].sudo().search([("partner_id", "in", self.ids)])
            self.env["crm.automation.run"]._on_records_changed(leads)
        return res

    def unlink(self):
        self.env["crm.automation.run"]._on_records_deleted(self)
        return super().unlink()

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        self.env["crm.automation.run"]._on_inbound_email(message)
        return res

    def action_crm_automation_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_automation_run")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {}
        return action
