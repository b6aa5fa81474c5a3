from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestClientPortalUi(CrmClientSuiteCommon, HttpCase):
    def test_portal_contact_sees_its_client_and_opens_a_case(self):
        projects = (self.client_a | self.client_b)._crm_ensure_client_project()
        project_a = projects.filtered(lambda p: p.partner_id == self.client_a)
        project_a.name = "Torre Norte"
        (projects - project_a).name = "Halle Süd"
        employee = self.env["hr.employee"].create({"name": "Elena Obrera", "user_id": self.contributor.id})
        self.env["account.analytic.line"].create(
            {
                "name": "Planos",
                "project_id": project_a.id,
                "employee_id": employee.id,
                "unit_amount": 2.5,
                "date": fields.Date.context_today(self.env.user),
            }
        )
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": client.id,
                    "invoice_line_ids": [
                        Command.create({"name": "Work", "quantity": 1, "price_unit": price, "tax_ids": []})
                    ],
                }
                for client, price in ((self.client_a, 1234.0), (self.client_b, 4321.0))
            ]
        )
        invoices.action_post()
        self.start_tour(f"/my/invoices/{invoices[1].id}", "crm_client_suite_client_portal", login="ccs_portal")
        case = self.env["crm.case"].search([("name", "=", "Grieta en la fachada")])
        self.assertEqual(case.partner_id, self.client_a)
        self.assertEqual(case.contact_id, self.portal_user.partner_id)
        self.assertEqual(case.case_type, "claim")


@tagged("post_install", "-at_install")
class TestClientBillingUi(CrmClientSuiteCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A company keeping its books in EUR, with its own chart of accounts.
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.usd = cls.env.ref("base.USD")
        cls.eu_company = cls.env["res.company"].create(
            {"name": "CCS Europa S.L.", "currency_id": cls.eur.id, "crm_client_auto_project": True}
        )
        cls.env["account.chart.template"].try_loading("generic_coa", company=cls.eu_company, install_demo=False)
        cls.eu_company.currency_id = cls.eur  # the generic chart of accounts sets its own currency
        # The company's own rates win over shared (demo) ones: 1 EUR = 1.10 USD.
        cls.env["res.currency.rate"].create(
            [
                {
                    "currency_id": currency.id,
                    "rate": rate,
                    "name": fields.Date.today() - timedelta(days=7),
                    "company_id": cls.eu_company.id,
                }
                for currency, rate in ((cls.eur, 1.0), (cls.usd, 1.1))
            ]
        )
        for user in cls.admin_user | cls.contributor:
            user.write({"company_ids": [Command.link(cls.eu_company.id)], "company_id": cls.eu_company.id})
        cls.env["hr.employee"].create(
            {"name": "Elena Obrera", "user_id": cls.contributor.id, "company_id": cls.eu_company.id}
        )

    def test_admin_invoices_a_contributors_time_in_the_clients_currency(self):
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_clients",
            "crm_client_suite_admin_creates_client",
            login=self.admin_user.login,
        )
        client = self.env["res.partner"].search([("name", "=", "Hoteles Costa Azul S.A.")])
        project = self.env["project.project"].search([("partner_id", "=", client.id)])
        self.assertEqual(project.company_id, self.eu_company)
        self.assertEqual(client.crm_collaborator_ids, self.contributor)
        # The project's manager plans a task; the Contributor, collaborator of the client, logs time on it from
        # their timesheets (internal users read the tasks of non-private projects; the time rule keeps the client).
        task = self.env["project.task"].create({"name": "Planos de planta", "project_id": project.id})
        self.start_tour("/odoo/timesheets", "crm_client_suite_contributor_logs_time", login=self.contributor.login)
        line = self.env["account.analytic.line"].search([("project_id", "=", project.id)])
        self.assertEqual(line.task_id, task)
        self.assertEqual(line.name, "Revisión de planos")
        self.assertEqual(line.unit_amount, 3.0)
        self.assertEqual(line.create_uid, self.contributor)
        self.assertEqual(line.employee_id.user_id, self.contributor)
        self.assertEqual(line.crm_client_id, client)
        self.start_tour(
            f"/odoo/res.partner/{client.id}", "crm_client_suite_admin_invoices_time", login=self.admin_user.login
        )
        invoice = self.env["account.move"].search([("partner_id", "=", client.id)])
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.currency_id, self.usd)
        self.assertEqual(invoice.company_id, self.eu_company)
        self.assertEqual(invoice.company_currency_id, self.eur)
        self.assertEqual(invoice.invoice_line_ids.quantity, 3.0)
        # The time product's 100.00 EUR an hour, at 1.10 USD per EUR.
        self.assertEqual(invoice.invoice_line_ids.price_unit, 110.0)
