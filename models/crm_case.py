from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import email_normalize

CASE_TYPES = [
    ("request", "Request"),
    ("claim", "Claim"),
    ("incident", "Incident"),
]
CASE_PRIORITIES = [
    ("0", "Low"),
    ("1", "Normal"),
    ("2", "High"),
    ("3", "Urgent"),
]
CASE_STAGES = [
    ("new", "New"),
    ("in_progress", "In Progress"),
    ("waiting", "Waiting for Client"),
    ("done", "Solved"),
    ("cancel", "Cancelled"),
]
CLOSED_STAGES = ("done", "cancel")
# The fields of an SLA target whose change moves the deadlines of the open cases.
SLA_TARGET_FIELDS = {"company_id", "priority", "response_hours", "resolution_hours"}
SLA_STATES = [
    ("running", "Running"),
    ("met", "Met"),
    ("missed", "Missed"),
]


class CrmCaseSla(models.Model):
    """Targets of first response and resolution per priority (SLA)."""

    _name = "crm.case.sla"
    _description = "After-Sales Case SLA Target"
    _order = "company_id, priority desc"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    priority = fields.Selection(CASE_PRIORITIES, required=True, default="1")
    response_hours = fields.Float(string="First Response (hours)", required=True, default=8.0)
    resolution_hours = fields.Float(string="Resolution (hours)", required=True, default=40.0)

    _sql_constraints = [  # noqa: RUF012
        ("priority_company_uniq", "UNIQUE(company_id, priority)", "Each priority has one SLA target per company."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        slas = super().create(vals_list)
        self._crm_recompute_open_cases(slas._crm_sla_keys())
        return slas

    def write(self, vals):
        keys = self._crm_sla_keys() if SLA_TARGET_FIELDS & vals.keys() else set()
        res = super().write(vals)
        if keys:
            self._crm_recompute_open_cases(keys | self._crm_sla_keys())
        return res

    def unlink(self):
        keys = self._crm_sla_keys()
        res = super().unlink()
        self._crm_recompute_open_cases(keys)
        return res

    def _crm_sla_keys(self):
        return {(sla.company_id.id, sla.priority) for sla in self}

    @api.model
    def _crm_recompute_open_cases(self, keys):
        """Move the deadlines of the open cases of the given (company,
        priority) pairs to their current target, in one batch: the cases
        are fetched in one query and their new deadlines and SLA states
        written in one UPDATE, not one write per case. Closed cases keep
        their figures, and so does a first response already given: only
        what is still running follows the new target."""
        if not keys:
            return
        Case = self.env["crm.case"].sudo().with_context(active_test=False)
        domain = expression.AND(
            [
                [("stage", "not in", CLOSED_STAGES)],
                expression.OR(
                    [[("company_id", "=", company_id), ("priority", "=", priority)] for company_id, priority in keys]
                ),
            ]
        )
        cases = Case.search_fetch(domain, ["date_open", "priority", "company_id", "date_first_response"])
        if not cases:
            return
        self.env.add_to_compute(Case._fields["sla_resolution_deadline"], cases)
        self.env.add_to_compute(
            Case._fields["sla_response_deadline"], cases.filtered(lambda case: not case.date_first_response)
        )
        cases.flush_recordset()

    @api.constrains("response_hours", "resolution_hours")
    def _check_hours(self):
        for sla in self:
            if sla.response_hours <= 0 or sla.resolution_hours < sla.response_hours:
                raise ValidationError(
                    self.env._(
                        "An SLA target needs a first response time above zero and a resolution time "
                        "at least as long as it."
                    )
                )


class CrmCase(models.Model):
    """An after-sales case of a client: a request, a claim or an incident.

    A model of its own rather than tasks of a support project: cases are
    reported on per client, type, SLA and satisfaction, have a life cycle
    that project stages do not fix (a per-project stage list can drop the
    closing stage the SLA needs), are opened by email to one alias for all
    clients or to a team's own alias (the client comes from the sender, not
    from the alias), and must stay invisible to the project's other portal
    viewers. See readme/CONFIGURE.md.
    """

    _name = "crm.case"
    _description = "After-Sales Case"
    _inherit = ["portal.mixin", "rating.mixin", "mail.activity.mixin"]  # noqa: RUF012
    _order = "priority desc, id desc"
    _mailing_enabled = True
    _primary_email = "email_from"

    name = fields.Char(string="Subject", required=True, tracking=True)
    description = fields.Html()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        index=True,
        tracking=True,
        domain="[('is_company', '=', True), ('parent_id', '=', False)]",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    contact_id = fields.Many2one(
        "res.partner",
        index=True,
        tracking=True,
        domain="[('commercial_partner_id', '=', partner_id)]",
    )
    email_from = fields.Char(string="Email", compute="_compute_email_from", store=True, readonly=False)
    case_type = fields.Selection(CASE_TYPES, string="Type", required=True, default="request", tracking=True)
    priority = fields.Selection(CASE_PRIORITIES, required=True, default="1", tracking=True, index=True)
    stage = fields.Selection(
        CASE_STAGES, required=True, default="new", tracking=True, index=True, group_expand="_expand_stages"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned To",
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index=True,
        compute="_compute_team_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    date_open = fields.Datetime(string="Opened On", required=True, default=fields.Datetime.now, readonly=True)
    date_first_response = fields.Datetime(string="First Response On", readonly=True, copy=False)
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False)
    sla_response_deadline = fields.Datetime(
        string="Respond Before", compute="_compute_sla_response_deadline", store=True, copy=False
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolve Before", compute="_compute_sla_resolution_deadline", store=True, copy=False
    )
    response_hours = fields.Float(
        string="First Response Time (hours)",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        help="Hours from the opening of the case to the team's first reply to the client.",
    )
    resolution_hours = fields.Float(
        string="Resolution Time (hours)",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        help="Hours from the opening of the case to its closing.",
    )
    sla_response_state = fields.Selection(SLA_STATES, string="First Response SLA", compute="_compute_times", store=True)
    sla_resolution_state = fields.Selection(SLA_STATES, string="Resolution SLA", compute="_compute_times", store=True)
    is_closed = fields.Boolean(compute="_compute_is_closed", search="_search_is_closed")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("contact_id")
    def _compute_partner_id(self):
        for case in self:
            if case.contact_id and not case.partner_id:
                case.partner_id = case.contact_id.commercial_partner_id

    @api.depends("contact_id")
    def _compute_email_from(self):
        for case in self:
            if case.contact_id.email:
                case.email_from = case.contact_id.email

    @api.depends("partner_id")
    def _compute_team_id(self):
        for case in self:
            if case.partner_id.team_id and not case.team_id:
                case.team_id = case.partner_id.team_id

    def _crm_sla_targets(self):
        """The SLA target of each case's company and priority, in one query."""
        slas = (
            self.env["crm.case.sla"]
            .sudo()
            .search_fetch(
                [("company_id", "in", self.company_id.ids)],
                ["company_id", "priority", "response_hours", "resolution_hours"],
            )
        )
        targets = {(sla.company_id.id, sla.priority): sla for sla in slas}
        return {case: targets.get((case.company_id.id, case.priority)) for case in self}

    # Two computes, not one: a target change recomputes the response deadline
    # only of the cases still awaiting their first response (crm.case.sla).
    @api.depends("date_open", "priority", "company_id")
    def _compute_sla_response_deadline(self):
        for case, sla in self._crm_sla_targets().items():
            case.sla_response_deadline = (
                case.date_open + timedelta(hours=sla.response_hours) if sla and case.date_open else False
            )

    @api.depends("date_open", "priority", "company_id")
    def _compute_sla_resolution_deadline(self):
        for case, sla in self._crm_sla_targets().items():
            case.sla_resolution_deadline = (
                case.date_open + timedelta(hours=sla.resolution_hours) if sla and case.date_open else False
            )

    @api.depends("date_open", "date_first_response", "date_closed", "sla_response_deadline", "sla_resolution_deadline")
    def _compute_times(self):
        def hours(start, end):
            return (end - start).total_seconds() / 3600 if start and end else 0.0

        def state(done_on, deadline):
            if not done_on:
                return "running"
            if not deadline:
                return False
            return "met" if done_on <= deadline else "missed"

        for case in self:
            case.response_hours = hours(case.date_open, case.date_first_response)
            case.resolution_hours = hours(case.date_open, case.date_closed)
            case.sla_response_state = state(case.date_first_response, case.sla_response_deadline)
            case.sla_resolution_state = state(case.date_closed, case.sla_resolution_deadline)

    @api.depends("stage")
    def _compute_is_closed(self):
        for case in self:
            case.is_closed = case.stage in CLOSED_STAGES

    def _search_is_closed(self, operator, value):
        if operator not in ("=", "!="):
            raise ValidationError(self.env._("Search closed cases with = or != only."))
        closed = (operator == "=") == bool(value)
        return [("stage", "in" if closed else "not in", CLOSED_STAGES)]

    def _expand_stages(self, stages, domain):
        return [key for key, _label in CASE_STAGES]

    def _compute_access_url(self):
        # portal.mixin's own compute only sets "#": replaced, not extended.
        for case in self:
            case.access_url = f"/my/client/cases/{case.id}"

    # ------------------------------------------------------------------
    # CRUD and life cycle
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        for case in cases.filtered("contact_id"):
            # The contact follows its case: the team's replies reach it by email.
            case.message_subscribe(partner_ids=case.contact_id.ids)
        closed = cases.filtered(lambda c: c.stage in CLOSED_STAGES)
        if closed:
            closed.date_closed = fields.Datetime.now()
        return cases

    def write(self, vals):
        if "stage" in vals:
            closing = vals["stage"] in CLOSED_STAGES
            if closing:
                vals.setdefault("date_closed", fields.Datetime.now())
                to_rate = self.filtered(lambda c: c.stage not in CLOSED_STAGES) if vals["stage"] == "done" else None
            else:
                vals["date_closed"] = False
                to_rate = None
        else:
            to_rate = None
        res = super().write(vals)
        if to_rate:
            to_rate._crm_request_rating()
        return res

    def _crm_request_rating(self):
        """Ask the contact of each solved case for its satisfaction, through
        Odoo's rating mixin (the /rate/<token>/<score> pages)."""
        template = self.env.ref("crm_client_suite.mail_template_crm_case_rating", raise_if_not_found=False)
        if not template:
            return
        for case in self.filtered(lambda c: c._rating_get_partner().email):
            case.rating_send_request(template, lang=case._rating_get_partner().lang, force_send=False)

    def _crm_mark_first_response(self, message):
        """The first reply of the team visible to the client sets the first
        response time; internal notes and the client's own messages do not."""
        if message.message_type not in ("comment", "email", "email_outgoing"):
            return
        if message.subtype_id.internal or not message.author_id:
            return
        if not message.author_id.user_ids.filtered(lambda u: not u.share):
            return
        self.filtered(lambda c: not c.date_first_response).sudo().date_first_response = message.date

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        self._crm_mark_first_response(message)
        return res

    def action_crm_close(self):
        self.stage = "done"

    # ------------------------------------------------------------------
    # Mail gateway and rating
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A case by email to an alias: the sender's client becomes the
        case's client, the sender its contact. A team's alias gives the
        team and its company (``custom_values``); the sender is then looked
        up among the contacts that company may use."""
        values = dict(custom_values or {})
        company = self.env["res.company"].browse(values.get("company_id")).exists()
        values.setdefault("name", msg_dict.get("subject") or self.env._("No Subject"))
        values.setdefault("email_from", msg_dict.get("email_from"))
        author = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        contact = self._crm_case_find_sender(msg_dict.get("email_from"), author, company)
        if contact:
            values.setdefault("contact_id", contact.id)
            client = contact.commercial_partner_id
            if client.is_company:
                values.setdefault("partner_id", client.id)
            values.setdefault("company_id", client.company_id.id or contact.company_id.id or self.env.company.id)
        return super().message_new(msg_dict, custom_values=values)

    @api.model
    def _crm_case_find_sender(self, email_from, author, company):
        """The contact an incoming email comes from: among the partners with
        the sender's address (of ``company`` or shared, when given), a
        contact of a client company first, then the gateway's author, then
        one of ``company`` itself. Empty for an unknown sender."""
        email = email_normalize(email_from or "", strict=False)
        if not email:
            return self.env["res.partner"]
        domain = [("email_normalized", "=", email)]
        if company:
            domain.append(("company_id", "in", [False, company.id]))
        partners = self.env["res.partner"].search(domain)
        if not partners:
            return self.env["res.partner"]

        def rank(partner):
            return (
                partner.commercial_partner_id.is_company,
                partner == author,
                bool(company) and partner.company_id == company,
                -partner.id,
            )

        return max(partners, key=rank)

    def _notify_get_reply_to(self, default=None):
        """Replies to a case's emails go to its team's case alias, as stock
        leads reply to their team's alias: the answer then reaches the team
        that handles the case. Cases of a team without a case alias (or
        without a team) keep stock's address, the company's catchall. One
        pass for all records: the teams and aliases are read in batch."""
        cases = self.sudo()
        aliased = cases.filtered(
            lambda case: case.team_id.crm_case_alias_id.alias_name and case.team_id.crm_case_alias_id.alias_domain_id
        )
        res = {}
        leftover = self - aliased
        if leftover:
            res.update(super(CrmCase, leftover)._notify_get_reply_to(default=default))
        for case in aliased:
            res[case.id] = self._notify_get_reply_to_formatted_email(
                case.team_id.crm_case_alias_id.alias_full_name, case.team_id.display_name, company=case.company_id
            )
        return res

    def _rating_get_partner(self):
        return self.contact_id or self.partner_id

    def _rating_get_operator(self):
        return self.user_id.partner_id if self.user_id else self.env["res.partner"]

    def _mail_get_partner_fields(self, introspect_fields=False):
        return ["contact_id"]
