"""Steps that follow the prospect's behaviour: tracked emails and conditions.

A step may carry a condition ("Only If"): the email of an earlier step was
opened, a link (any, or a given one) was clicked, it was not opened or not
clicked within N days, the contact replied, submitted the web form, or the
deal reached a stage. When the step is due, the condition is evaluated for
the whole batch of runs at once (a few grouped queries, none per run): where
it holds the step runs, where it does not the run goes to the step's "Else Go
To" step (or skips to the next one), and where it cannot be decided yet (an
event that may still come within the N days) the run waits, at the latest
until the deadline; an open, a click, a reply, a form or a stage change wakes
it earlier.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.mail import validate_url

from ..exceptions import CrmAutomationStepError

STEP_CONDITIONS = [
    ("opened", "Email opened"),
    ("clicked", "Link clicked"),
    ("not_opened", "Email not opened"),
    ("not_clicked", "Link not clicked"),
    ("replied", "Contact replied"),
    ("form", "Web form submitted"),
    ("stage", "Deal stage reached"),
]
# Conditions about the email of an earlier step.
EMAIL_CONDITIONS = ("opened", "clicked", "not_opened", "not_clicked", "replied")
# Conditions that hold when the event did NOT happen.
NEGATIVE_CONDITIONS = ("not_opened", "not_clicked")


class CrmAutomationStep(models.Model):
    _inherit = "crm.automation.step"

    condition = fields.Selection(
        STEP_CONDITIONS,
        string="Only If",
        help="Run this step only if the prospect behaved so; otherwise go to the Else step. "
        "Empty: the step always runs.",
    )
    condition_email_step_id = fields.Many2one(
        "crm.automation.step",
        string="Email of Step",
        domain="[('automation_id', '=', automation_id), ('action', '=', 'email'), ('id', '!=', id)]",
        ondelete="set null",
        help="The email step the condition looks at. Empty: the last email step before this one.",
    )
    condition_url = fields.Char(string="Link", help="The clicked link's address. Empty: any link of the email.")
    condition_days = fields.Integer(
        string="Within (days)",
        help="How long to wait for the behaviour, counted from the email (or from reaching this step). "
        "0: decide at once.",
    )
    condition_stage_id = fields.Many2one("crm.stage", string="Stage Reached", ondelete="restrict")
    else_step_id = fields.Many2one(
        "crm.automation.step",
        string="Else Go To",
        domain="[('automation_id', '=', automation_id), ('id', '!=', id)]",
        ondelete="set null",
        help="Where a run goes when the condition does not hold. Empty: skip this step and go on with the next.",
    )

    # ------------------------------------------------------------------
    # Validation and description
    # ------------------------------------------------------------------

    @api.constrains(
        "condition",
        "condition_email_step_id",
        "condition_stage_id",
        "condition_days",
        "else_step_id",
        "automation_id",
    )
    def _check_condition(self):
        for step in self.sudo():
            if step.condition_days < 0:
                raise CrmAutomationStepError(self.env._("Delays and timeouts cannot be negative."))
            if step.else_step_id and step.else_step_id.automation_id != step.automation_id:
                raise CrmAutomationStepError(
                    self.env._("The Else step of %(step)s must belong to the same pipeline.", step=step.name)
                )
            if not step.condition:
                continue
            if step.condition == "stage" and not step.condition_stage_id:
                step._raise_incomplete()
            if step.condition in EMAIL_CONDITIONS and not step._crm_reference_email_step():
                raise CrmAutomationStepError(
                    self.env._(
                        "The condition of step %(step)s is about an email: add an email step before it.",
                        step=step.name,
                    )
                )
            if step.condition == "replied" and step.automation_id.exit_on_reply:
                raise CrmAutomationStepError(
                    self.env._(
                        "Step %(step)s waits for a reply, but the pipeline exits on reply: "
                        "untick Contact Replied in its exit conditions.",
                        step=step.name,
                    )
                )

    @api.depends(
        lambda self: (
            "action",
            *self._action_field_names(),
            "condition",
            "condition_days",
            "condition_url",
            "condition_stage_id",
        )
    )
    @api.depends_context("lang")
    def _compute_description(self):
        res = super()._compute_description()
        for step in self.filtered("condition"):
            step.description = self.env._(
                "%(action)s, only if: %(condition)s", action=step.description, condition=step._crm_describe_condition()
            )
        return res

    def _crm_describe_condition(self):
        self.ensure_one()
        label = self._selection_label("condition")
        if self.condition in ("clicked", "not_clicked") and self.condition_url:
            label = f"{label} ({self.condition_url})"
        if self.condition == "stage":
            label = f"{label} ({self.condition_stage_id.name})"
        if self.condition_days:
            label = self.env._("%(condition)s within %(days)s days", condition=label, days=self.condition_days)
        return label

    def _crm_reference_email_step(self):
        """The email step whose email the condition looks at."""
        self.ensure_one()
        if self.condition_email_step_id:
            return self.condition_email_step_id
        steps = self.automation_id.step_ids
        before = steps[: list(steps).index(self)] if self in steps else steps.browse()
        return before.filtered(lambda step: step.action == "email")[-1:]

    # ------------------------------------------------------------------
    # Tracked emails
    # ------------------------------------------------------------------

    def _execute_email(self, runs, records):
        tracked = self.with_context(crm_tracking_runs=dict(zip(records.ids, runs.ids, strict=True)))
        return super(CrmAutomationStep, tracked)._execute_email(runs, records)

    def _queue_templated_emails(self, records):
        # The emails are signed as the composer creates them (mail.mail
        # create), before any is sent; only there, not in what the step does
        # around them (its outreach, notifications).
        runs = self.env.context.get("crm_tracking_runs")
        if not runs:
            return super()._queue_templated_emails(records)
        step = self.with_context(crm_tracking={"step_id": self.id, "runs": runs}, crm_tracking_runs=False)
        return super(CrmAutomationStep, step)._queue_templated_emails(records)

    # ------------------------------------------------------------------
    # Evaluating the condition for a batch of runs
    # ------------------------------------------------------------------

    def _crm_condition_verdicts(self, runs):
        """{run id: (verdict, deadline)} for ``runs`` (all on this step):
        ``"yes"`` (the step runs), ``"no"`` (the Else path) or ``"wait"``
        (undecided until ``deadline``). A fixed number of queries for the
        whole batch."""
        self.ensure_one()
        now = fields.Datetime.now()
        references = self._crm_reference_dates(runs)
        happened = self._crm_condition_dates(runs, references)
        positive = self.condition not in NEGATIVE_CONDITIONS
        verdicts = {}
        for run in runs:
            start = references[run.id]
            deadline = start + timedelta(days=self.condition_days) if self.condition_days else None
            dates = happened.get(run.id, ())
            # None: a state that holds now (a stage), whenever it was reached.
            hit = any(date is None or (start <= date and (deadline is None or date <= deadline)) for date in dates)
            if hit:
                verdicts[run.id] = ("yes" if positive else "no", deadline)
            elif deadline and now < deadline:
                verdicts[run.id] = ("wait", deadline)
            else:
                verdicts[run.id] = ("no" if positive else "yes", deadline)
        return verdicts

    def _crm_reference_dates(self, runs):
        """{run id: when the behaviour starts to count}: when the email of the
        reference step went out, else when the run last moved, else its enrolment."""
        RunStep = self.env["crm.automation.run.step"].sudo()
        moved = dict(RunStep._read_group([("run_id", "in", runs.ids)], ["run_id"], ["date:max"]))
        sent = {}
        email_step = self._crm_reference_email_step() if self.condition in EMAIL_CONDITIONS else None
        if email_step:
            sent = dict(
                RunStep._read_group(
                    [("run_id", "in", runs.ids), ("step_id", "=", email_step.id), ("result", "=", "done")],
                    ["run_id"],
                    ["date:max"],
                )
            )
        return {run.id: sent.get(run) or moved.get(run) or run.date_start for run in runs}

    def _crm_condition_dates(self, runs, references):
        """{run id: [dates the behaviour happened]}."""
        since = min(references.values())
        method = getattr(self, f"_crm_dates_{self.condition}")
        return method(runs, since)

    def _crm_event_dates(self, runs, since, kind):
        domain = [
            ("run_id", "in", runs.ids),
            ("kind", "=", kind),
            ("step_id", "=", self._crm_reference_email_step().id),
            ("date", ">=", since),
        ]
        if kind == "click" and self.condition_url:
            domain.append(("link_id.url", "=", validate_url(self.condition_url.strip())))
        rows = self.env["crm.automation.email.event"].sudo()._read_group(domain, ["run_id"], ["date:array_agg"])
        return {run.id: dates for run, dates in rows}

    def _crm_dates_opened(self, runs, since):
        return self._crm_event_dates(runs, since, "open")

    def _crm_dates_not_opened(self, runs, since):
        return self._crm_event_dates(runs, since, "open")

    def _crm_dates_clicked(self, runs, since):
        return self._crm_event_dates(runs, since, "click")

    def _crm_dates_not_clicked(self, runs, since):
        return self._crm_event_dates(runs, since, "click")

    def _crm_dates_replied(self, runs, since):
        """Inbound emails on the record's thread (from anyone but internal users)."""
        rows = (
            self.env["mail.message"]
            .sudo()
            ._read_group(
                [
                    ("model", "=", runs[:1].res_model),
                    ("res_id", "in", runs.mapped("res_id")),
                    ("message_type", "=", "email"),
                    ("date", ">=", since),
                    "!",
                    ("author_id.user_ids.share", "=", False),
                ],
                ["res_id"],
                ["date:array_agg"],
            )
        )
        by_res_id = dict(rows)
        return {run.id: by_res_id.get(run.res_id, []) for run in runs}

    def _crm_dates_form(self, runs, since):
        """Web form submissions of the run's contact (or of its deal)."""
        records = runs._get_records().sudo()
        contact_of = {record.id: record._crm_automation_contact().id for record in records}
        is_lead = runs[:1].res_model == "crm.lead"
        rows = (
            self.env["crm.acquisition.event"]
            .sudo()
            ._read_group(
                [
                    ("entry_point", "=", "web_form"),
                    ("date", ">=", since),
                    "|",
                    ("partner_id", "in", [pid for pid in contact_of.values() if pid]),
                    ("lead_id", "in", records.ids if is_lead else []),
                ],
                ["partner_id", "lead_id"],
                ["date:array_agg"],
            )
        )
        result = {}
        for partner, lead, dates in rows:
            for run in runs:
                if (partner and partner.id == contact_of.get(run.res_id)) or (is_lead and lead.id == run.res_id):
                    result.setdefault(run.id, []).extend(dates)
        return result

    def _crm_dates_stage(self, runs, since):
        """[None] (holds now) for the runs whose deal, or one of whose
        contact's deals, is in the stage or a later one (or won)."""
        stage = self.condition_stage_id
        reached = [
            "|",
            ("stage_id.sequence", ">", stage.sequence),
            "|",
            ("stage_id", "=", stage.id),
            ("stage_id.is_won", "=", True),
        ]
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        if runs[:1].res_model == "crm.lead":
            ids = set(Lead.search([("id", "in", runs.mapped("res_id")), *reached]).ids)
            return {run.id: [None] for run in runs if run.res_id in ids}
        rows = Lead._read_group([("partner_id", "in", runs.mapped("res_id")), *reached], ["partner_id"], ["__count"])
        partners = {partner.id for partner, _count in rows}
        return {run.id: [None] for run in runs if run.res_id in partners}
