import datetime

from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestImportUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_imports_in_the_background_downloads_errors_and_reverts(self):
        Field = self.env["crm.custom.field"].with_user(self.admin_user)
        Field.create({"name": "Umsatz", "key": "umsatz", "model": "res.partner", "field_type": "float"})
        Field.create({"name": "Unterschrieben", "key": "signed", "model": "res.partner", "field_type": "date"})
        # Six rows are above the threshold: the job goes to the cron.
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "2")
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_import_job",
            "crm_client_suite_import",
            login=self.manager.login,
        )
        Job = self.env["crm.import.job"]
        job = Job.search([("file_name", "=", "kontakte.csv")])
        self.assertEqual(
            (job.user_id, job.state, job.separator, job.encoding_detected), (self.manager, "queued", ";", "cp1252")
        )
        self.assertFalse(job.row_ids.record_id, "nothing is written before the cron runs")
        url = f"/odoo/action-crm_client_suite.action_crm_import_job/{job.id}"

        # One cron call whose time is up after its first chunk.
        self.assertEqual(Job._cron_run_jobs(batch_size=2, time_budget=1e-6), 1)
        self.start_tour(url, "crm_client_suite_import_running", login=self.manager.login)

        Job._cron_run_jobs(batch_size=2)
        self.assertEqual(job.state, "done")
        jonas = self.env["res.partner"].search([("email", "=", "jonas@becker.example.de")])
        self.assertEqual(jonas.parent_id.name, "Becker GmbH")
        self.assertEqual(jonas.country_id.code, "DE")
        self.assertEqual((jonas.x_umsatz, jonas.x_signed), (1234.56, datetime.date(2025, 12, 31)))
        self.assertEqual(self.env["res.partner"].search([("email", "=", "lena@weiss.example.de")]).name, "Lena Weiß")
        self.assertFalse(self.env["res.partner"].search([("name", "in", ("Anna Schmidt", "Max Müller"))]))
        self.assertEqual((job.count_created, job.count_failed, job.count_merged), (3, 2, 1))
        created = job.with_user(self.admin_user).row_ids.record_id | jonas.parent_id

        self.start_tour(url, "crm_client_suite_import_done", login=self.manager.login)
        # The error file the browser downloaded, as stored: the file's own
        # encoding and separator, the failed rows with their number and reason.
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "crm.import.job"), ("res_id", "=", job.id), ("name", "=", "kontakte-errors.csv")]
        )
        self.assertEqual(len(attachment), 1)
        self.assertEqual(
            attachment.raw.decode("cp1252").splitlines(),
            [
                "Vorname;Nachname;E-Mail;Firma;Land;Umsatz;Unterschrieben;Row;Reason",
                "Anna;Schmidt;keine-email;Becker GmbH;Deutschland;12,5;05.01.2026;3;"
                "E-Mail: keine-email is not a valid email.",
                "Max;Müller;max@mueller.example.de;Müller KG;Deutschland;8,25;31.02.2026;6;"
                "Unterschrieben: 31.02.2026 is not a date written as dd.mm.yyyy.",
            ],
        )
        self.assertEqual((job.state, job.reverted_by), ("reverting", self.manager))
        self.assertTrue(created.exists(), "the revert waits for the cron")

        Job._cron_run_jobs(batch_size=2)
        self.assertEqual(job.state, "reverted")
        self.assertFalse(created.exists())
        self.start_tour(url, "crm_client_suite_import_reverted", login=self.manager.login)
