from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import (
    SQL,
    sql as sql_tools,
)

from .crm_automation import cron_commit


class CrmLead(models.Model):
    _name = "crm.lead"
    # The automation mixin first: see its docstring.
    _inherit = ["crm.automation.target.mixin", "crm.lead", "crm.custom.field.mixin"]  # noqa: RUF012

    # Amounts ---------------------------------------------------------------
    # The deal is priced in its own currency (amount_currency/currency_id).
    # expected_revenue stays Odoo's field, in company currency: it is what
    # every stock figure (kanban sums, forecast, prorated revenue, predictive
    # lead scoring, sale_crm) adds up, so pipeline sums never mix currencies.
    currency_id = fields.Many2one(
        "res.currency",
        string="Deal Currency",
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        tracking=True,
    )
    amount_currency = fields.Monetary(
        string="Amount",
        currency_field="currency_id",
        tracking=True,
        help="Value of the deal in its own currency.",
    )
    expected_revenue = fields.Monetary(
        default=None,
        compute="_compute_expected_revenue",
        store=True,
        readonly=False,
        help="Value of the deal in the company currency, converted from the amount at the deal's date.",
    )
    is_foreign_currency = fields.Boolean(compute="_compute_is_foreign_currency")

    # People and competition ------------------------------------------------
    stakeholder_ids = fields.One2many("crm.deal.stakeholder", "lead_id")
    competitor_ids = fields.Many2many("crm.competitor")
    competitive_notes = fields.Html(sanitize=True)

    # Stage history and stalled deals -----------------------------------------
    stage_history_ids = fields.One2many("crm.deal.stage.history", "lead_id")
    days_in_stage = fields.Integer(
        string="Days in Stage",
        compute="_compute_days_in_stage",
        help="Days since the deal entered its current stage.",
    )
    date_last_activity = fields.Datetime(
        string="Last Activity",
        index=True,
        copy=False,
        readonly=True,
        help="Last stage change, message, email or completed activity on the deal.",
    )
    is_stalled = fields.Boolean(
        string="Stalled",
        compute="_compute_is_stalled",
        search="_search_is_stalled",
        help="No activity for longer than the rotting threshold of the stage.",
    )
    stalled_notified_date = fields.Datetime(
        string="Stalled Alert Sent",
        copy=False,
        readonly=True,
        help="When the salesperson was last alerted that the deal is stalled; cleared by any new activity.",
    )
    stage_is_won = fields.Boolean(related="stage_id.is_won")

    # Follow-ups ------------------------------------------------------------
    project_id = fields.Many2one(
        "project.project",
        copy=False,
        index="btree_not_null",
        help="Project created for the client from this won deal.",
    )

    # Automation pipelines and outreach ----------------------------------------
    crm_automation_run_ids = fields.One2many("crm.automation.run", "lead_id", string="Automation Runs")
    crm_outreach_ids = fields.One2many("crm.outreach", "lead_id", string="Outreach")

    def _auto_init(self):
        # Create and fill the new columns in SQL so that installing the suite on
        # a database with many deals neither recomputes every deal nor loses the
        # revenue already entered: existing deals are priced in company currency.
        cr = self.env.cr
        if not sql_tools.column_exists(cr, "crm_lead", "currency_id"):
            sql_tools.create_column(cr, "crm_lead", "currency_id", "int4")
            sql_tools.create_column(cr, "crm_lead", "amount_currency", "numeric")
            sql_tools.create_column(cr, "crm_lead", "date_last_activity", "timestamp")
            cr.execute(
                SQL(
                    """
                    UPDATE crm_lead lead
                       SET currency_id = COALESCE(company.currency_id, %(default)s),
                           amount_currency = lead.expected_revenue,
                           date_last_activity = COALESCE(lead.date_last_stage_update, lead.create_date)
                      FROM crm_lead src
                 LEFT JOIN res_company company ON company.id = src.company_id
                     WHERE src.id = lead.id
                    """,
                    default=self.env.company.currency_id.id,
                )
            )
        return super()._auto_init()

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("company_id")
    def _compute_currency_id(self):
        for lead in self:
            if not lead.currency_id:
                lead.currency_id = (lead.company_id or self.env.company).currency_id

    def _get_conversion_date(self):
        """Date at which the deal amount is converted into company currency."""
        self.ensure_one()
        return (self.create_date or fields.Datetime.now()).date()

    @api.depends("amount_currency", "currency_id", "company_id")
    def _compute_expected_revenue(self):
        for lead in self:
            company = lead.company_id or self.env.company
            if not lead.currency_id or lead.currency_id == company.currency_id:
                lead.expected_revenue = lead.amount_currency or 0.0
            else:
                lead.expected_revenue = lead.currency_id._convert(
                    lead.amount_currency or 0.0, company.currency_id, company, lead._get_conversion_date()
                )

    @api.depends("currency_id", "company_id")
    def _compute_is_foreign_currency(self):
        for lead in self:
            lead.is_foreign_currency = lead.currency_id != (lead.company_id or self.env.company).currency_id

    @api.depends("date_last_stage_update")
    def _compute_days_in_stage(self):
        now = fields.Datetime.now()
        for lead in self:
            since = lead.date_last_stage_update
            lead.days_in_stage = max((now - since).days, 0) if since else 0

    @api.depends("stage_id", "active", "date_last_activity")
    def _compute_is_stalled(self):
        now = fields.Datetime.now()
        for lead in self:
            stage = lead.stage_id
            days = stage.rotting_threshold_days
            lead.is_stalled = bool(
                lead.active
                and days
                and not stage.is_won
                and not stage.is_lost
                and lead.date_last_activity
                and lead.date_last_activity < now - timedelta(days=days)
            )

    def _search_is_stalled(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search stalled deals with 'is set' or 'is not set' only."))
        domain = self._get_stalled_domain()
        if (operator == "=") == value:
            return domain
        return ["!", *domain]

    @api.model
    def _get_stalled_domain(self):
        """Domain of the deals stalled now: one clause per rotting threshold."""
        stages = (
            self.env["crm.stage"]
            .sudo()
            .search([("rotting_threshold_days", ">", 0), ("is_won", "=", False), ("is_lost", "=", False)])
        )
        if not stages:
            return expression.FALSE_DOMAIN
        now = fields.Datetime.now()
        by_days = defaultdict(list)
        for stage in stages:
            by_days[stage.rotting_threshold_days].append(stage.id)
        return expression.AND(
            [
                [("active", "=", True)],
                expression.OR(
                    [
                        [
                            ("stage_id", "in", stage_ids),
                            ("date_last_activity", "<", now - timedelta(days=days)),
                        ]
                        for days, stage_ids in by_days.items()
                    ]
                ),
            ]
        )

    def _pls_get_naive_bayes_probabilities(self, batch_mode=False):
        """Where the company's probability source is the stage default, a deal whose stage has a
        default probability gets it as its automated probability, instead of the predictive score.

        Overriding the scoring itself rather than the compute keeps every path of crm consistent:
        the compute on a stage change, the recompute after a deal is restored, and crm's
        "recompute probabilities" cron all apply it to the deals whose probability is automated,
        and leave a probability set by hand alone. Stages without a default probability, and
        companies whose source is predictive lead scoring, keep Odoo's predictive score.
        """
        probabilities = super()._pls_get_naive_bayes_probabilities(batch_mode=batch_mode)
        for lead in self:
            if (
                lead.active
                and lead.stage_id.probability
                and (lead.company_id or self.env.company).crm_probability_source == "stage"
            ):
                probabilities[lead.id] = lead.stage_id.probability
        return probabilities

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            vals.setdefault("date_last_activity", now)
            if "expected_revenue" in vals and "amount_currency" not in vals:
                # Stock callers (quick create, sale_crm, imports) give the value
                # in company currency: price the deal in company currency too.
                vals["amount_currency"] = vals["expected_revenue"]
                if vals.get("currency_id"):
                    company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                    currency = self.env["res.currency"].browse(vals["currency_id"])
                    vals["amount_currency"] = company.currency_id._convert(
                        vals["expected_revenue"] or 0.0, currency, company, now.date()
                    )
        leads = super().create(vals_list)
        leads.filtered("stage_id")._log_stage_entry(now)
        leads.filtered(lambda lead: lead.active and lead.stage_id.is_lost).action_archive()
        # Automation pipelines: the stage each deal starts in (the mixin enrols on creation).
        for stage, group in leads.grouped("stage_id").items():
            self.env["crm.automation"]._enrol_stage_entered(group, stage)
        return leads

    def write(self, vals):
        if "expected_revenue" in vals and "amount_currency" not in vals and "currency_id" not in vals:
            groups = self._split_expected_revenue_write(vals)
            if len(groups) > 1:
                for leads, lead_vals in groups:
                    leads.write(lead_vals)
                return True
            vals = groups[0][1] if groups else vals

        now = fields.Datetime.now()
        moved = self.browse()
        new_stage = self.env["crm.stage"]
        if "stage_id" in vals:
            new_stage = new_stage.browse(vals["stage_id"])
            moved = self.filtered(lambda lead: lead.stage_id != new_stage)
            if moved:
                vals = dict(vals, date_last_activity=now, stalled_notified_date=False)
        lost_leaving = moved.filtered(lambda lead: not lead.active and lead.stage_id.is_lost)
        res = super().write(vals)
        if moved:
            moved._log_stage_exit(now, new_stage)
            if new_stage:
                moved._log_stage_entry(now)
            if new_stage.is_lost:
                # Reaching the lost stage by any route (kanban, import, RPC) is losing the deal.
                moved.filtered("active").action_archive()
            elif new_stage and lost_leaving and "active" not in vals:
                # Taking a lost deal out of the lost stage restores it.
                lost_leaving.action_unarchive()
                for lead in lost_leaving:
                    # lost deals have no automated probability to go back to: take the new stage's
                    lead.probability = lead.automated_probability
        # Automation pipelines: the stage trigger (the mixin checks the exit conditions).
        if moved and new_stage:
            self.env["crm.automation"]._enrol_stage_entered(moved, new_stage)
        return res

    def _split_expected_revenue_write(self, vals):
        """Turn a write of expected_revenue (company currency) into (leads, vals) groups
        that also set the deal amount in each deal's currency."""
        amount = vals["expected_revenue"] or 0.0
        company_priced = self.filtered(
            lambda lead: not lead.currency_id or lead.currency_id == (lead.company_id or self.env.company).currency_id
        )
        groups = []
        if company_priced:
            groups.append((company_priced, dict(vals, amount_currency=amount)))
        for lead in self - company_priced:
            company = lead.company_id or self.env.company
            converted = company.currency_id._convert(amount, lead.currency_id, company, lead._get_conversion_date())
            groups.append((lead, dict(vals, amount_currency=converted)))
        return groups

    def _log_stage_entry(self, when):
        # The history is an audit trail written as a side effect of a deal
        # write the user is allowed to do; users only ever read it.
        self.env["crm.deal.stage.history"].sudo().create(
            [
                {
                    "lead_id": lead.id,
                    "stage_id": lead.stage_id.id,
                    "team_id": lead.team_id.id,
                    "user_id": lead.user_id.id,
                    "date_in": when,
                }
                for lead in self
            ]
        )

    def _log_stage_exit(self, when, next_stage):
        History = self.env["crm.deal.stage.history"].sudo()
        History.search([("lead_id", "in", self.ids), ("date_out", "=", False)]).write(
            {"date_out": when, "next_stage_id": next_stage.id}
        )
        # the open-stay unique index must see the closed rows before new ones are inserted
        History.flush_model(["date_out", "next_stage_id"])

    @api.model
    def _init_stage_history(self):
        """Open one history row for every deal that has none (install time)."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_deal_stage_history
                       (lead_id, stage_id, team_id, user_id, company_id, date_in,
                        create_uid, create_date, write_uid, write_date)
                SELECT lead.id, lead.stage_id, lead.team_id, lead.user_id, lead.company_id,
                       COALESCE(lead.date_last_stage_update, lead.create_date, now() at time zone 'UTC'),
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM crm_lead lead
                 WHERE lead.stage_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM crm_deal_stage_history h WHERE h.lead_id = lead.id)
                """,
                uid=self.env.uid,
            )
        )
        self.env["crm.deal.stage.history"].invalidate_model()

    def _message_post_after_hook(self, message, msg_vals):
        if message.message_type in ("comment", "email", "email_outgoing") or message.mail_activity_type_id:
            # A technical timestamp: followers who may post but not edit the
            # deal still prove it is alive.
            self.sudo().write({"date_last_activity": fields.Datetime.now(), "stalled_notified_date": False})
        return super()._message_post_after_hook(message, msg_vals)

    # ------------------------------------------------------------------
    # Won / lost
    # ------------------------------------------------------------------

    def toggle_active(self):
        res = super().toggle_active()
        archived = self.filtered(lambda lead: not lead.active)
        restored = self.filtered(lambda lead: lead.active and lead.stage_id.is_lost)
        if archived:
            archived._move_to_lost_stage()
        if restored:
            restored._move_back_from_lost_stage()
        return res

    def _move_to_lost_stage(self):
        for team, leads in self.grouped("team_id").items():
            lost_stage = leads._stage_find(team_id=team.id, domain=[("is_lost", "=", True)])
            to_move = leads.filtered(lambda lead, stage=lost_stage: lead.stage_id != stage)
            if lost_stage and to_move:
                # probability in vals keeps the date_closed that archiving just set
                to_move.write({"stage_id": lost_stage.id, "probability": 0, "automated_probability": 0})

    def _move_back_from_lost_stage(self):
        """Restored deals go back to the stage they were lost from."""
        stays = (
            self.env["crm.deal.stage.history"]
            .sudo()
            .search(
                [("lead_id", "in", self.ids), ("stage_id.is_lost", "=", False), ("date_out", "!=", False)],
                order="date_out desc, id desc",
            )
        )
        previous = {}
        for stay in stays:
            previous.setdefault(stay.lead_id.id, stay.stage_id)
        by_stage = defaultdict(lambda: self.browse())
        for lead in self:
            stage = previous.get(lead.id) or lead._stage_find(domain=[("fold", "=", False), ("is_lost", "=", False)])
            by_stage[stage] |= lead
        for stage, leads in by_stage.items():
            if stage:
                leads.write({"stage_id": stage.id})

    # ------------------------------------------------------------------
    # Stalled deals
    # ------------------------------------------------------------------

    @api.model
    def _cron_notify_stalled(self, batch_size=500):
        """Alert the salesperson of each stalled deal once per stalled period.

        Each stalled deal gets one to-do activity for its salesperson (or its
        team leader); each salesperson then gets one inbox notification per
        run summing up their newly stalled deals, instead of one email per
        deal. Works in bounded batches locked with SKIP LOCKED so that several
        workers may run it together; commits between batches outside tests.
        """
        domain = expression.AND(
            [
                self._get_stalled_domain(),
                [("stalled_notified_date", "=", False), ("type", "=", "opportunity")],
            ]
        )
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id("crm.lead")
        Activity = self.env["mail.activity"].with_context(mail_activity_quick_update=True)
        counts = defaultdict(int)
        total = 0
        while True:
            query = self._search(domain, limit=batch_size, order="id")
            rows = self.env.execute_query(SQL("%s FOR UPDATE OF crm_lead SKIP LOCKED", query.select()))
            leads = self.browse([row[0] for row in rows])
            if not leads:
                break
            now = fields.Datetime.now()
            today = fields.Date.context_today(self)
            activity_vals = []
            for lead in leads:
                owner = lead.user_id or lead.team_id.user_id
                if not owner:
                    continue
                counts[owner] += 1
                activity_vals.append(
                    {
                        "res_model_id": model_id,
                        "res_id": lead.id,
                        "user_id": owner.id,
                        "activity_type_id": activity_type.id if activity_type else False,
                        "date_deadline": today,
                        "summary": self.env._(
                            "Stalled deal: no activity for %(days)s days",
                            days=lead.stage_id.rotting_threshold_days,
                        ),
                        "note": self.env._(
                            "This deal has been waiting in %(stage)s without any activity. Move it forward, "
                            "plan a next step or mark it lost.",
                            stage=lead.stage_id.name,
                        ),
                    }
                )
            Activity.create(activity_vals)
            leads.write({"stalled_notified_date": now})
            total += len(leads)
            if len(leads) < batch_size:
                break
            cron_commit(self.env)
        for owner, count in counts.items():
            self._notify_stalled_owner(owner, count)
        return total

    @api.model
    def _notify_stalled_owner(self, owner, count):
        self.env["mail.thread"].message_notify(
            partner_ids=owner.partner_id.ids,
            subject=self.env._("Stalled deals"),
            body=self.env._(
                "%(count)s of your deals had no activity for too long. Each one has a new to-do in your "
                "activities; the Stalled filter of the pipeline lists them.",
                count=count,
            ),
        )

    # ------------------------------------------------------------------
    # Lead to customer
    # ------------------------------------------------------------------

    def _find_customer_partners(self):
        """Existing partners matching these leads, found by the partners' own
        dedupe (``res.partner._crm_find_duplicates``) in a few queries.

        Matches, strongest first: normalised email, phone (E.164), then the company
        name (case-insensitive). Leads carry no VAT number in Odoo, so VAT is
        not used here. Returns ``{lead_id: partner}``.
        """
        Partner = self.env["res.partner"]
        country_of = self._phone_get_country()
        keys = {
            lead: {
                "email": tools.email_normalize(lead.email_from) if lead.email_from else False,
                "vat": False,
                # E.164 in the lead's country, else its customer's, else the company's.
                "phone": {
                    Partner._crm_phone_e164(number, country_of.get(lead.id) or self.env.company.country_id)
                    for number in (lead.phone, lead.mobile)
                }
                - {False},
                "name": (lead.partner_name or "").strip().lower() or False,
            }
            for lead in self
        }
        by_email, _by_vat, by_phone, by_name = self.env["res.partner"]._crm_find_duplicates(keys)
        result = {}
        for lead, key in keys.items():
            partner = (
                by_email.get(key["email"])
                or next((by_phone[number] for number in sorted(key["phone"]) if number in by_phone), None)
                or by_name.get((key["name"], True, False))
            )
            if partner:
                result[lead.id] = partner
        return result

    def _convert_to_customer(self, partner=None):
        """Make each lead's customer a client: reuse ``partner`` or a dedupe
        match, or create the client company and its contact; the partner then
        inherits the lead's history. Returns ``{lead_id: partner}``."""
        matches = {} if partner else self._find_customer_partners()
        result = {}
        for lead in self:
            customer = partner or matches.get(lead.id) or lead.partner_id or lead._create_customer()
            if customer.is_company and lead.contact_name:
                customer = lead._get_or_create_contact(customer)
            lead._convert_customer_move_history(customer)
            if lead.type == "lead":
                lead.convert_opportunity(customer)
            elif lead.partner_id != customer:
                lead.partner_id = customer
            result[lead.id] = customer
        return result

    def _get_or_create_contact(self, client):
        """The lead's contact person at ``client``: an existing contact of the
        same name, or a new one made from the lead."""
        self.ensure_one()
        name = self.contact_name.strip().lower()
        contact = client.child_ids.filtered(lambda child: (child.name or "").strip().lower() == name)[:1]
        if not contact:
            contact = self.env["res.partner"].create(
                self._prepare_customer_values(self.contact_name, is_company=False, parent_id=client.id)
            )
        return contact

    def _convert_customer_move_history(self, partner):
        """Give ``partner`` the lead's history. Extension point: override
        ``_convert_customer_move_outreach`` for outreach records."""
        self.ensure_one()
        client = partner.commercial_partner_id
        self._convert_customer_move_messages(client)
        self._convert_customer_move_attachments(client)
        self._convert_customer_move_activities(client)
        self._convert_customer_move_utm(client)
        self._convert_customer_move_outreach(partner)

    def _convert_customer_move_messages(self, partner):
        # Copies, so that the deal keeps its own chatter too.
        messages = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("message_type", "!=", "user_notification"),
                ],
                order="id",
            )
        )
        for message in messages:
            message.copy(
                {
                    "model": partner._name,
                    "res_id": partner.id,
                    "record_name": partner.display_name,
                    "attachment_ids": [],
                }
            )

    def _convert_customer_move_attachments(self, partner):
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", self._name), ("res_id", "=", self.id), ("res_field", "=", False)]
        )
        for attachment in attachments:
            attachment.copy({"res_model": partner._name, "res_id": partner.id})

    def _convert_customer_move_activities(self, partner):
        self.activity_ids.write({"res_model_id": self.env["ir.model"]._get_id(partner._name), "res_id": partner.id})
        # activity_ids is a one2many on a model-dependent reference: its cache
        # does not follow a change of model, refresh both sides.
        self.invalidate_recordset(["activity_ids"])
        partner.invalidate_recordset(["activity_ids"])

    def _convert_customer_move_utm(self, partner):
        values = {}
        if self.source_id and not partner.source_id:
            values["source_id"] = self.source_id.id
        if self.medium_id and not partner.medium_id:
            values["medium_id"] = self.medium_id.id
        if values:
            partner.write(values)

    def _convert_customer_move_outreach(self, partner):
        """Outreach logged on the lead without a contact now belongs to ``partner``."""
        self.crm_outreach_ids.filtered(lambda outreach: not outreach.partner_id).write({"partner_id": partner.id})

    # ------------------------------------------------------------------
    # Quotation and project
    # ------------------------------------------------------------------

    def _get_quotation_pricelist(self):
        """Pricelist of the quotation: the client's own if it is in the deal
        currency, else an active pricelist in that currency."""
        self.ensure_one()
        currency = self.currency_id or self.company_currency
        company = self.company_id or self.env.company
        client_pricelist = self.partner_id.with_company(company).property_product_pricelist
        if client_pricelist.currency_id == currency:
            return client_pricelist
        pricelist = self.env["product.pricelist"].search(
            [("currency_id", "=", currency.id), ("company_id", "in", [False, company.id])], limit=1
        )
        if not pricelist and currency == company.currency_id:
            return pricelist  # no pricelist at all: the quotation is in company currency anyway
        if not pricelist:
            raise UserError(
                self.env._(
                    "No pricelist in %(currency)s: ask an administrator to create one (Sales > Products > "
                    "Pricelists) to quote this deal in its currency.",
                    currency=currency.name,
                )
            )
        return pricelist

    def _prepare_opportunity_quotation_context(self):
        context = super()._prepare_opportunity_quotation_context()
        pricelist = self._get_quotation_pricelist() if self.partner_id else False
        if pricelist:
            context["default_pricelist_id"] = pricelist.id
        return context

    def _prepare_project_values(self):
        self.ensure_one()
        client = self.partner_id.commercial_partner_id
        return {
            "name": self.name,
            "partner_id": client.id,
            "company_id": (self.company_id or self.env.company).id,
            "user_id": self.user_id.id or self.env.uid,
            "type_ids": [(6, 0, self._get_project_board_stages().ids)],
        }

    def _get_project_board_stages(self):
        stages = self.env["project.task.type"]
        for xmlid in (
            "crm_client_suite.project_stage_todo",
            "crm_client_suite.project_stage_in_progress",
            "crm_client_suite.project_stage_review",
            "crm_client_suite.project_stage_done",
        ):
            stages |= self.env.ref(xmlid, raise_if_not_found=False) or stages
        return stages

    def _create_client_project(self, add_followers=True):
        """Create the client's project from this won deal and link it."""
        self.ensure_one()
        if not self.stage_id.is_won:
            raise UserError(self.env._("Only won deals become projects: mark the deal won first."))
        if self.project_id:
            raise UserError(self.env._("This deal already has a project: open it from the Project button."))
        if not self.partner_id:
            raise UserError(self.env._("Set the client of the deal before creating its project."))
        values = self._prepare_project_values()
        # project_sms reads the project stage (a field of the Project Stages
        # group) when a project is created with a partner: set it afterwards.
        partner_id = values.pop("partner_id")
        project = self.env["project.project"].create(values)
        project.partner_id = partner_id
        if add_followers:
            client = self.partner_id.commercial_partner_id
            contacts = client | client.child_ids.filtered(lambda p: p.type == "contact" and p.active)
            project.message_subscribe(partner_ids=contacts.ids)
        self.project_id = project
        self.message_post(
            body=self.env._("Project %(project)s created for the client.", project=project._get_html_link()),
        )
        return project

    def action_create_project(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Create Project"),
            "res_model": "crm.lead.create.project",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_id": self.id},
        }

    def action_view_project(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.project_id.display_name,
            "res_model": "project.project",
            "res_id": self.project_id.id,
            "view_mode": "form",
        }

    def action_convert_to_customer(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lead to Customer"),
            "res_model": "crm.lead.convert.customer",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    # Automation pipelines (crm.automation.target.mixin) ---------------------------

    def _crm_automation_exit_fields(self):
        return super()._crm_automation_exit_fields() | {"stage_id", "probability", "partner_id"}

    def _crm_automation_contact(self):
        return self.partner_id

    def _crm_automation_exit_reason(self, pipeline, replied):
        self.ensure_one()
        if pipeline.exit_on_won and self.stage_id.is_won and self.active:
            return "won"
        # Odoo's lost semantic: an archived deal is a lost deal.
        if pipeline.exit_on_lost and not self.active:
            return "lost"
        if self.stage_id in pipeline.exit_stage_ids:
            return "stage"
        return super()._crm_automation_exit_reason(pipeline, replied)
