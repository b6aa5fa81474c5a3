"""Runs through steps with a behaviour condition: run, take the Else path, or wait."""

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_automation_step import WAIT_POLL


class CrmAutomationRun(models.Model):
    _inherit = "crm.automation.run"

    trigger = fields.Selection(
        selection_add=[("behaviour", "Prospect behaviour")], ondelete={"behaviour": "set default"}
    )
    crm_condition_step_id = fields.Many2one(
        "crm.automation.step",
        string="Condition Met At",
        ondelete="set null",
        copy=False,
        help="The step whose condition this run met: it is not evaluated again while the step's action waits.",
    )
    email_event_ids = fields.One2many("crm.automation.email.event", "run_id", string="Opens and Clicks")

    def write(self, vals):
        if "step_id" in vals and "crm_condition_step_id" not in vals:
            vals = {**vals, "crm_condition_step_id": False}
        return super().write(vals)

    def _execute_step(self, step):
        if not step.condition:
            return super()._execute_step(step)
        to_check = self.filtered(lambda run: run.crm_condition_step_id != step)
        verdicts = step._crm_condition_verdicts(to_check) if to_check else {}
        by_verdict = {"yes": self.browse(), "no": self.browse(), "wait": self.browse()}
        for run in to_check:
            by_verdict[verdicts[run.id][0]] |= run
        if by_verdict["wait"]:
            by_verdict["wait"]._crm_wait_condition(step, {run.id: verdicts[run.id][1] for run in by_verdict["wait"]})
        if by_verdict["no"]:
            by_verdict["no"]._crm_take_else(step)
        holding = by_verdict["yes"]
        if holding:
            # Met: the action runs now, and from a clean state should it wait itself.
            holding.write({"crm_condition_step_id": step.id, "state": "running", "wait_deadline": False})
        todo = holding | (self - to_check)
        if todo:
            return super(CrmAutomationRun, todo)._execute_step(step)
        return None

    def _crm_wait_condition(self, step, deadlines):
        """Wait for the behaviour until its deadline; log the start of the wait once."""
        now = fields.Datetime.now()
        message = self.env._("Waiting: %(condition)s.", condition=step._crm_describe_condition())
        logs = []
        for run in self:
            deadline = deadlines[run.id]
            if run.state != "waiting":
                logs.append(
                    {
                        "run_id": run.id,
                        "step_id": step.id,
                        "date": now,
                        "attempt": run.attempt + 1,
                        "result": "waiting",
                        "message": message,
                    }
                )
            run.state = "waiting"
            run.wait_deadline = deadline
            run.next_due = min(now + WAIT_POLL, deadline)
        self.env["crm.automation.run.step"].create(logs)

    def _crm_take_else(self, step):
        """The condition does not hold: go to the step's Else step, or skip to the next one."""
        now = fields.Datetime.now()
        target = step.else_step_id or step._next_step()
        if target:
            message = self.env._("Condition not met: going to %(step)s.", step=target.name)
        else:
            message = self.env._("Condition not met: the pipeline ends.")
        self.env["crm.automation.run.step"].create(
            [
                {
                    "run_id": run.id,
                    "step_id": step.id,
                    "date": now,
                    "attempt": run.attempt + 1,
                    "result": "skipped",
                    "message": message,
                }
                for run in self
            ]
        )
        if target:
            self.write(
                {
                    "state": "running",
                    "step_id": target.id,
                    "next_due": target._due_after(now),
                    "attempt": 0,
                    "wait_deadline": False,
                }
            )
        else:
            self.write({"state": "done", "step_id": False, "next_due": False, "date_end": now, "attempt": 0})

    # ------------------------------------------------------------------
    # Waking the runs that wait on a behaviour
    # ------------------------------------------------------------------

    def _crm_wake(self):
        """Make the waiting runs of ``self`` due now (one UPDATE)."""
        if self:
            self._crm_wake_where(SQL("id = ANY(%s)", self.ids))

    @api.model
    def _crm_wake_records(self, records):
        """Make the waiting runs of ``records`` due now (one UPDATE)."""
        if records:
            self._crm_wake_where(SQL("res_model = %s AND res_id = ANY(%s)", records._name, records.ids))

    @api.model
    def _crm_wake_where(self, condition):
        now = fields.Datetime.now()
        self.flush_model(["state", "next_due"])
        self.env.cr.execute(
            SQL(
                "UPDATE crm_automation_run SET next_due = %s WHERE state = 'waiting' AND next_due > %s AND %s",
                now,
                now,
                condition,
            )
        )
        self.invalidate_model(["next_due"])

    @api.model
    def _on_records_changed(self, records):
        res = super()._on_records_changed(records)
        # A stage reached, or any change a condition reads; a deal's stage
        # also matters to its contact's runs.
        self._crm_wake_records(records)
        if records._name == "crm.lead":
            self._crm_wake_records(records.sudo().partner_id)
        return res

    @api.model
    def _on_inbound_email(self, message):
        res = super()._on_inbound_email(message)
        self.env["crm.automation"]._crm_on_reply(message)
        return res
