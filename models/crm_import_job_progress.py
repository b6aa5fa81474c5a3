"""Live progress of an import job: one bus notification to its author per chunk.

The job form's progress widget (static/src/import_progress) listens for
``crm_client_suite.import_progress`` and shows the percentage, rows per
second and the time left without reloading the form.
"""

from odoo import fields, models
from odoo.tools import SQL

PROGRESS_NOTIFICATION = "crm_client_suite.import_progress"


class CrmImportJob(models.Model):
    _inherit = "crm.import.job"

    def _run_chunk(self, batch_size):
        result = super()._run_chunk(batch_size)
        self._send_progress()
        return result

    def _progress_values(self):
        """The job's progress: each row is checked, then written; both count half."""
        self.ensure_one()
        # The rows still to check and to write, counted in the index that holds only them: the count
        # shrinks as the job advances instead of reading every row of the job at each chunk.
        [(to_check, to_do)] = self.env.execute_query(
            SQL(
                """SELECT count(*) FILTER (WHERE state = 'new'), count(*)
                     FROM crm_import_job_row
                    WHERE job_id = %s AND state IN ('new', 'valid') AND NOT synthetic""",
                self.id,
            )
        )
        # the rows of the file (the synthetic clients are never among them)
        checked, finished = self.row_count - to_check, self.row_count - to_do
        total = self.row_count or 1
        if self.state == "done":
            checked = finished = total
        # Rows per second of the current pass: checking, then writing.
        rows = checked if self.phase == "validate" else finished
        elapsed = (fields.Datetime.now() - self.started_at).total_seconds() if self.started_at else 0
        elapsed = max(elapsed, 0.001) if self.started_at else 0
        work_rate = (checked + finished) / elapsed if elapsed else 0
        left = 2 * total - checked - finished
        return {
            "job_id": self.id,
            "state": self.state,
            "phase": self.phase,
            "phase_label": dict(self._fields["phase"]._description_selection(self.env)).get(self.phase, ""),
            "percent": round(100.0 * (checked + finished) / (2 * total), 1),
            "rows": rows,
            "total": self.row_count,
            "rate": round(rows / elapsed, 1) if elapsed else 0,
            "eta": round(left / work_rate) if work_rate and left else 0,
        }

    def _send_progress(self):
        for job in self:
            job.user_id.partner_id._bus_send(PROGRESS_NOTIFICATION, job._progress_values())
