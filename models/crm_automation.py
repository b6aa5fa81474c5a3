import logging
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.modules import module
from odoo.tools.safe_eval import safe_eval

_logger = logging.getLogger(__name__)

# What an automation pipeline moves along. Keep the two meanings of
# "pipeline" apart: these are automation pipelines, not the deal pipeline.
AUTOMATION_TARGETS = [("res.partner", "Contacts"), ("crm.lead", "Deals")]

# Records are swept and enrolled by chunks of this size.
SWEEP_CHUNK = 1000


def cron_commit(env):
    """Commit the batch a cron just finished; return whether it did.

    The add-on's crons work in bounded batches and commit each one, so that a
    crash or a timeout keeps the work done. They commit when run by ir.cron,
    never inside a test (its transaction is rolled back at the end), unless
    the caller asks for it with the context key ``crm_cron_commit`` (a
    benchmark, or a test working with cursors of its own).
    """
    # Odoo's test runner sets module.current_test; pytest-odoo (on Odoo 18)
    # only marks the thread as testing.
    testing = module.current_test or getattr(threading.current_thread(), "testing", False)
    if env.context.get("crm_cron_commit") or (env.context.get("ir_cron_progress_id") and not testing):
        env.cr.commit()  # pylint: disable=invalid-commit  # cron: keep each finished batch
        return True
    return False


class CrmAutomation(models.Model):
    _name = "crm.automation"
    _description = "Automation Pipeline"
    _inherit = "mail.thread"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    description = fields.Text()
    target_model = fields.Selection(
        AUTOMATION_TARGETS,
        string="Applies To",
        required=True,
        default="res.partner",
        tracking=True,
        help="Contacts and clients, or deals.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        tracking=True,
        help="When set, only records of this sales team are enrolled.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Runs As",
        required=True,
        default=lambda self: self.env.user,
        tracking=True,
        domain=[("share", "=", False)],
        help="The steps execute with the access rights of this user, whoever or whatever "
        "enrolled the record. Emails and notes are sent in this user's name.",
    )
    domain = fields.Char(
        string="Enrol Records Matching",
        default="[]",
        required=True,
        help="Only records matching this filter are enrolled, whatever the trigger.",
    )
    # Enrolment triggers
    trigger_create = fields.Boolean(
        string="On Creation",
        help="Enrol matching records when they are created: in a form, by import or through the API.",
    )
    trigger_stage_id = fields.Many2one(
        "crm.stage",
        string="On Entering Stage",
        help="Enrol matching deals when they enter this stage.",
    )
    trigger_sweep = fields.Boolean(
        string="On Schedule",
        help="Check the filter on a schedule and enrol the records that match, e.g. clients not contacted for 90 days.",
    )
    sweep_interval = fields.Integer(string="Every (hours)", default=24)
    sweep_last = fields.Datetime(string="Last Sweep", readonly=True, copy=False)
    reenrol_policy = fields.Selection(
        [
            ("never", "Never: a record runs through this pipeline once"),
            ("after_end", "Once its previous run has ended"),
            ("after_delay", "Some days after its previous run ended"),
        ],
        string="Re-enrolment",
        required=True,
        default="never",
    )
    reenrol_days = fields.Integer(string="Days Before Re-enrolment", default=30)
    # Exit conditions
    exit_on_reply = fields.Boolean(string="Contact Replied", default=True)
    exit_on_won = fields.Boolean(string="Deal Won", default=True)
    exit_on_lost = fields.Boolean(string="Deal Lost", default=True)
    exit_stage_ids = fields.Many2many("crm.stage", string="Deal Reached Stage")
    exit_on_optout = fields.Boolean(
        string="Opted Out or Blacklisted",
        default=True,
        help="Exit when the contact may no longer be emailed: do-not-email or mail blacklist.",
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Business Hours",
        default=lambda self: self.env.company.resource_calendar_id,
        help="Working hours used by the steps limited to business hours.",
    )
    max_attempts = fields.Integer(
        default=3, help="How many times a failing step is tried before its run is marked failed."
    )
    step_ids = fields.One2many("crm.automation.step", "automation_id", string="Steps", copy=True)
    run_ids = fields.One2many("crm.automation.run", "automation_id", string="Runs")
    # Statistics
    run_count = fields.Integer(string="Enrolled", compute="_compute_statistics")
    active_run_count = fields.Integer(string="Active Runs", compute="_compute_statistics")
    done_run_count = fields.Integer(string="Completed", compute="_compute_statistics")
    exited_run_count = fields.Integer(string="Exited", compute="_compute_statistics")
    failed_run_count = fields.Integer(string="Failed", compute="_compute_statistics")
    won_count = fields.Integer(string="Deals Won", compute="_compute_statistics")
    exit_summary = fields.Char(string="Exits by Reason", compute="_compute_statistics")

    @api.constrains("domain", "target_model")
    def _check_domain(self):
        for automation in self:
            try:
                domain = safe_eval(automation.domain or "[]")
                self.env[automation.target_model].sudo().search_count(domain, limit=1)
            except Exception as e:
                raise ValidationError(
                    self.env._(
                        "The filter of %(name)s is not valid for %(target)s: %(error)s. "
                        "Edit it with the filter editor.",
                        name=automation.name,
                        target=automation.target_model,
                        error=e,
                    )
                ) from e

    @api.constrains("target_model", "trigger_stage_id", "exit_stage_ids", "exit_on_won")
    def _check_target(self):
        for automation in self:
            if automation.target_model != "crm.lead" and automation.trigger_stage_id:
                raise ValidationError(self.env._("Only pipelines applied to deals can enrol on a stage change."))

    @api.constrains("sweep_interval", "max_attempts", "reenrol_days")
    def _check_numbers(self):
        for automation in self:
            if automation.sweep_interval < 1 or automation.max_attempts < 1 or automation.reenrol_days < 0:
                raise ValidationError(
                    self.env._("Sweep interval and attempts must be at least 1, re-enrolment days not negative.")
                )

    def _compute_statistics(self):
        Run = self.env["crm.automation.run"]
        for automation in self:
            for fname in (
                "run_count",
                "active_run_count",
                "done_run_count",
                "exited_run_count",
                "failed_run_count",
                "won_count",
            ):
                automation[fname] = 0
            automation.exit_summary = False
        if not self.ids:
            return
        by_state = Run._read_group([("automation_id", "in", self.ids)], ["automation_id", "state"], ["__count"])
        field_of_state = {
            "running": "active_run_count",
            "waiting": "active_run_count",
            "done": "done_run_count",
            "exited": "exited_run_count",
            "failed": "failed_run_count",
        }
        for automation, state, count in by_state:
            automation.run_count += count
            if state in field_of_state:
                automation[field_of_state[state]] += count
        reasons = dict(Run._fields["exit_reason"]._description_selection(self.env))
        exits = {}
        for automation, reason, count in Run._read_group(
            [("automation_id", "in", self.ids), ("state", "=", "exited")],
            ["automation_id", "exit_reason"],
            ["__count"],
        ):
            exits.setdefault(automation, []).append(f"{reasons.get(reason, reason)}: {count}")
        for automation, parts in exits.items():
            automation.exit_summary = ", ".join(sorted(parts))
        deals = self.filtered(lambda a: a.target_model == "crm.lead")
        if deals:
            for automation, count in Run._read_group(
                [
                    ("automation_id", "in", deals.ids),
                    ("lead_id.stage_id.is_won", "=", True),
                    ("lead_id.active", "=", True),
                ],
                ["automation_id"],
                ["lead_id:count_distinct"],
            ):
                automation.won_count = count

    def write(self, vals):
        res = super().write(vals)
        if vals.get("active") is False:
            self.env["crm.automation.run"].sudo().search(
                [("automation_id", "in", self.ids), ("state", "in", ("running", "waiting"))]
            )._stop("cancelled", "archived_pipeline")
        return res

    # ------------------------------------------------------------------
    # Enrolment
    # ------------------------------------------------------------------

    def _get_enrol_domain(self):
        self.ensure_one()
        domain = safe_eval(self.domain or "[]")
        if self.team_id:
            domain = (
                ["&", ("team_id", "=", self.team_id.id), *domain] if domain else [("team_id", "=", self.team_id.id)]
            )
        return domain

    def _matching(self, records):
        """The part of ``records`` matching this pipeline's filter (one query)."""
        self.ensure_one()
        if not records:
            return records
        Model = self.env[self.target_model].sudo().with_context(active_test=False)
        return Model.search([("id", "in", records.ids), *self._get_enrol_domain()])

    def _filter_enrollable(self, records):
        """Drop records that are running through this pipeline or may not re-enter it."""
        self.ensure_one()
        if not records:
            return records
        previous = (
            self.env["crm.automation.run"]
            .sudo()
            .search_read(
                [
                    ("automation_id", "=", self.id),
                    ("res_model", "=", records._name),
                    ("res_id", "in", records.ids),
                ],
                ["res_id", "state", "date_end"],
            )
        )
        limit = fields.Datetime.now() - timedelta(days=self.reenrol_days)
        blocked = set()
        for run in previous:
            if run["state"] in ("running", "waiting") or self.reenrol_policy == "never":
                blocked.add(run["res_id"])
            elif self.reenrol_policy == "after_delay" and run["date_end"] and run["date_end"] > limit:
                blocked.add(run["res_id"])
        return records.filtered(lambda r: r.id not in blocked)

    def _enrol(self, records, trigger, reason=False, parent_run=False, check_domain=True):
        """Enrol ``records`` in this pipeline; return the new runs.

        Records already running through the pipeline are skipped (a partial
        unique index makes that hold under concurrency too).
        """
        self.ensure_one()
        Run = self.env["crm.automation.run"].sudo()
        if not self.active or records._name != self.target_model:
            return Run
        if check_domain:
            records = self._matching(records)
        records = self._filter_enrollable(records.sudo())
        if not records:
            return Run
        now = fields.Datetime.now()
        first = self.step_ids[:1]
        due = first._due_after(now) if first else now
        is_lead = self.target_model == "crm.lead"
        return Run.create(
            [
                {
                    "automation_id": self.id,
                    "res_model": self.target_model,
                    "res_id": record.id,
                    "lead_id": record.id if is_lead else False,
                    "partner_id": False if is_lead else record.id,
                    "step_id": first.id,
                    "next_due": due,
                    "date_start": now,
                    "trigger": trigger,
                    "enrol_reason": reason,
                    "enrolled_by": self.env.uid,
                    "parent_run_id": parent_run and parent_run.id,
                }
                for record in records
            ]
        )

    @api.model
    def _enrol_created(self, records):
        """Observer: enrol freshly created records (form, import or API)."""
        if not records or self.env.context.get("crm_automation_no_enrol"):
            return
        automations = self.sudo().search([("target_model", "=", records._name), ("trigger_create", "=", True)])
        for automation in automations:
            automation._enrol(records, "create", self.env._("Created"))

    @api.model
    def _enrol_stage_entered(self, leads, stage):
        if not leads or not stage or self.env.context.get("crm_automation_no_enrol"):
            return
        automations = self.sudo().search([("target_model", "=", "crm.lead"), ("trigger_stage_id", "=", stage.id)])
        for automation in automations:
            automation._enrol(leads, "stage", self.env._("Entered stage %(stage)s", stage=stage.name))

    def action_enrol_records(self, records):
        """By hand: enrol records chosen by a user who may read them."""
        self.ensure_one()
        records.check_access("read")
        runs = self._enrol(records, "manual", self.env._("Enrolled by %(user)s", user=self.env.user.name))
        return runs

    @api.model
    def _cron_sweep(self):
        """Scheduled sweep: enrol the records matching each due pipeline's filter."""
        now = fields.Datetime.now()
        automations = self.sudo().search([("trigger_sweep", "=", True)])
        for automation in automations:
            if automation.sweep_last and automation.sweep_last + timedelta(hours=automation.sweep_interval) > now:
                continue
            Model = self.env[automation.target_model].sudo()
            ids = Model.search(automation._get_enrol_domain(), order="id").ids
            for start in range(0, len(ids), SWEEP_CHUNK):
                chunk = Model.browse(ids[start : start + SWEEP_CHUNK])
                automation._enrol(chunk, "sweep", self.env._("Scheduled check"), check_domain=False)
                chunk.invalidate_recordset()
            automation.sweep_last = now
            cron_commit(self.env)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _action_runs(self, domain=None, context=None):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_automation_run")
        action["domain"] = [("automation_id", "=", self.id), *(domain or [])]
        action["context"] = {"default_automation_id": self.id, **(context or {})}
        return action

    def action_view_runs(self):
        return self._action_runs()

    def action_view_active_runs(self):
        return self._action_runs([("state", "in", ("running", "waiting"))])

    def action_view_done_runs(self):
        return self._action_runs([("state", "=", "done")])

    def action_view_exited_runs(self):
        return self._action_runs([("state", "=", "exited")], {"group_by": "exit_reason"})

    def action_view_failed_runs(self):
        return self._action_runs([("state", "=", "failed")])

    def action_test(self):
        self.ensure_one()
        if not self.step_ids:
            raise UserError(self.env._("Add at least one step before testing the pipeline."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Test %(name)s", name=self.name),
            "res_model": "crm.automation.preview",
            "view_mode": "form",
            "target": "new",
            "context": {"default_automation_id": self.id},
        }
