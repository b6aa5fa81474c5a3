"""Retention of the import row logs.

A daily cron deletes the rows (``crm.import.job.row``) of the import jobs that
finished more than ``crm_client_suite.import_log_retention_days`` days ago
(0, the default, keeps them forever). The job keeps its summary: the counts
are frozen in ``summary_counts`` before its rows go, and its form shows them
as before. Such a job can no longer be reverted nor give its error file.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_automation_run import claimed_batches

RETENTION_PARAM = "crm_client_suite.import_log_retention_days"
PURGE_BATCH = 50  # jobs per committed transaction
COUNT_FIELDS = (
    *(f"count_{state}" for state in ("created", "updated", "skipped", "failed", "review", "merged")),
    *(f"plan_{plan}" for plan in ("create", "update", "skip", "fail", "review", "merge")),
    "progress",
)
FINISHED_STATES = ("done", "cancelled", "reverted")


class CrmImportJob(models.Model):
    _inherit = "crm.import.job"

    rows_purged_at = fields.Datetime(
        string="Row Log Purged On", readonly=True, help="The row log was deleted by the retention setting."
    )
    summary_counts = fields.Json(readonly=True, help="The counts of the job, kept when its row log is purged.")

    def _compute_counts(self):
        purged = self.filtered("summary_counts")
        result = super(CrmImportJob, self - purged)._compute_counts()
        for job in purged:
            for fname in COUNT_FIELDS:
                job[fname] = job.summary_counts.get(fname, 0)
        return result

    def _check_rows_kept(self):
        for job in self:
            if job.rows_purged_at:
                raise UserError(
                    self.env._(
                        "The row log of %(job)s was purged on %(date)s by the retention setting: "
                        "it can no longer be reverted nor give an error file.",
                        job=job.name,
                        date=fields.Date.to_string(job.rows_purged_at),
                    )
                )

    def action_revert(self):
        self._check_rows_kept()
        return super().action_revert()

    def action_download_errors(self):
        self._check_rows_kept()
        return super().action_download_errors()

    @api.model
    def _lock_purgeable(self, days):
        self.flush_model(["state", "finished_at", "rows_purged_at"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM crm_import_job
                 WHERE state IN %s AND rows_purged_at IS NULL
                   AND COALESCE(reverted_at, finished_at, write_date)
                       < (now() at time zone 'UTC') - make_interval(days => %s)
                 ORDER BY id LIMIT %s
                   FOR UPDATE SKIP LOCKED
                """,
                FINISHED_STATES,
                days,
                PURGE_BATCH,
            ),
            log_exceptions=False,
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _cron_purge_row_logs(self, time_budget=50):
        """Delete the row logs of the jobs finished before the retention
        period, keeping their counts. Return how many jobs were purged."""
        try:
            days = int(self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM, 0))
        except ValueError:
            days = 0
        if days <= 0:
            return 0
        purged = 0
        for jobs in claimed_batches(self.env, lambda: self.sudo()._lock_purgeable(days), time_budget):
            jobs._purge_rows()
            purged += len(jobs)
        return purged

    def _purge_rows(self):
        for job in self:
            job.summary_counts = {fname: job[fname] for fname in COUNT_FIELDS}
        self.env.cr.execute(SQL("DELETE FROM crm_import_job_row WHERE job_id IN %s", tuple(self.ids)))
        self.env["crm.import.job.row"].invalidate_model()
        self.rows_purged_at = fields.Datetime.now()
        self.invalidate_recordset(COUNT_FIELDS)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_import_log_retention_days = fields.Integer(
        string="Keep Import Row Logs (days)",
        config_parameter=RETENTION_PARAM,
        default=0,
        help="Rows of imports finished longer ago are deleted each night; the import's summary stays. "
        "0 keeps them forever.",
    )
