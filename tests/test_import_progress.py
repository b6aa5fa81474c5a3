from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.crm_client_suite.models.crm_import_job_progress import PROGRESS_NOTIFICATION

from .test_import import TestImportCommon, csv_bytes


@tagged("post_install", "-at_install")
class TestImportProgress(TestImportCommon):
    def sent(self, run):
        """The bus notifications ``run()`` sends: [(target, type, payload)]."""
        sent = []

        def record(bus, target, notification_type, message):
            sent.append((target, notification_type, message))

        with patch.object(self.registry["bus.bus"], "_sendone", autospec=True, side_effect=record):
            result = run()
        return result, sent

    def test_a_background_job_sends_its_progress_to_its_author_after_each_chunk(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        job = self.job(csv_bytes([["Name", "Email"], ["A", "a@x.es"], ["B", "b@x.es"], ["C", "c@x.es"], ["D", ""]]))
        job.action_import()
        self.assertEqual(job.state, "queued")
        chunks, sent = self.sent(lambda: self.env["crm.import.job"]._cron_run_jobs(batch_size=2))
        progress = [message for _target, kind, message in sent if kind == PROGRESS_NOTIFICATION]
        self.assertGreater(chunks, 3, "validation, clients and contacts each take chunks")
        self.assertEqual(len(progress), chunks, "one notification per chunk")
        self.assertEqual(
            {target for target, kind, _m in sent if kind == PROGRESS_NOTIFICATION}, {self.manager.partner_id}
        )
        self.assertEqual({message["job_id"] for message in progress}, {job.id})
        percents = [message["percent"] for message in progress]
        self.assertEqual(percents, sorted(percents), "progress never goes back")
        self.assertLess(percents[0], 100)
        self.assertEqual((progress[-1]["state"], progress[-1]["percent"]), ("done", 100.0))
        self.assertEqual(progress[-1]["eta"], 0)
        self.assertTrue(all(message["total"] == 4 for message in progress))
        # And one notification that the job is done.
        done = [message for _target, kind, message in sent if kind == "simple_notification"]
        self.assertEqual([message["title"] for message in done], ["Import finished"])

    def test_a_running_job_reports_rows_per_second_and_time_left(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        job = self.job(csv_bytes([["Name"], ["A"], ["B"], ["C"], ["D"]]))
        job.action_import()
        job.started_at = "2026-01-01 10:00:00"
        with patch("odoo.fields.Datetime.now", return_value=job.started_at.replace(second=4)):
            _result, sent = self.sent(lambda: job._run_chunk(2))
        [(_target, _kind, message)] = sent
        # Two of four rows checked in 4 s: half a row per second, 6 of 8 steps left at one step per 2 s.
        self.assertEqual(
            (message["phase"], message["rows"], message["rate"], message["percent"], message["eta"]),
            ("validate", 2, 0.5, 25.0, 12),
        )
