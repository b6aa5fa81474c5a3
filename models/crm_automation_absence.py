"""Enrolment on what the prospect did not do: an automation email not opened,
or not clicked (any link, or a given one), within N days of being sent.

Each email an email step sends is kept as a ``crm.automation.email`` row
(its run, step, message and contact) when it is signed for tracking. The
automation cron looks, in batches, for the emails whose N days have passed
for a pipeline with such a trigger and that this pipeline has not decided
yet. It locks them with ``FOR UPDATE SKIP LOCKED`` (see ``claimed_batches``),
reads their opens, clicks and sending state for the whole batch, enrols the
records of the emails that were neither opened (or clicked) nor bounced, and
marks each (email, pipeline) pair as decided, fired or not. So a pipeline
fires at most once per email, also with two workers; an open or a click
recorded at any time before the check (even after the N days) prevents it;
an email that bounced, failed or is still queued never fires.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.mail import validate_url

from .crm_automation_run import claimed_batches
from .crm_automation_step_tracking import NEGATIVE_CONDITIONS

ABSENCE_TRIGGERS = ("not_opened", "not_clicked")
ABSENCE_BATCH = 500
# Mail states in which an email did not (or not yet) reach the contact.
UNDELIVERED_STATES = ("outgoing", "exception", "cancel")


class CrmAutomationEmail(models.Model):
    _name = "crm.automation.email"
    _description = "Automation Email Sent"
    _order = "date desc, id desc"

    run_id = fields.Many2one("crm.automation.run", required=True, ondelete="cascade", index=True)
    automation_id = fields.Many2one("crm.automation", string="Sent By Pipeline", required=True, ondelete="cascade")
    step_id = fields.Many2one("crm.automation.step", string="Email Step", ondelete="set null")
    message_id = fields.Many2one("mail.message", string="Email", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one("res.partner", string="Contact", ondelete="cascade", index="btree_not_null")
    date = fields.Datetime(string="Sent", required=True, default=fields.Datetime.now, index=True)
    bounced = fields.Boolean(readonly=True)
    checked_date = fields.Datetime(string="Last Checked", readonly=True)
    decided_automation_ids = fields.Many2many(
        "crm.automation",
        "crm_automation_email_decided_rel",
        "email_id",
        "automation_id",
        string="Decided By",
        readonly=True,
        help="The pipelines triggered by an unopened or unclicked email that have already checked this email.",
    )

    _sql_constraints = (("message_uniq", "UNIQUE(message_id)", "An email is kept once."),)

    @api.model
    def _crm_claim_due(self, automations, started, limit):
        """Lock up to ``limit`` emails past the N days of one of
        ``automations`` that it has not decided yet, skipping those another
        worker holds and those checked since ``started``."""
        self.flush_model()
        self.env["crm.automation"].flush_model(
            ["trigger_days", "trigger_source_automation_id", "trigger_absence_since"]
        )
        self.env["mail.mail"].flush_model(["state", "mail_message_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id
                  FROM crm_automation_email e
                 WHERE e.bounced IS NOT TRUE
                   AND (e.checked_date IS NULL OR e.checked_date < %(started)s)
                   AND EXISTS (%(due)s)
                   AND NOT EXISTS (
                        SELECT 1 FROM mail_mail m
                         WHERE m.mail_message_id = e.message_id AND m.state IN %(undelivered)s)
                 ORDER BY e.id
                 LIMIT %(limit)s
                   FOR UPDATE OF e SKIP LOCKED
                """,
                started=started,
                due=self._crm_due_pairs(automations, fields.Datetime.now(), SQL("SELECT 1")),
                undelivered=UNDELIVERED_STATES,
                limit=limit,
            ),
            log_exceptions=False,
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _crm_due_pairs(self, automations, now, select):
        """The pipelines of ``automations`` whose N days have passed for the
        email ``e`` and that have not decided it yet (a correlated subquery)."""
        return SQL(
            """
            %(select)s
              FROM crm_automation a
             WHERE a.id IN %(ids)s
               AND a.id != e.automation_id
               AND e.date >= a.trigger_absence_since
               AND e.date <= %(now)s - make_interval(days => a.trigger_days)
               AND (a.trigger_source_automation_id IS NULL OR a.trigger_source_automation_id = e.automation_id)
               AND NOT EXISTS (
                    SELECT 1 FROM crm_automation_email_decided_rel d
                     WHERE d.email_id = e.id AND d.automation_id = a.id)
            """,
            select=select,
            ids=tuple(automations.ids),
            now=now,
        )

    def _crm_decide(self, automations):
        """For the (locked) emails of ``self``: enrol, in each of
        ``automations`` due for them, the records of the emails that were not
        opened or clicked, and mark every due pair decided. A fixed number of
        queries for the batch, plus a few per pipeline that fires."""
        now = fields.Datetime.now()
        pairs = self.env.execute_query(
            SQL(
                "SELECT e.id, a.id FROM crm_automation_email e, LATERAL (%(due)s) a WHERE e.id IN %(ids)s",
                due=self._crm_due_pairs(automations, now, SQL("SELECT a.id")),
                ids=tuple(self.ids),
            )
        )
        self.env["crm.automation.email.event"].flush_model()
        events = self.env.execute_query(
            SQL(
                """
                SELECT ev.message_id, ev.kind, l.url
                  FROM crm_automation_email_event ev
             LEFT JOIN link_tracker l ON l.id = ev.link_id
                 WHERE ev.message_id IN %(messages)s
                """,
                messages=tuple(self.message_id.ids),
            )
        )
        opened = {message for message, kind, _url in events if kind == "open"}
        clicked = {}
        for message, kind, url in events:
            if kind == "click":
                clicked.setdefault(message, set()).add(url)
        emails = {email.id: email for email in self}
        fired = {}
        for email_id, automation_id in pairs:
            email = emails[email_id]
            automation = automations.browse(automation_id)
            message = email.message_id.id
            if automation.trigger_behaviour == "not_opened":
                hit = message in opened
            else:
                url = automation.trigger_url and validate_url(automation.trigger_url.strip())
                hit = bool(clicked.get(message)) if not url else url in clicked.get(message, ())
            if not hit:
                fired.setdefault(automation, self.browse())
                fired[automation] |= email
        if pairs:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO crm_automation_email_decided_rel (email_id, automation_id) VALUES %s "
                    "ON CONFLICT DO NOTHING",
                    SQL(", ").join(SQL("(%s, %s)", email_id, automation_id) for email_id, automation_id in pairs),
                )
            )
            self.invalidate_recordset(["decided_automation_ids"])
        # Written, so that a worker whose snapshot predates this one cannot lock them again.
        self.write({"checked_date": now})
        for automation, fired_emails in fired.items():
            automation._crm_enrol_on_absence(fired_emails)
        return len(pairs)

    @api.model
    def _crm_undelivered_runs(self, runs, step):
        """The ids of ``runs`` whose email of ``step`` bounced or failed (one query)."""
        self.flush_model(["run_id", "step_id", "bounced", "message_id"])
        self.env["mail.mail"].flush_model(["state", "mail_message_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT e.run_id
                  FROM crm_automation_email e
                 WHERE e.run_id IN %(runs)s AND e.step_id = %(step)s
                   AND (e.bounced OR EXISTS (
                        SELECT 1 FROM mail_mail m
                         WHERE m.mail_message_id = e.message_id AND m.state IN ('exception', 'cancel')))
                """,
                runs=tuple(runs.ids),
                step=step.id,
            )
        )
        return {run_id for (run_id,) in rows}


class CrmAutomationStep(models.Model):
    _inherit = "crm.automation.step"

    def _crm_condition_verdicts(self, runs):
        # "Not opened" or "not clicked" does not hold for an email that never
        # arrived: the bounced or failed ones take the Else path at once.
        verdicts = super()._crm_condition_verdicts(runs)
        if self.condition in NEGATIVE_CONDITIONS and runs:
            undelivered = (
                self.env["crm.automation.email"].sudo()._crm_undelivered_runs(runs, self._crm_reference_email_step())
            )
            for run_id in undelivered:
                verdicts[run_id] = ("no", verdicts[run_id][1])
        return verdicts


class CrmAutomation(models.Model):
    _inherit = "crm.automation"

    trigger_days = fields.Integer(
        string="Within (days)",
        default=3,
        help="How many days after an email is sent it must stay unopened (or unclicked) to enrol its contact.",
    )
    trigger_absence_since = fields.Datetime(
        string="Watching Emails Since",
        readonly=True,
        copy=False,
        help="Only emails sent since the trigger was set are watched: setting it does not enrol every past email.",
    )

    @api.constrains("trigger_behaviour", "trigger_days")
    def _check_trigger_days(self):
        for automation in self:
            if automation.trigger_behaviour in ABSENCE_TRIGGERS and automation.trigger_days < 1:
                raise ValidationError(
                    self.env._(
                        "%(name)s enrols on an email not opened or not clicked: set within how many days (at least 1).",
                        name=automation.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        vals_list = [
            {**vals, "trigger_absence_since": now} if vals.get("trigger_behaviour") in ABSENCE_TRIGGERS else vals
            for vals in vals_list
        ]
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("trigger_behaviour") in ABSENCE_TRIGGERS:
            starting = self.filtered(lambda automation: automation.trigger_behaviour not in ABSENCE_TRIGGERS)
            res = super().write(vals)
            starting.trigger_absence_since = fields.Datetime.now()
            return res
        return super().write(vals)

    def _crm_enrol_on_absence(self, emails):
        """Enrol the records of ``emails``, which this pipeline found unopened
        or unclicked: their contacts, or the deals they were sent about."""
        self.ensure_one()
        for source, source_emails in emails.grouped("automation_id").items():
            if self.trigger_behaviour == "not_opened":
                reason = self.env._(
                    "Did not open %(pipeline)s's email within %(days)s days",
                    pipeline=source.name,
                    days=self.trigger_days,
                )
            else:
                reason = self.env._(
                    "Did not click %(pipeline)s's email within %(days)s days",
                    pipeline=source.name,
                    days=self.trigger_days,
                )
            deal_runs = source_emails.run_id.filtered(lambda run: run.res_model == "crm.lead")
            self._crm_enrol_behaviour({"res.partner": source_emails.partner_id, "crm.lead": deal_runs.lead_id}, reason)

    @api.model
    def _crm_cron_absence(self, batch_size=ABSENCE_BATCH, time_budget=None):
        """Enrol on emails not opened or not clicked in time, batch by batch;
        return how many (email, pipeline) pairs were decided."""
        self = self.sudo()
        automations = self.search([("trigger_behaviour", "in", ABSENCE_TRIGGERS)])
        if not automations:
            return 0
        Email = self.env["crm.automation.email"]
        started = fields.Datetime.now()
        decided = 0
        claim = lambda: Email._crm_claim_due(automations, started, batch_size)  # noqa: E731
        for emails in claimed_batches(self.env, claim, time_budget):
            decided += emails._crm_decide(automations)
        return decided


class CrmAutomationEmailEvent(models.Model):
    _inherit = "crm.automation.email.event"

    @api.model
    def _crm_track_mails(self, mails, step, run_by_res_id):
        res = super()._crm_track_mails(mails, step, run_by_res_id)
        Run = self.env["crm.automation.run"].sudo()
        vals, seen = [], set()
        for mail in mails:
            run_id = run_by_res_id.get(mail.res_id)
            if not run_id or mail.res_id in seen or not mail.mail_message_id:
                continue
            seen.add(mail.res_id)
            run = Run.browse(run_id)
            vals.append(
                {
                    "run_id": run_id,
                    "automation_id": step.automation_id.id,
                    "step_id": step.id,
                    "message_id": mail.mail_message_id.id,
                    "partner_id": run.partner_id.id or run.lead_id.partner_id.id,
                }
            )
        self.env["crm.automation.email"].sudo().create(vals)
        return res


class CrmAutomationRun(models.Model):
    _inherit = "crm.automation.run"

    @api.model
    def _cron_process_due_runs(self, batch_size=None, time_budget=None):
        # The same cron first enrols on the emails left unopened or unclicked,
        # so that the runs it starts are executed in this call already.
        kwargs = {key: value for key, value in (("batch_size", batch_size), ("time_budget", time_budget)) if value}
        self.env["crm.automation"]._crm_cron_absence(**kwargs)
        return super()._cron_process_due_runs(**kwargs)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        res = super()._routing_handle_bounce(email_message, message_dict)
        bounced = message_dict.get("bounced_message")
        if bounced:
            emails = self.env["crm.automation.email"].sudo().search([("message_id", "in", bounced.ids)])
            emails.write({"bounced": True})
        return res
