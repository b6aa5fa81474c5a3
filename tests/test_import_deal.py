import base64
import datetime
from unittest.mock import patch

from odoo.exceptions import AccessError
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
            ["Umbau Köln", "C-001", "", "Abgesagt", "", "7", "", ""],
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
            (3, 1, 3, 1),
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
        # An unknown client is created with its deal.
        self.assertEqual(rows[4].state, "created")
        self.assertEqual((rows[4].deal_id.partner_id.name, rows[4].deal_id.partner_id.is_company), ("Nope GmbH", True))
        self.assertEqual(rows[5].error_text, "Stufe: Unknown stage: Abgesagt.")
        self.assertEqual(rows[6].error_text, "Verantwortlicher: Unknown user: nobody.")
        self.assertEqual(rows[9].error_text, "Abschlussdatum: 30.02.2027 is not a date written as dd.mm.yyyy.")
        self.assertEqual((rows[7].state, rows[7].deal_id), ("merged", berlin))
        self.assertEqual(rows[7].error_text, "Same deal as row 2")
        # The existing deal, same title and client (by name), is updated.
        self.assertEqual((rows[8].state, rows[8].deal_id), ("updated", self.deal_manager))
        self.assertEqual(self.deal_manager.expected_revenue, 9000)
        self.assertFalse(self.Lead.search([("name", "in", ("Umbau Köln", "Umbau Bonn"))]))
        self.assertEqual((job.count_created, job.count_updated, job.count_failed), (3, 1, 3))

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


@tagged("post_install", "-at_install")
class TestImportDealFields(TestImportCommon):
    """Currency, tags, new clients, templates and revert conflicts of deal imports, by a Manager."""

    HEADERS = ("Titel", "Kunde", "Betrag", "Währung", "Schlagworte")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Lead = cls.env["crm.lead"]
        Currency = cls.env["res.currency"].sudo().with_context(active_test=False)
        cls.eur = Currency.search([("name", "=", "EUR")])
        cls.eur.active = True
        Currency.search([("name", "=", "JPY")]).active = False
        cls.vip = cls.env["crm.tag"].create({"name": "VIP"})

    def deal_job(self, rows, headers=None, **values):
        content = csv_bytes([list(headers or self.HEADERS), *rows], separator=";", encoding="cp1252")
        return self.job(content, name="deals.csv", import_model="crm.lead", **values)

    def test_the_currency_is_read_by_iso_code_and_an_inactive_or_unknown_one_fails_its_row(self):
        job = self.deal_job(
            [
                ["Neubau Berlin", "Construcciones Ibéricas S.L.", "1.000,50", "eur", ""],
                ["Wartung Bonn", "Construcciones Ibéricas S.L.", "2.000,00", "JPY", ""],
                ["Umbau Köln", "Construcciones Ibéricas S.L.", "3.000,00", "XYZ", ""],
            ]
        )
        self.assertEqual({c.header: c.deal_target for c in job.column_ids}["Währung"], "currency")
        job.action_test()
        self.assertEqual((job.plan_create, job.plan_fail), (1, 2))
        job.action_import()
        rows = self.rows(job)
        berlin = rows[2].deal_id
        # The amount is the deal's own, in its currency.
        self.assertEqual((berlin.currency_id, berlin.amount_currency), (self.eur, 1000.5))
        self.assertEqual(rows[3].error_text, "Währung: The currency JPY is not active: activate it first.")
        self.assertEqual(rows[4].error_text, "Währung: Unknown currency: XYZ.")
        self.assertFalse(self.Lead.search([("name", "in", ("Wartung Bonn", "Umbau Köln"))]))

    def test_tags_are_created_once_on_demand(self):
        job = self.deal_job(
            [
                ["Neubau Berlin", "Construcciones Ibéricas S.L.", "1", "", "VIP, Neubau"],
                ["Wartung Bonn", "Construcciones Ibéricas S.L.", "2", "", "neubau"],
            ]
        )
        job.action_import()
        new = self.env["crm.tag"].search([("name", "=ilike", "neubau")])
        self.assertEqual(len(new), 1)
        rows = self.rows(job)
        self.assertEqual(rows[2].deal_id.tag_ids, self.vip | new)
        self.assertEqual(rows[3].deal_id.tag_ids, new)

    def test_a_user_who_may_not_create_tags_gets_a_row_error(self):
        Tag = type(self.env["crm.tag"])
        real = Tag.has_access

        def has_access(records, operation):
            return operation != "create" and real(records, operation)

        job = self.deal_job(
            [
                ["Neubau Berlin", "Construcciones Ibéricas S.L.", "1", "", "VIP, Neubau"],
                ["Wartung Bonn", "Construcciones Ibéricas S.L.", "2", "", "VIP"],
            ]
        )
        with patch.object(Tag, "has_access", has_access):
            job.action_import()
        rows = self.rows(job)
        self.assertEqual(rows[2].error_text, "Schlagworte: You may not create deal tags: Neubau.")
        self.assertEqual((rows[3].state, rows[3].deal_id.tag_ids), ("created", self.vip))
        self.assertFalse(self.env["crm.tag"].search([("name", "=", "Neubau")]))

    def test_a_new_client_is_created_once_for_its_rows_even_across_chunks(self):
        self.env["ir.config_parameter"].set_param("crm_client_suite.import_background_threshold", "1")
        job = self.deal_job(
            [
                ["Neubau Berlin", "Nova Bau GmbH", "1", "", ""],
                ["Wartung Bonn", "nova bau gmbh", "2", "", ""],
                ["Umbau Köln", "Nova Bau GmbH", "3", "", ""],
            ]
        )
        job.action_test()
        self.assertEqual(job.plan_create, 3)
        self.assertFalse(self.Partner.search([("name", "=ilike", "nova bau gmbh")]), "the test run writes nothing")
        job.action_import()
        self.env["crm.import.job"]._cron_run_jobs(batch_size=2)
        self.assertEqual(job.state, "done")
        client = self.Partner.search([("name", "=ilike", "nova bau gmbh")])
        self.assertEqual((len(client), client.name, client.is_company), (1, "Nova Bau GmbH", True))
        self.assertEqual(job.row_ids.deal_id.partner_id, client)
        job.invalidate_recordset()
        self.assertEqual(job.count_created, 3, "the client is not a row of the file")
        # An Admin's revert deletes the deals, then the client made for them.
        job.with_user(self.admin_user).action_revert()
        self.env["crm.import.job"]._cron_run_jobs(batch_size=2)
        self.assertEqual(job.state, "reverted")
        self.assertFalse(client.exists())
        self.assertEqual(job.revert_log, "4 records reverted, 0 conflicts.")

    def test_update_mode_creates_no_client(self):
        job = self.deal_job([["Neubau Berlin", "Nova Bau GmbH", "1", "", ""]], mode="update")
        job.action_import()
        self.assertEqual(job.row_ids.error_text, "Kunde: Unknown client: Nova Bau GmbH.")
        self.assertFalse(self.Partner.search([("name", "=", "Nova Bau GmbH")]))

    def test_a_deal_template_is_saved_and_reused_for_deals_only(self):
        job = self.deal_job([["Neubau Berlin", "Nova Bau GmbH", "1", "", ""]])
        columns = {column.header: column for column in job.column_ids}
        columns["Betrag"].deal_target = "probability"
        job.action_save_template()
        self.assertEqual(job.template_id.import_model, "crm.lead")
        again = self.deal_job([["Wartung Bonn", "Nova Bau GmbH", "2", "", ""]])
        self.assertEqual(again.template_id, job.template_id)
        self.assertEqual({c.header: c.deal_target for c in again.column_ids}["Betrag"], "probability")
        # A contact import of a file with the same headers does not take it.
        content = csv_bytes([list(self.HEADERS), ["Neubau Berlin", "Nova Bau GmbH", "1", "", ""]], separator=";")
        contacts = self.job(content, name="contacts.csv")
        self.assertFalse(contacts.template_id)
        self.assertEqual(self.targets(contacts)["Kunde"], "company")
        with self.assertRaisesRegex(AccessError, "Only Managers and Admins may import"):
            again.with_user(self.contributor).action_save_template()

    def test_revert_lists_a_deal_used_by_a_quotation_or_a_meeting(self):
        job = self.deal_job(
            [
                ["Neubau Berlin", "Construcciones Ibéricas S.L.", "1", "", ""],
                ["Wartung Bonn", "Construcciones Ibéricas S.L.", "2", "", ""],
                ["Umbau Köln", "Construcciones Ibéricas S.L.", "3", "", ""],
            ]
        )
        job.action_import()
        rows = self.rows(job)
        berlin, bonn, koeln = rows[2].deal_id, rows[3].deal_id, rows[4].deal_id
        self.env["sale.order"].sudo().create({"partner_id": self.client_a.id, "opportunity_id": berlin.id})
        self.env["calendar.event"].sudo().create(
            {"name": "Visit", "start": "2027-01-04 10:00:00", "stop": "2027-01-04 11:00:00", "opportunity_id": bonn.id}
        )
        job.with_user(self.admin_user).action_revert()
        self.assertEqual(rows[2].error_text, "Used by Sales Order.")
        self.assertEqual(rows[3].error_text, "Used by Calendar Event.")
        self.assertTrue(berlin.exists() and bonn.exists())
        self.assertFalse(koeln.exists())
        self.assertEqual(job.revert_log, "1 records reverted, 2 conflicts.")
