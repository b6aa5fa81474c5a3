import logging
from datetime import timedelta

from markupsafe import Markup
from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_automation import cron_commit
from .crm_automation_run import MAX_LOCK_CONFLICTS
from .res_partner import CLIENT_STATUSES, CLIENT_TYPES

_logger = logging.getLogger(__name__)

INACTIVITY_ACTIONS = [
    ("activity", "Schedule an Activity for the Owner"),
    ("automation", "Enrol in an Automation Pipeline"),
    ("notify", "Notify the Team"),
]
# Partners flagged and acted upon per committed batch.
BATCH_SIZE = 500


class CrmInactivityRule(models.Model):
    """Days without contact after which a client or contact is flagged
    inactive, and what then happens. One alert per inactive period: a
    partner stays flagged (and is not alerted again) until a new touch
    clears the flag (res.partner._crm_register_touches)."""

    _name = "crm.inactivity.rule"
    _description = "Inactivity Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    applies_to = fields.Selection([("client", "Clients"), ("contact", "Contacts")], required=True, default="client")
    client_type = fields.Selection(CLIENT_TYPES, help="Only clients (or contacts of clients) of this type.")
    client_status = fields.Selection(CLIENT_STATUSES, help="Only clients (or contacts of clients) in this status.")
    team_id = fields.Many2one("crm.team", string="Sales Team", help="Only clients and contacts of this team.")
    days = fields.Integer(string="Days Without Contact", required=True, default=30)
    action = fields.Selection(INACTIVITY_ACTIONS, required=True, default="activity")
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        default=lambda self: self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False),
    )
    automation_id = fields.Many2one(
        "crm.automation", string="Automation Pipeline", domain="[('target_model', '=', 'res.partner')]"
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    _sql_constraints = [  # noqa: RUF012
        ("days_positive", "CHECK(days > 0)", "An inactivity rule needs a positive number of days."),
    ]

    def _partner_domain(self, now):
        """Partners this rule flags at ``now``: untouched for ``days`` and not flagged yet."""
        self.ensure_one()
        limit = now - timedelta(days=self.days)
        domain = [
            ("crm_inactive", "=", False),
            ("is_company", "=", self.applies_to == "client"),
            "|",
            ("crm_last_contacted", "<", limit),
            "&",
            ("crm_last_contacted", "=", False),
            ("create_date", "<", limit),
        ]
        if self.client_type:
            domain.append(("commercial_partner_id.crm_client_type", "=", self.client_type))
        if self.client_status:
            domain.append(("commercial_partner_id.crm_client_status", "=", self.client_status))
        if self.team_id:
            domain.append(("team_id", "=", self.team_id.id))
        if self.company_id:
            domain += ["|", ("company_id", "=", False), ("company_id", "=", self.company_id.id)]
        return domain

    def _lock_inactive(self, now, limit, after_id=0):
        """Take up to ``limit`` partners to flag, after ``after_id`` in id
        order, skipping those another worker holds. Each batch goes on from
        the last one (keyset): a run reads the partners once, however many
        batches it takes."""
        Partner = self.env["res.partner"].with_context(active_test=True)
        Partner.flush_model()
        query = Partner._search(self._partner_domain(now) + [("id", ">", after_id)], order="id", limit=limit)
        self.env.cr.execute(
            SQL("%s FOR UPDATE OF res_partner SKIP LOCKED", query.select(SQL.identifier("res_partner", "id"))),
            log_exceptions=False,
        )
        return Partner.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _cron_flag_inactive(self, batch_size=BATCH_SIZE):
        """Daily: flag the partners each rule finds untouched, and act once.

        Batches are locked with ``FOR UPDATE SKIP LOCKED`` and committed one
        by one (crm_automation.cron_commit): two workers share the work, and
        a partner committed by the other after this snapshot is retried on
        a fresh one (MAX_LOCK_CONFLICTS), as the automation cron does.
        Returns the number of partners flagged.
        """
        self = self.sudo()
        commit = cron_commit(self.env)
        flagged = 0
        for rule_id in self.search([]).ids:
            conflicts = after_id = 0
            while True:
                rule = self.browse(rule_id)
                now = fields.Datetime.now()
                try:
                    partners = rule._lock_inactive(now, batch_size, after_id)
                except TransactionRollbackError:
                    if not commit or conflicts >= MAX_LOCK_CONFLICTS:
                        raise
                    conflicts += 1
                    self.env.cr.rollback()
                    self.env.invalidate_all()
                    continue
                conflicts = 0
                if not partners:
                    break
                # Partners skipped because the other worker held them are its
                # own; one it failed to flag is found again by the next run.
                after_id = partners.ids[-1]
                partners.write({"crm_inactive": True, "crm_inactive_since": now, "crm_inactivity_rule_id": rule.id})
                rule._act(partners)
                flagged += len(partners)
                if cron_commit(self.env):
                    self.env.invalidate_all()
                elif len(partners) < batch_size:
                    break
        return flagged

    def _act(self, partners):
        self.ensure_one()
        getattr(self, f"_act_{self.action}")(partners)

    def _summary(self):
        return self.env._("No contact for %(days)s days", days=self.days)

    def _activity_owner(self, partner):
        return partner.user_id or partner.team_id.user_id or self.env.ref("base.user_root")

    def _act_activity(self, partners):
        """One activity per partner for its owner, created in one batch.

        Odoo would mail each owner once per activity assigned by someone
        else (a render and a message each); ``mail_activity_quick_update``
        skips that, and each owner gets one inbox notice per batch instead,
        with how many were flagged for them and a link to the list. Owners
        are still subscribed to their partners (stock create, one call per
        owner) and see the activities in their to-do."""
        model_id = self.env["ir.model"]._get_id("res.partner")
        activity_type = self.activity_type_id or self.env.ref("mail.mail_activity_data_todo")
        summary = self._summary()
        today = fields.Date.context_today(self)
        by_owner = {}
        vals_list = []
        for partner in partners:
            owner = self._activity_owner(partner)
            by_owner.setdefault(owner, []).append(partner.id)
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    # stock computes it one partner read at a time
                    "res_name": partner.display_name,
                    "activity_type_id": activity_type.id,
                    "summary": summary,
                    "user_id": owner.id,
                    "date_deadline": today,
                    "automated": True,
                }
            )
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)
        self._notify_owners(by_owner)

    def _notify_owners(self, by_owner):
        """One inbox notice per owner (but the cron's own user, whom Odoo
        never notifies of activities it assigns itself), in their language."""
        url = "/odoo/action-crm_client_suite.action_crm_not_contacted"
        for owner, partner_ids in by_owner.items():
            if owner == self.env.user or not owner.partner_id or owner == self.env.ref("base.user_root"):
                continue
            rule = self.with_context(lang=owner.lang or self.env.lang)
            body = Markup('<p>%s</p><p><a href="%s">%s</a></p>') % (
                rule.env._(
                    "%(rule)s: %(count)s clients or contacts of yours have not been contacted for %(days)s days. "
                    "An activity is scheduled for you on each.",
                    rule=rule.name,
                    count=len(partner_ids),
                    days=self.days,
                ),
                url,
                rule.env._("See them"),
            )
            self.env["mail.thread"].message_notify(
                partner_ids=owner.partner_id.ids, body=body, subject=rule._summary(), model=False, res_id=False
            )

    def _act_automation(self, partners):
        if self.automation_id:
            self.automation_id._enrol(partners, "sweep", reason=self._summary())

    def _act_notify(self, partners):
        """One inbox message per team (and batch), to its members and
        followers, listing its inactive clients or contacts."""
        by_team = {}
        for partner in partners:
            by_team.setdefault(partner.team_id, self.env["res.partner"])
            by_team[partner.team_id] |= partner
        for team, members in by_team.items():
            recipients = team.member_ids.partner_id | team.message_partner_ids | members.user_id.partner_id
            if not recipients:
                continue
            items = Markup("").join(
                Markup('<li><a href="/odoo/res.partner/%s">%s</a></li>') % (partner.id, partner.display_name)
                for partner in members
            )
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._(
                    "%(rule)s: these have not been contacted for %(days)s days.", rule=self.name, days=self.days
                ),
                items,
            )
            self.env["mail.thread"].message_notify(
                partner_ids=recipients.ids, body=body, subject=self._summary(), model=False, res_id=False
            )


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_inactive = fields.Boolean(
        string="Not Contacted",
        index=True,
        readonly=True,
        copy=False,
        help="Flagged by an inactivity rule: nobody has contacted it for too long. A new touch clears it.",
    )
    crm_inactive_since = fields.Datetime(string="Flagged Since", readonly=True, copy=False)
    crm_inactivity_rule_id = fields.Many2one("crm.inactivity.rule", string="Inactivity Rule", readonly=True, copy=False)
