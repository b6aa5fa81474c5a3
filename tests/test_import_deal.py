import base64
import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_import import TestImportCommon, csv_bytes

HEADERS = ["Titel", "Kunde", "E-Mail", "Stufe", "Verantwortlicher", "Betrag", "Abschlussdatum", "ID"]


@tagged("post_install", "-at_install")
class TestImportDeals(TestImportCommon):
    """Deals imported by the contact import job, by a Manager (the least role that may import)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_a.ref = "C-001"
        cls.stage = cls.env["crm.stage"].create({"name": "Verhandlung", "sequence": 50})
        cls.Lead = cls.env["crm.lead"]

    def deal_job(self, rows, **values):
        content = csv_bytes([HEADERS, *rows], separator=";", encoding="cp1252")
        return self.job(content, name="deals.csv", import_model="crm.lead", **values)

    def file_rows(self):
        return [
            ["Neubau Berlin", "C-001", "", "Verhandlung", "ccs_manager", "12.500,50", "31.03.2027", "deal-1"],
            ["Wartung Bonn", "", "lucia@construcciones-ibericas.example.com", "Verhandlung", "", "1.000", "", ""],
            ["Ampliación Toledo", "Nope GmbH", "", "Verhandlung", "", "5", "", ""],
            ["Umbau Köln", "C-001", "", "Gewonnen", "", "7", "", ""],
            ["Umbau Bonn", "C-001", "", "Verhandlung", "nobody", "8", "", ""],
            ["Neubau Berlin", "C-001", "", "", "", "", "", ""],
            ["Reforma Sevilla", "Construcciones Ibéricas S.L.", "", "", "", "9.000", "", ""],
            ["Planung Ulm", "C-001", "", "Verhandlung", "", "2,5", "30.02.2027", ""],
        ]

    def test_deal_headers_are_suggested_in_german(self):
        job = self.deal_job(self.file_rows())
        self.assertEqual(
            {column.header: column.deal_target for column in job.column_ids},
            {
                "Titel": "name",
                "Kunde": "client",
                "E-Mail": "email",
                "Stufe": "stage",
                "Verantwortlicher": "owner",
                "Betrag": "amount",
                "Abschlussdatum": "close_date",
                "ID": "external_id",
            },
        )
        self.assertFalse(any(job.column_ids.mapped("target")), "contact targets do not apply to deals")
        with self.assertRaisesRegex(UserError, "Mapping templates are kept for contact imports only."):
            job.action_save_template()

    def test_switching_a_loaded_file_to_deals_suggests_the_deal_mapping(self):
        content = csv_bytes([HEADERS, self.file_rows()[0]], separator=";", encoding="cp1252")
        job = self.job(content, name="deals.csv")
        self.assertEqual(self.targets(job)["Kunde"], "company")
        job.import_model = "crm.lead"
        self.assertEqual({c.header: c.deal_target for c in job.column_ids}["Kunde"], "client")
        self.assertFalse(any(job.column_ids.mapped("target")))
        job.action_import()
        self.assertEqual(job.row_ids.deal_id.partner_id, self.client_a)
        self.assertFalse(self.Partner.search([("name", "=", "Neubau Berlin")]))

    def test_test_run_plans_every_deal_and_writes_nothing(self):
        before = self.Lead.search_count([])
        job = self.deal_job(self.file_rows())
        job.action_test()
        self.assertEqual(self.Lead.search_count([]), before)
        self.assertEqual(
            (job.plan_create, job.plan_update, job.plan_fail, job.plan_merge),
            (2, 1, 4, 1),
            job.row_ids.mapped("error_text"),
        )

    def test_import_links_clients_stages_owners_and_logs_each_row(self):
        job = self.deal_job(self.file_rows())
        job.action_import()
        rows = self.rows(job)
        self.assertEqual(job.state, "done")
        berlin = rows[2].deal_id
        self.assertEqual(rows[2].state, "created")
        self.assertEqual(
            (berlin.partner_id, berlin.stage_id, berlin.user_id, berlin.expected_revenue, berlin.date_deadline),
            (self.client_a, self.stage, self.manager, 12500.5, datetime.date(2027, 3, 31)),
        )
        self.assertEqual(berlin.type, "opportunity")
        self.assertEqual(self.env.ref("__import__.deal-1"), berlin)
        # No client named: the contact whose email it is.
        self.assertEqual(rows[3].deal_id.partner_id, self.contact_a)
        self.assertEqual(rows[3].deal_id.expected_revenue, 1000)
        self.assertEqual(rows[4].error_text, "Kunde: Unknown client: Nope GmbH.")
        self.assertEqual(rows[5].error_text, "Stufe: Unknown stage: Gewonnen.")
        self.assertEqual(rows[6].error_text, "Verantwortlicher: Unknown user: nobody.")
        self.assertEqual(rows[9].error_text, "Abschlussdatum: 30.02.2027 is not a date written as dd.mm.yyyy.")
        self.assertEqual((rows[7].state, rows[7].deal_id), ("merged", berlin))
        self.assertEqual(rows[7].error_text, "Same deal as row 2")
        # The existing deal, same title and client (by name), is updated.
        self.assertEqual((rows[8].state, rows[8].deal_id), ("updated", self.deal_manager))
        self.assertEqual(self.deal_manager.expected_revenue, 9000)
        self.assertFalse(self.Lead.search([("name", "in", ("Ampliación Toledo", "Umbau Köln", "Umbau Bonn"))]))
        self.assertEqual((job.count_created, job.count_updated, job.count_failed), (2, 1, 4))

    def test_create_only_skips_an_existing_deal_and_the_rerun_matches_by_external_id(self):
        first = self.deal_job([self.file_rows()[0]])
        first.action_import()
        again = self.deal_job([["Neubau Berlin (renamed)", "C-001", "", "", "", "99", "", "deal-1"]], mode="skip")
        again.action_import()
        self.assertEqual(again.row_ids.state, "skipped")
        self.assertEqual(again.row_ids.error_text, "Already exists.")
        self.assertEqual(first.row_ids.deal_id.expected_revenue, 12500.5)

    def test_updated_deals_are_written_as_deals_in_one_batch(self):
        # A field that contacts have too (the salesperson): the batch writes
        # the deals.
        madrid, sevilla = self.deal_contributor, self.deal_manager
        job = self.deal_job(
            [
                ["Obra nueva Madrid", "C-001", "", "", "ccs_manager", "", "", ""],
                ["Reforma Sevilla", "C-001", "", "", "ccs_contributor", "", "", ""],
            ]
        )
        # In one batch: no retry row by row.
        with self.assertNoLogs("odoo.addons.crm_client_suite.models.crm_import_job", "INFO"):
            job.action_import()
        self.assertEqual(job.row_ids.mapped("state"), ["updated", "updated"], job.row_ids.mapped("error_text"))
        self.assertEqual((madrid.user_id, sevilla.user_id), (self.manager, self.contributor))

    def test_several_clients_with_the_name_refuse_the_row(self):
        self.env["res.partner"].create({"name": "Construcciones Ibéricas S.L.", "is_company": True})
        job = self.deal_job([["Obra Toledo", "Construcciones Ibéricas S.L.", "", "", "", "", "", ""]])
        job.action_import()
        self.assertEqual(
            job.row_ids.error_text,
            "Kunde: Several clients are named Construcciones Ibéricas S.L.: use their reference.",
        )

    def test_revert_deletes_created_deals_restores_updated_and_lists_conflicts(self):
        job = self.deal_job(
            [
                self.file_rows()[0],
                ["Wartung Bonn", "C-001", "", "", "", "10", "", ""],
                ["Planung Ulm", "C-001", "", "", "", "11", "", ""],
                ["Reforma Sevilla", "C-001", "", "", "", "9.000", "", ""],
            ]
        )
        job.action_import()
        rows = self.rows(job)
        berlin, bonn, ulm = rows[2].deal_id, rows[3].deal_id, rows[4].deal_id
        bonn.expected_revenue = 20
        ulm.message_post(body="Called the client", message_type="comment")
        job.action_revert()
        self.assertEqual(job.state, "reverted")
        # A Manager may not delete deals: the revert archives the one it created.
        self.assertFalse(berlin.active, job.row_ids.mapped("error_text"))
        self.assertTrue(bonn.exists() and ulm.exists())
        self.assertEqual(rows[3].error_text, "Changed since the import.")
        self.assertEqual(rows[4].error_text, "Has messages since the import.")
        self.assertEqual(self.deal_manager.expected_revenue, 8000, "the overwritten amount is restored")
        self.assertEqual(job.revert_log, "2 records reverted, 2 conflicts.")

    def test_an_admin_revert_deletes_the_created_deals(self):
        job = self.deal_job([self.file_rows()[0]], user=self.admin_user)
        job.action_import()
        deal = job.row_ids.deal_id
        job.with_user(self.admin_user).action_revert()
        self.assertFalse(deal.exists())

    def test_a_large_deal_file_runs_in_the_background(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "1")
        job = self.deal_job([self.file_rows()[0], self.file_rows()[1]])
        job.action_import()
        self.assertEqual(job.state, "queued")
        self.assertFalse(job.row_ids.deal_id)
        self.env["crm.import.job"]._cron_run_jobs(batch_size=1)
        self.assertEqual(job.state, "done")
        self.assertEqual(job.count_created, 2)

    def test_guests_and_contributors_cannot_import_deals(self):
        content = base64.b64encode(csv_bytes([HEADERS, self.file_rows()[0]]))
        for user in (self.guest, self.contributor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["crm.import.job"].with_user(user).create(
                    {"file": content, "file_name": "deals.csv", "import_model": "crm.lead"}
                )
        job = self.deal_job([self.file_rows()[0]])
        with self.assertRaisesRegex(AccessError, "Only Managers and Admins may import"):
            job.with_user(self.guest).action_import()
        self.assertFalse(self.Lead.search([("name", "=", "Neubau Berlin")]))
