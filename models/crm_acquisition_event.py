from odoo import api, fields, models
from odoo.http import request

ENTRY_POINTS = [
    ("web_form", "Web Form"),
    ("email_alias", "Email Alias"),
    ("import", "Import"),
    ("api", "RPC/API"),
    ("manual", "Manual"),
    ("automation", "Automation"),
]
# Routes of Odoo's external APIs: a record created through them came by RPC.
API_ROUTES = ("/xmlrpc", "/jsonrpc", "/json/2", "/web/session/authenticate")


def entry_point(env):
    """How the records being created entered the system.

    An explicit ``crm_entry_point`` in the context wins (the contact form,
    the mail gateway); then an import, a cron (automation), an external API
    call, and the web client (by hand). Without an HTTP request (a script,
    ``odoo shell``) it is the API.
    """
    explicit = env.context.get("crm_entry_point")
    if explicit in dict(ENTRY_POINTS):
        return explicit
    if env.context.get("import_file"):
        return "import"
    if env.context.get("ir_cron_progress_id") or env.context.get("crm_automation_run_id"):
        return "automation"
    try:
        path = request.httprequest.path if request else None
    except RuntimeError:  # outside of a request context
        path = None
    if path is None or path.startswith(API_ROUTES):
        return "api"
    return "manual"


class CrmAcquisitionEvent(models.Model):
    """One new lead, deal or contact: when, through which entry point, with
    which source and campaign, and who it was assigned to. Written by the
    add-on only."""

    _name = "crm.acquisition.event"
    _description = "Acquisition Event"
    _order = "date desc, id desc"

    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True, readonly=True)
    entry_point = fields.Selection(ENTRY_POINTS, required=True, index=True, readonly=True)
    kind = fields.Selection(
        [("lead", "Lead"), ("opportunity", "Deal"), ("contact", "Contact")], required=True, readonly=True
    )
    lead_id = fields.Many2one("crm.lead", string="Lead or Deal", index="btree_not_null", ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null", ondelete="cascade")
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True, index="btree_not_null")
    user_id = fields.Many2one("res.users", string="Assigned To", readonly=True, index="btree_not_null")
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True, index="btree_not_null")
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    @api.model
    def _crm_record(self, records):
        """Record the acquisition of the new ``records`` (leads, deals or
        contacts), in one create."""
        point = entry_point(self.env)
        vals_list = []
        for record in records.sudo():
            if record._name == "crm.lead":
                vals_list.append(
                    {
                        "entry_point": point,
                        "kind": record.type or "opportunity",
                        "lead_id": record.id,
                        "partner_id": record.partner_id.id,
                        "source_id": record.source_id.id,
                        "medium_id": record.medium_id.id,
                        "campaign_id": record.campaign_id.id,
                        "user_id": record.user_id.id,
                        "team_id": record.team_id.id,
                        "company_id": record.company_id.id,
                    }
                )
            else:
                vals_list.append(
                    {
                        "entry_point": point,
                        "kind": "contact",
                        "partner_id": record.id,
                        "source_id": record.source_id.id,
                        "medium_id": record.medium_id.id,
                        "campaign_id": record.crm_campaign_id.id,
                        "user_id": record.user_id.id,
                        "team_id": record.team_id.id,
                        "company_id": record.company_id.id,
                    }
                )
        return self.sudo().create(vals_list)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        self.env["crm.acquisition.event"]._crm_record(leads)
        return leads

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # A lead created by an email to the team's alias.
        self = self.with_context(crm_entry_point=self.env.context.get("crm_entry_point") or "email_alias")
        return super().message_new(msg_dict, custom_values=custom_values)


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        # People and organisations, not the users' own partners or addresses.
        contacts = partners.filtered(lambda p: p.type == "contact" and not p.user_ids)
        if contacts and not self.env.context.get("crm_no_acquisition_event"):
            self.env["crm.acquisition.event"]._crm_record(contacts)
        return partners
