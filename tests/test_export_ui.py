import csv
import io

from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestExportUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_exports_chosen_contact_fields_to_csv_for_excel(self):
        self.contact_a.function = "=Jefa de obra"
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_contacts?view_type=list",
            "crm_client_suite_export",
            login=self.manager.login,
        )
        job = self.env["crm.export.job"].search([("user_id", "=", self.manager.id)])
        self.assertEqual(
            (job.state, job.file_format, job.excel_csv, job.record_ids), ("done", "csv", True, [self.contact_a.id])
        )
        content = job.attachment_id.raw
        self.assertTrue(content.startswith(b"\xef\xbb\xbf"), "a byte order mark for Excel")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
        self.assertEqual(rows[0][-1], "Job Position")
        self.assertNotIn("Mobile", rows[0])
        self.assertEqual(len(rows), 2, "the selected contact only")
        self.assertEqual(rows[1][:3], ["Lucía Fernández", "Construcciones Ibéricas S.L.", self.contact_a.email])
        # A formula start is neutralised in the file the browser downloaded.
        self.assertEqual(rows[1][-1], "'=Jefa de obra")
