import logging
import time
import traceback
from datetime import timedelta

from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_automation import AUTOMATION_TARGETS, cron_commit
from .crm_automation_step import WAIT_POLL

_logger = logging.getLogger(__name__)

RUN_STATES = [
    ("running", "Running"),
    ("waiting", "Waiting"),
    ("done", "Done"),
    ("exited", "Exited"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
ACTIVE_STATES = ("running", "waiting")

EXIT_REASONS = [
    ("replied", "Replied"),
    ("won", "Deal won"),
    ("lost", "Deal lost"),
    ("stage", "Deal reached stage"),
    ("optout", "Opted out or blacklisted"),
    ("archived", "Record archived"),
    ("deleted", "Record deleted"),
    ("manual", "Stopped by hand"),
    ("timeout", "Condition not met in time"),
    ("archived_pipeline", "Pipeline archived"),
]

# Runs taken per batch by the cron, and the time one cron call may spend.
BATCH_SIZE = 500
TIME_BUDGET = 50  # seconds
MAX_LOCK_CONFLICTS = 10  # fresh snapshots tried in a row before giving up
# Backoff before retrying a failed step: 5 min, 10 min, 20 min...
RETRY_BASE = timedelta(minutes=5)


def claimed_batches(env, claim, time_budget=None):
    """Yield the batches that ``claim()`` locks, one after the other, until it
    locks nothing (an empty result or None) or ``time_budget`` seconds are spent.

    This is the loop of every cron of the add-on that shares its work between
    workers with ``FOR UPDATE SKIP LOCKED``. Where the caller may commit
    (``cron_commit``), each batch runs in a transaction of its own and is
    committed once the caller has processed it, so a crash rolls back that batch
    only. Odoo runs transactions in REPEATABLE READ: a row that another worker
    committed after this snapshot cannot be locked, so the claim is retried on a
    fresh snapshot, up to MAX_LOCK_CONFLICTS times in a row (ir.cron does the
    same when it acquires its jobs).
    """
    started = time.monotonic()
    commit = cron_commit(env)
    conflicts = 0
    while True:
        try:
            batch = claim()
        except TransactionRollbackError:
            if not commit or conflicts >= MAX_LOCK_CONFLICTS:
                raise
            conflicts += 1
            env.cr.rollback()
            env.invalidate_all()
            continue
        conflicts = 0
        if not batch:
            return
        yield batch
        if cron_commit(env):
            env.invalidate_all()
        if time_budget and time.monotonic() - started > time_budget:
            return


class CrmAutomationRun(models.Model):
    _name = "crm.automation.run"
    _description = "Automation Run"
    _order = "id desc"

    automation_id = fields.Many2one("crm.automation", string="Pipeline", required=True, ondelete="cascade", index=True)
    res_model = fields.Selection(AUTOMATION_TARGETS, string="Applies To", required=True)
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", required=True)
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null", ondelete="set null")
    lead_id = fields.Many2one("crm.lead", string="Deal", index="btree_not_null", ondelete="set null")
    record_name = fields.Char(string="Record", compute="_compute_record_name")
    state = fields.Selection(RUN_STATES, required=True, default="running", index=True, copy=False)
    step_id = fields.Many2one(
        "crm.automation.step",
        string="Current Step",
        ondelete="set null",
        help="The step to execute when the run is next due.",
    )
    # Indexed by a partial index on the active runs, see init().
    next_due = fields.Datetime(string="Next Step Due")
    attempt = fields.Integer(string="Failed Attempts", default=0, copy=False)
    wait_deadline = fields.Datetime(string="Wait Until", copy=False)
    trigger = fields.Selection(
        [
            ("create", "Created"),
            ("stage", "Stage change"),
            ("sweep", "Scheduled check"),
            ("manual", "By hand"),
            ("pipeline", "Another pipeline"),
        ],
        string="Enrolled On",
        required=True,
        default="manual",
    )
    enrol_reason = fields.Char(string="Why")
    enrolled_by = fields.Many2one("res.users")
    # Indexed: deleting runs (a pipeline and its runs) looks up the runs they started.
    parent_run_id = fields.Many2one(
        "crm.automation.run", string="Started By Run", ondelete="set null", index="btree_not_null"
    )
    date_start = fields.Datetime(string="Enrolled", default=fields.Datetime.now)
    date_end = fields.Datetime(string="Ended", copy=False)
    exit_reason = fields.Selection(EXIT_REASONS, copy=False, index="btree_not_null")
    last_error = fields.Text(copy=False)
    log_ids = fields.One2many("crm.automation.run.step", "run_id", string="Executed Steps")
    color = fields.Integer(compute="_compute_color")

    def init(self):
        res = super().init()
        # A record runs at most once at a time through a given pipeline, even
        # when two workers enrol it at once.
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS crm_automation_run_active_uniq
                    ON crm_automation_run (automation_id, res_model, res_id)
                 WHERE state IN ('running', 'waiting');
                CREATE INDEX IF NOT EXISTS crm_automation_run_due_idx
                    ON crm_automation_run (next_due)
                 WHERE state IN ('running', 'waiting');
                CREATE INDEX IF NOT EXISTS crm_automation_run_record_idx
                    ON crm_automation_run (res_model, res_id);
                """
            )
        )
        return res

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for model, runs in self.grouped("res_model").items():
            if not model:
                runs.record_name = False
                continue
            names = dict(
                (r.id, r.display_name)
                for r in self.env[model].sudo().with_context(active_test=False).browse(runs.mapped("res_id")).exists()
            )
            for run in runs:
                run.record_name = names.get(run.res_id) or self.env._("Deleted record #%(id)s", id=run.res_id)

    @api.depends("automation_id", "record_name")
    def _compute_display_name(self):
        for run in self:
            run.display_name = f"{run.automation_id.name} - {run.record_name}"

    def _compute_color(self):
        colors = {"running": 4, "waiting": 3, "done": 10, "exited": 2, "failed": 1, "cancelled": 0}
        for run in self:
            run.color = colors.get(run.state, 0)

    def _get_records(self):
        """The enrolled records, in the order of ``self`` (deleted ones missing)."""
        model = self[:1].res_model
        records = self.env[model].with_context(active_test=False).browse(self.mapped("res_id"))
        return records

    # ------------------------------------------------------------------
    # User actions
    # ------------------------------------------------------------------

    def action_stop(self):
        active = self.filtered(lambda r: r.state in ACTIVE_STATES)
        if not active:
            raise UserError(self.env._("Only running or waiting runs can be stopped."))
        active.check_access("write")
        active.sudo()._stop("exited", "manual")
        return True

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Exits
    # ------------------------------------------------------------------

    def _stop(self, state, reason, message=False):
        if not self:
            return
        now = fields.Datetime.now()
        self.write({"state": state, "exit_reason": reason, "date_end": now, "next_due": False})
        label = dict(self._fields["exit_reason"]._description_selection(self.env)).get(reason, reason)
        self.env["crm.automation.run.step"].create(
            [
                {
                    "run_id": run.id,
                    "step_id": run.step_id.id,
                    "date": now,
                    "result": "exit",
                    "message": message or label,
                }
                for run in self
            ]
        )

    def _exit_reasons(self):
        """{run: reason} for the runs of ``self`` that meet an exit condition now."""
        reasons = {}
        for model, runs in self.grouped("res_model").items():
            records = self.env[model].sudo().with_context(active_test=False).browse(runs.mapped("res_id"))
            # Iterate the recordset (not browse(id)) so fields are fetched for the whole batch.
            by_id = {record.id: record for record in records.exists()}
            replied = runs._replied_record_ids()
            for run in runs:
                record = by_id.get(run.res_id)
                reason = (
                    record._crm_automation_exit_reason(run.automation_id, run.res_id in replied.get(run.id, ()))
                    if record
                    else "deleted"
                )
                if reason:
                    reasons[run] = reason
        return reasons

    def _replied_record_ids(self):
        """{run id: {res_id}} for runs whose record received an inbound email since enrolment."""
        runs = self.filtered(lambda r: r.automation_id.exit_on_reply)
        if not runs:
            return {}
        start = min(runs.mapped("date_start"))
        rows = (
            self.env["mail.message"]
            .sudo()
            ._read_group(
                [
                    ("model", "=", runs[0].res_model),
                    ("res_id", "in", runs.mapped("res_id")),
                    ("message_type", "=", "email"),
                    ("date", ">=", start),
                ],
                ["res_id", "author_id"],
                ["date:max"],
            )
        )
        internal = set(self.env["res.users"].sudo().search([("share", "=", False)]).partner_id.ids)
        last_reply = {}
        for res_id, author, date in rows:
            if author.id not in internal:
                last_reply[res_id] = max(date, last_reply.get(res_id, date))
        return {
            run.id: {run.res_id}
            for run in runs
            if run.res_id in last_reply and last_reply[run.res_id] >= run.date_start
        }

    def _check_exits(self):
        """Exit the active runs of ``self`` that meet an exit condition; return them."""
        runs = self.filtered(lambda r: r.state in ACTIVE_STATES)
        reasons = runs._exit_reasons()
        by_reason = {}
        for run, reason in reasons.items():
            by_reason.setdefault(reason, self.browse())
            by_reason[reason] |= run
        for reason, group in by_reason.items():
            group._stop("exited", reason)
        return self.browse([run.id for run in reasons])

    @api.model
    def _active_runs_of(self, records):
        if not records:
            return self.browse()
        return self.sudo().search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids), ("state", "in", ACTIVE_STATES)]
        )

    @api.model
    def _on_records_changed(self, records):
        """Triggering event: check the exit conditions of the records' active runs."""
        if self.env.context.get("crm_automation_processing_ids") is not None:
            # The engine checks the runs it is processing itself.
            runs = self._active_runs_of(records).filtered(
                lambda r: r.id not in self.env.context["crm_automation_processing_ids"]
            )
        else:
            runs = self._active_runs_of(records)
        runs._check_exits()

    @api.model
    def _on_records_deleted(self, records):
        self._active_runs_of(records)._stop("exited", "deleted")

    @api.model
    def _on_inbound_email(self, message):
        """An inbound email arrived on a contact or deal: exit on reply."""
        if message.message_type != "email" or not message.model or not message.res_id:
            return
        author = message.author_id
        if author and author.sudo().user_ids.filtered(lambda u: not u.share):
            return
        targets = []
        if message.model in ("res.partner", "crm.lead"):
            targets.append(self.env[message.model].browse(message.res_id))
        if author:
            targets.append(author)
        for records in targets:
            runs = self._active_runs_of(records).filtered(lambda r: r.automation_id.exit_on_reply)
            runs._stop("exited", "replied")

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    @api.model
    def _lock_due_runs(self, limit, now):
        """Take up to ``limit`` due runs, skipping those another worker holds."""
        self.env["crm.automation.run"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT run.id
                  FROM crm_automation_run run
                  JOIN crm_automation automation ON automation.id = run.automation_id
                 WHERE run.state IN ('running', 'waiting')
                   AND run.next_due <= %s
                   AND automation.active
                 ORDER BY run.next_due, run.id
                 LIMIT %s
                   FOR UPDATE OF run SKIP LOCKED
                """,
                now,
                limit,
            ),
            log_exceptions=False,
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _cron_process_due_runs(self, batch_size=BATCH_SIZE, time_budget=TIME_BUDGET):
        """Execute the due steps, batch by batch.

        Each batch is locked with ``FOR UPDATE SKIP LOCKED`` and committed with
        the effects of its steps and the new state of its runs: a crash rolls
        back both, so no step is lost and none is repeated. Several workers or
        servers can run this at once.
        """
        self = self.sudo()
        done = 0
        claim = lambda: self._lock_due_runs(batch_size, fields.Datetime.now())  # noqa: E731
        for runs in claimed_batches(self.env, claim, time_budget):
            runs._process()
            done += len(runs)
        if self.env.context.get("ir_cron_progress_id"):
            remaining = self.search_count([("state", "in", ACTIVE_STATES), ("next_due", "<=", fields.Datetime.now())])
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _process(self):
        """Execute the current step of the (locked, due) runs of ``self``."""
        self = self.with_context(crm_automation_processing_ids=set(self.ids))
        exited = self._check_exits()
        todo = self - exited
        for step, runs in todo.grouped("step_id").items():
            if not step:
                runs._advance(step, {run.id: ("done", "") for run in runs})
                continue
            for _model, group in runs.grouped("res_model").items():
                group._execute_step(step)

    def _execute_step(self, step):
        """Execute ``step`` for all runs of ``self`` at once; isolate failures.

        The whole group first runs in one savepoint (the fast path). If it
        fails, each run is retried alone in its own savepoint so that one bad
        record does not hold back the others.
        """
        try:
            with self.env.cr.savepoint():
                results = step._execute(self)
        except Exception:
            if len(self) == 1:
                self._record_failure(step, traceback.format_exc())
                return
            results = {}
            for run in self:
                run = run.browse(run.id)  # a rolled back savepoint cleared the cache
                try:
                    with self.env.cr.savepoint():
                        results.update(step._execute(run))
                except Exception:
                    run._record_failure(step, traceback.format_exc())
        runs = self.browse(list(results))
        runs._advance(step, results)

    def _record_failure(self, step, error):
        self.ensure_one()
        _logger.info("Automation run %s: step %s failed:\n%s", self.id, step.id, error)
        now = fields.Datetime.now()
        attempt = self.attempt + 1
        last_line = error.strip().splitlines()[-1] if error else ""
        vals = {"attempt": attempt, "last_error": last_line}
        if attempt >= self.automation_id.max_attempts:
            vals.update(state="failed", next_due=False, date_end=now)
        else:
            vals["next_due"] = now + RETRY_BASE * (2 ** (attempt - 1))
        self.write(vals)
        self.env["crm.automation.run.step"].create(
            {
                "run_id": self.id,
                "step_id": step.id,
                "date": now,
                "attempt": attempt,
                "result": "failed" if vals.get("state") == "failed" else "error",
                "message": last_line,
                "error": error,
            }
        )

    def _advance(self, step, results):
        """Log the step's results and move each run on, in a few grouped writes."""
        now = fields.Datetime.now()
        # A step may have ended runs itself (e.g. a stage that is an exit).
        runs = self.filtered(lambda r: r.state in ACTIVE_STATES)
        logs = []
        groups = {}
        next_step = step._next_step() if step else step
        next_due = next_step._due_after(now) if next_step else False
        for run in runs:
            result, message = results[run.id]
            if result == "waiting":
                if run.state == "waiting":
                    # Still waiting: look again later, no new log line.
                    run.write({"next_due": min(now + WAIT_POLL, run.wait_deadline)})
                    continue
                deadline = now + step._delta(step.wait_timeout, step.wait_timeout_unit)
                run.write(
                    {
                        "state": "waiting",
                        "wait_deadline": deadline,
                        "next_due": min(now + WAIT_POLL, deadline),
                    }
                )
            elif result == "exit":
                groups.setdefault("exit", self.browse())
                groups["exit"] |= run
            else:
                groups.setdefault("next", self.browse())
                groups["next"] |= run
            if step:
                logs.append(
                    {
                        "run_id": run.id,
                        "step_id": step.id,
                        "date": now,
                        "attempt": run.attempt + 1,
                        "result": result,
                        "message": message,
                    }
                )
        self.env["crm.automation.run.step"].create(logs)
        if groups.get("exit"):
            groups["exit"]._stop("exited", "timeout")
        if groups.get("next"):
            if next_step:
                groups["next"].write(
                    {
                        "state": "running",
                        "step_id": next_step.id,
                        "next_due": next_due,
                        "attempt": 0,
                        "wait_deadline": False,
                    }
                )
            else:
                groups["next"].write(
                    {"state": "done", "step_id": False, "next_due": False, "date_end": now, "attempt": 0}
                )
