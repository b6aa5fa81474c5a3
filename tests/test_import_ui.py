import datetime

from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestImportUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_uploads_maps_previews_tests_and_imports(self):
        Field = self.env["crm.custom.field"].with_user(self.admin_user)
        Field.create({"name": "Umsatz", "key": "umsatz", "model": "res.partner", "field_type": "float"})
        Field.create({"name": "Unterschrieben", "key": "signed", "model": "res.partner", "field_type": "date"})
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_import_job",
            "crm_client_suite_import",
            login=self.manager.login,
        )
        job = self.env["crm.import.job"].search([("file_name", "=", "kontakte.csv")])
        self.assertEqual((job.user_id, job.state, job.separator), (self.manager, "done", ";"))
        jonas = self.env["res.partner"].search([("email", "=", "jonas@becker.example.de")])
        self.assertEqual(jonas.parent_id.name, "Becker GmbH")
        self.assertEqual((jonas.x_umsatz, jonas.x_signed), (1234.56, datetime.date(2025, 12, 31)))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Anna Schmidt")]))
        self.assertEqual(job.count_merged, 1)
