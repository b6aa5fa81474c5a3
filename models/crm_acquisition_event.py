from markupsafe import Markup

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
# The Website app's form controller (website/controllers/form.py), which
# website_crm's contact forms post to: a record created there came by web form.
WEB_FORM_ROUTES = ("/website/form/",)


def entry_point(env):
    """How the records being created entered the system.

    An explicit ``crm_entry_point`` in the context wins (the contact form,
    the mail gateway); then an import (stock's or the add-on's import jobs), a cron (automation), an external API
    call, the Website app's forms, and the web client (by hand). Without an HTTP request (a script,
    ``odoo shell``) it is the API.
    """
    explicit = env.context.get("crm_entry_point")
    if explicit in dict(ENTRY_POINTS):
        return explicit
    if env.context.get("import_file") or env.context.get("crm_import_job_id"):
        return "import"
    if env.context.get("ir_cron_progress_id") or env.context.get("crm_automation_run_id"):
        return "automation"
    try:
        path = request.httprequest.path if request else None
    except RuntimeError:  # outside of a request context
        path = None
    if path is None or path.startswith(API_ROUTES):
        return "api"
    if path.startswith(WEB_FORM_ROUTES):
        return "web_form"
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
        # The team's assignment rule first, so the event and its
        # notifications name the salesperson (crm_team_assignment.py).
        leads._crm_assign_new_leads(vals_list)
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


ACQUISITION_NOTIFY = [
    ("immediate", "Immediately"),
    ("digest", "Daily Digest"),
    ("none", "Never"),
]
DEFAULT_NOTIFY = "digest"


class CrmTeam(models.Model):
    _inherit = "crm.team"

    crm_acquisition_notify = fields.Selection(
        ACQUISITION_NOTIFY,
        string="New Leads Notifications",
        default=DEFAULT_NOTIFY,
        required=True,
        help="How the assigned salesperson and the team's followers hear of the team's new leads, deals and "
        "contacts, unless their own preference says otherwise.",
    )


class ResUsers(models.Model):
    _inherit = "res.users"

    crm_acquisition_notify = fields.Selection(
        [("team", "As Set by the Team"), *ACQUISITION_NOTIFY],
        string="New Leads Notifications",
        default="team",
        required=True,
        help="How you hear of the new leads, deals and contacts assigned to you or to the sales "
        "teams you follow: an inbox message for each batch, or one message a day. "
        "Anything but “As Set by the Team” overrides the team's setting.",
    )

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, "crm_acquisition_notify"]


# The day of the last digest (UTC): one digest per day.
DIGEST_DATE_PARAM = "crm_client_suite.acquisition_digest_date"


class CrmAcquisitionEventNotify(models.Model):
    _inherit = "crm.acquisition.event"

    notified = fields.Boolean(readonly=True, copy=False, index=True, help="Included in a daily digest.")

    def _recipients(self):
        """{user: events} of the people told of these events: the assignee
        and the internal users following the event's sales team."""
        recipients, users_of = {}, {}
        for event in self.sudo():
            # Once per assignee and team (an import's batch has a few of them).
            key = (event.user_id.id, event.team_id.id)
            if key not in users_of:
                users = event.user_id | event.team_id.message_partner_ids.user_ids
                users_of[key] = users.filtered(lambda user: not user.share and user.active)
            for user in users_of[key]:
                recipients.setdefault(user, []).append(event.id)
        return {user: self.browse(ids) for user, ids in recipients.items()}

    def _notify(self, mode):
        """One inbox message per recipient whose preference is ``mode``,
        listing all the events of self that concern them."""
        for user, events in self._recipients().items():
            events = events.filtered(lambda event, user=user: event._notify_mode(user) == mode)
            if not events:
                continue
            items = Markup("").join(
                Markup("<li>%s</li>") % event._summary_line() for event in events.with_context(lang=user.lang)
            )
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                self.with_context(lang=user.lang).env._(
                    "%(count)s new leads, deals or contacts came in.", count=len(events)
                ),
                items,
            )
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=user.partner_id.ids,
                body=body,
                subject=self.with_context(lang=user.lang).env._("New leads and contacts"),
                model=False,
                res_id=False,
            )

    def _notify_mode(self, user):
        """How ``user`` hears of this event: their own preference, else the
        event's team's."""
        self.ensure_one()
        if user.crm_acquisition_notify != "team":
            return user.crm_acquisition_notify
        return self.team_id.crm_acquisition_notify or DEFAULT_NOTIFY

    def _summary_line(self):
        self.ensure_one()
        record = self.lead_id or self.partner_id
        labels = dict(self._fields["entry_point"]._description_selection(self.env))
        return Markup('<a href="/odoo/%s/%s">%s</a> (%s%s)') % (
            record._name,
            record.id,
            record.display_name,
            labels[self.entry_point],
            f", {self.source_id.name}" if self.source_id else "",
        )

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        events._notify("immediate")
        return events

    @api.model
    def _cron_send_digest(self):
        """Daily: one message per user listing the events not digested yet.

        Once a day at most, however often the cron runs (a manual run, a
        shorter interval): what comes in after today's digest waits for
        tomorrow's.
        """
        self = self.sudo()
        params = self.env["ir.config_parameter"]
        today = fields.Date.to_string(fields.Date.today())
        if params.get_param(DIGEST_DATE_PARAM) == today:
            return
        events = self.search([("notified", "=", False)])
        events._notify("digest")
        events.write({"notified": True})
        params.set_param(DIGEST_DATE_PARAM, today)
