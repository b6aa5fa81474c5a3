from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .client_billing_common import LAST_SUNDAY, ClientBillingCommon


@tagged("post_install", "-at_install")
class TestClientProject(ClientBillingCommon):
    def _new_client(self, user, name="Nordic Builders AB"):
        return (
            self.env["res.partner"]
            .with_user(user)
            .create({"name": name, "is_company": True, "team_id": self.team_a.id, "user_id": self.contributor.id})
        )

    def projects_of(self, client):
        return self.env["project.project"].with_context(active_test=False).search([("partner_id", "=", client.id)])

    def test_new_client_gets_exactly_one_project(self):
        self.company.crm_client_auto_project = True
        client = self._new_client(self.contributor)
        project = self.projects_of(client)
        self.assertEqual(len(project), 1)
        self.assertEqual(project.name, "Nordic Builders AB")
        self.assertEqual(project.privacy_visibility, "portal")
        self.assertEqual(project.user_id, self.contributor, "the client's owner manages the project")
        self.assertEqual(project.crm_team_id, self.team_a)
        self.assertEqual(
            project.type_ids.mapped("name"), ["To Do", "In Progress", "Review", "Done"], "the add-on's board stages"
        )
        self.assertFalse(project.message_partner_ids & client, "the client is not made a follower")
        # A second save, a contact, another client's contact: no new project.
        client.with_user(self.contributor).write({"phone": "+46 8 123 456"})
        self.env["res.partner"].with_user(self.contributor).create({"name": "Anna Berg", "parent_id": client.id})
        self.assertEqual(self.projects_of(client), project)
        client.action_crm_create_project()
        self.assertEqual(self.projects_of(client), project, "the button creates none when it has one")
        project.active = False
        client.action_crm_create_project()
        self.assertEqual(self.projects_of(client), project, "an archived project counts")

    def test_import_of_the_same_client_creates_no_second_project(self):
        self.company.crm_client_auto_project = True
        Partner = self.env["res.partner"]
        rows = [["__import__.nordic", "Nordic Builders AB", "1"]]
        for _attempt in range(2):
            result = Partner.load(["id", "name", "is_company"], rows)
            self.assertFalse(result["messages"])
        client = self.env.ref("__import__.nordic")
        self.assertEqual(len(self.projects_of(client)), 1)

    def test_setting_off_or_a_person_creates_none(self):
        self.company.crm_client_auto_project = False
        client = self._new_client(self.manager)
        self.assertFalse(self.projects_of(client))
        self.company.crm_client_auto_project = True
        person = self.env["res.partner"].create({"name": "Freelance Person"})
        supplier = self.env["res.partner"].create(
            {"name": "Supplier", "is_company": True, "crm_client_type": "supplier"}
        )
        company = self.env["res.company"].create({"name": "Own Subsidiary"})
        self.assertFalse(self.projects_of(person) | self.projects_of(supplier) | self.projects_of(company.partner_id))
        # By hand, the button creates the project.
        action = client.with_user(self.manager).action_crm_create_project()
        project = self.projects_of(client)
        self.assertEqual(len(project), 1)
        self.assertEqual(action["domain"], [("partner_id", "=", client.id)])
        with self.assertRaisesRegex(UserError, "is not one"):
            person.action_crm_create_project()

    def test_client_form_shows_hours_and_open_tasks(self):
        this_week = self.log(self.project_a, self.emp_contributor, 3.0, date(2026, 11, 24))
        self.log(self.project_a2, self.emp_contributor, 1.5, date(2026, 11, 23))
        self.log(self.project_a, self.emp_manager, 4.0, date(2026, 11, 18))
        self.env["project.task"].create({"name": "Walls", "project_id": self.project_a2.id})
        self.env.invalidate_all()
        client = self.client_a.with_user(self.contributor)
        self.assertEqual(client.crm_project_count, 2)
        self.assertEqual(client.crm_hours_this_week, 4.5)
        self.assertEqual(client.crm_hours_unbilled, 8.5)
        self.assertEqual(client.crm_open_task_count, 2)
        self.assertEqual(self.project_a.crm_hours_this_week, 3.0)
        self.run_weekly()
        self.env.invalidate_all()
        self.assertEqual(client.crm_hours_unbilled, 3.0 + 1.5, "last week's time is billed")
        self.assertEqual(this_week.crm_billing_state, "unbilled")


@tagged("post_install", "-at_install")
class TestBillingRates(ClientBillingCommon):
    def test_most_specific_rate_wins(self):
        Rate = self.env["crm.billing.rate"]
        client_rate = Rate.create({"partner_id": self.client_a.id, "price": 80, "currency_id": self.usd.id})
        project_rate = Rate.create(
            {"partner_id": self.client_a.id, "project_id": self.project_a.id, "price": 90, "currency_id": self.usd.id}
        )
        employee_rate = Rate.create(
            {
                "partner_id": self.client_a.id,
                "employee_id": self.emp_manager.id,
                "price": 95,
                "currency_id": self.eur.id,
            }
        )
        both_rate = Rate.create(
            {
                "partner_id": self.client_a.id,
                "project_id": self.project_a.id,
                "employee_id": self.emp_manager.id,
                "price": 120,
                "currency_id": self.usd.id,
            }
        )
        a, a2, b = self.client_a.id, self.project_a.id, self.project_a2.id
        keys = [
            (a, a2, self.emp_manager.id),
            (a, a2, self.emp_contributor.id),
            (a, b, self.emp_manager.id),
            (a, b, self.emp_contributor.id),
            (self.client_b.id, self.project_b.id, self.emp_manager.id),
        ]
        Rate._resolve(keys)  # warm the registry's caches
        self.env.invalidate_all()
        queries = self.env.cr.sql_log_count
        Rate._resolve(keys[:1])
        one_key = self.env.cr.sql_log_count - queries
        self.env.invalidate_all()
        queries = self.env.cr.sql_log_count
        resolved = Rate._resolve(keys)
        self.assertEqual(self.env.cr.sql_log_count - queries, one_key, "one search for all keys")
        self.assertEqual(resolved[keys[0]], both_rate)
        self.assertEqual(resolved[keys[1]], project_rate)
        self.assertEqual(resolved[keys[2]], employee_rate)
        self.assertEqual(resolved[keys[3]], client_rate)
        self.assertNotIn(keys[4], resolved, "a client without rates is priced at the product's price")

    def test_rate_is_unique_and_its_project_belongs_to_the_client(self):
        Rate = self.env["crm.billing.rate"]
        Rate.create({"partner_id": self.client_a.id, "price": 80})
        with self.assertRaisesRegex(ValidationError, "belong to the client"):
            Rate.create({"partner_id": self.client_a.id, "project_id": self.project_b.id, "price": 80})
        with mute_logger("odoo.sql_db"), self.assertRaises(Exception) as caught:
            with self.env.cr.savepoint():
                Rate.create({"partner_id": self.client_a.id, "price": 70})
        self.assertIn("crm_billing_rate_unique", str(caught.exception))

    def test_invoice_applies_rates_and_falls_back_to_product_price(self):
        Rate = self.env["crm.billing.rate"]
        Rate.create(
            {
                "partner_id": self.client_a.id,
                "employee_id": self.emp_manager.id,
                "price": 150,
                "currency_id": self.usd.id,
            }
        )
        self.log(self.project_a, self.emp_manager, 2.0, date(2026, 11, 18))
        self.log(self.project_a, self.emp_contributor, 3.0, date(2026, 11, 19))
        self.log(self.project_b, self.emp_contributor_b, 1.0, date(2026, 11, 19))
        self.run_weekly()
        lines_a = self.invoices_of(self.client_a).invoice_line_ids
        prices = {line.name.split("\n")[0]: (line.quantity, line.price_unit) for line in lines_a}
        self.assertEqual(
            prices,
            {
                f"{self.project_a.display_name} - Manager Employee": (2.0, 150.0),
                f"{self.project_a.display_name} - Contributor Employee": (3.0, 100.0),
            },
        )
        self.assertEqual(self.invoices_of(self.client_b).invoice_line_ids.price_unit, 100.0)


@tagged("post_install", "-at_install")
class TestWeeklyInvoicing(ClientBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_a.write({"crm_currency_id": cls.eur.id, "crm_payment_term": "30", "crm_payment_method": "transfer"})
        cls.set_rate(cls.eur, 0.9, date(2026, 11, 1))
        cls.set_rate(cls.eur, 0.5, date(2026, 11, 23))  # after the period: not the period end's rate
        cls.line_a1 = cls.log(cls.project_a, cls.emp_contributor, 2.0, date(2026, 11, 17))
        cls.line_a2 = cls.log(cls.project_a, cls.emp_contributor, 1.5, LAST_SUNDAY)
        cls.line_a3 = cls.log(cls.project_a, cls.emp_manager, 4.0, date(2026, 11, 20))
        cls.line_a4 = cls.log(cls.project_a2, cls.emp_manager, 1.0, date(2026, 11, 20))
        cls.line_this_week = cls.log(cls.project_a, cls.emp_contributor, 5.0, date(2026, 11, 23))
        cls.line_b = cls.log(cls.project_b, cls.emp_contributor_b, 3.0, date(2026, 11, 16))

    def test_one_draft_per_client_in_its_currency_up_to_sunday(self):
        moves, failures = self.run_weekly()
        self.assertFalse(failures)
        invoice_a = self.invoices_of(self.client_a)
        self.assertEqual(len(invoice_a), 1)
        self.assertEqual(moves, invoice_a | self.invoices_of(self.client_b))
        self.assertEqual(invoice_a.state, "draft")
        self.assertEqual(invoice_a.currency_id, self.eur)
        self.assertEqual(invoice_a.invoice_payment_term_id, self.env.ref("account.account_payment_term_30days"))
        self.assertEqual(invoice_a.preferred_payment_method_line_id.payment_method_id.code, "manual")
        self.assertEqual(invoice_a.preferred_payment_method_line_id.journal_id.type, "bank")
        self.assertEqual(invoice_a.invoice_user_id, self.contributor, "the client's salesperson")
        self.assertEqual(invoice_a.team_id, self.team_a)
        self.assertEqual(
            (invoice_a.crm_time_period_start, invoice_a.crm_time_period_end), (date(2026, 11, 17), LAST_SUNDAY)
        )
        lines = {(line.name, line.quantity, line.price_unit) for line in invoice_a.invoice_line_ids}
        period = "Time from 11/17/2026 to 11/22/2026"
        self.assertEqual(
            lines,
            {
                (f"{self.project_a.display_name} - Contributor Employee\n{period}", 3.5, 90.0),
                (f"{self.project_a.display_name} - Manager Employee\n{period}", 4.0, 90.0),
                (f"{self.project_a2.display_name} - Manager Employee\n{period}", 1.0, 90.0),
            },
            "100 USD at the rate of the period end (0.9), one line per project and employee",
        )
        billed = self.line_a1 | self.line_a2 | self.line_a3 | self.line_a4
        self.assertEqual(billed.crm_invoice_id, invoice_a)
        self.assertEqual(set(billed.mapped("crm_billing_state")), {"draft"})
        self.assertFalse(self.line_this_week.crm_invoice_line_id, "this week's time waits for next week")
        invoice_b = self.invoices_of(self.client_b)
        self.assertEqual(invoice_b.currency_id, self.usd, "no preferred currency: the company's")
        self.assertEqual(invoice_b.team_id, self.team_b)

    def test_per_project_grouping(self):
        self.company.crm_invoice_line_grouping = "project"
        self.run_weekly()
        lines = self.invoices_of(self.client_a).invoice_line_ids
        self.assertEqual(
            sorted((line.name.split("\n")[0], line.quantity) for line in lines),
            sorted([(self.project_a.display_name, 7.5), (self.project_a2.display_name, 1.0)]),
        )

    def test_missing_rate_fails_only_that_client(self):
        chf = self.env.ref("base.CHF")
        chf.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", chf.id)]).unlink()
        self.client_b.crm_currency_id = chf
        moves, failures = self.run_weekly()
        self.assertEqual(moves, self.invoices_of(self.client_a), "the other client is invoiced")
        self.assertEqual(list(failures), [self.client_b])
        self.assertIn("No exchange rate of CHF on or before 11/22/2026", failures[self.client_b])
        self.assertFalse(self.invoices_of(self.client_b))
        self.assertFalse(self.line_b.crm_invoice_line_id, "its time stays unbilled")
        self.assertIn("No exchange rate of CHF", self.client_b.message_ids[0].body)
        # A rate dated after the period end does not count either.
        self.set_rate(chf, 0.8, date(2026, 11, 24))
        self.assertTrue(self.run_weekly()[1])
        self.set_rate(chf, 0.95, date(2026, 11, 10))
        moves, failures = self.run_weekly()
        self.assertFalse(failures)
        self.assertEqual(self.invoices_of(self.client_b).invoice_line_ids.price_unit, 95.0)

    def test_rerun_adds_nothing_cancel_and_delete_free_the_time(self):
        first, _failures = self.run_weekly()
        self.assertEqual(len(first), 2)
        self.assertFalse(self.run_weekly()[0], "a rerun bills nothing twice")
        invoice_a = self.invoices_of(self.client_a)
        invoice_a.button_cancel()
        self.assertFalse(self.line_a1.crm_invoice_line_id)
        second, _failures = self.run_weekly()
        self.assertEqual(len(second), 1)
        self.assertEqual(second.partner_id, self.client_a)
        self.assertEqual(self.line_a1.crm_invoice_id, second)
        second.unlink()
        self.assertFalse(self.line_a1.crm_invoice_line_id)
        self.assertEqual(len(self.run_weekly()[0]), 1)

    def test_posted_invoice_locks_its_time(self):
        self.run_weekly()
        invoice_a = self.invoices_of(self.client_a)
        invoice_a.action_post()
        self.assertEqual(self.line_a1.crm_billing_state, "posted")
        timesheet = self.line_a1.with_user(self.contributor)
        with self.assertRaisesRegex(UserError, "billed by the posted invoice"):
            timesheet.unit_amount = 8
        with self.assertRaisesRegex(UserError, "billed by the posted invoice"):
            timesheet.unlink()
        # Time of a draft stays editable, and so is unbilled time.
        self.line_this_week.with_user(self.contributor).unit_amount = 6
        self.assertEqual(self.line_this_week.unit_amount, 6)
        invoice_a.button_draft()
        timesheet.unit_amount = 2.5
        self.assertEqual(self.line_a1.unit_amount, 2.5)

    def test_invoice_time_now_bills_up_to_today_for_admins_only(self):
        client = self.client_a.with_user(self.admin_user)
        action = client.action_crm_invoice_time_now()
        invoice = self.invoices_of(self.client_a)
        self.assertEqual(action["res_id"], invoice.id)
        self.assertEqual(invoice.crm_time_period_end, date(2026, 11, 25))
        self.assertEqual(self.line_this_week.crm_invoice_id, invoice)
        with self.assertRaisesRegex(UserError, "has no unbilled time"):
            client.action_crm_invoice_time_now()
        with self.assertRaisesRegex(AccessError, "Only Admins"):
            self.client_b.with_user(self.manager_b).action_crm_invoice_time_now()
        self.assertFalse(self.invoices_of(self.client_b))

    def test_invoice_time_now_reports_the_missing_rate(self):
        self.env["res.currency.rate"].search([("currency_id", "=", self.eur.id)]).unlink()
        with self.assertRaisesRegex(UserError, "No exchange rate of EUR"):
            self.client_a.with_user(self.admin_user).action_crm_invoice_time_now()
        self.assertFalse(self.line_a1.crm_invoice_line_id)

    def test_time_of_a_sale_order_line_is_never_billed(self):
        if "so_line" not in self.env["account.analytic.line"]._fields:
            self.skipTest("sale_timesheet is not installed (run in a database with it: see readme/CONFIGURE.md)")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.client_a.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        self.line_a1.so_line = order.order_line
        self.run_weekly()
        self.assertFalse(self.line_a1.crm_invoice_line_id)
        self.assertTrue(self.line_a2.crm_invoice_line_id)


@tagged("post_install", "-at_install")
class TestClientInvoiceFigures(ClientBillingCommon):
    def _post(self, client, amount, invoice_date, due_date=None):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": client.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due_date or invoice_date,
                "invoice_line_ids": [
                    Command.create({"name": "Work", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _pay(self, move, amount):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
            {"amount": amount}
        )._create_payments()

    def test_history_payment_status_balance_revenue_and_profit(self):
        client = self.client_a.with_user(self.manager)
        self.assertFalse(client.crm_payment_status, "no invoice, no status")
        october = self._post(self.client_a, 1000.0, date(2026, 10, 5), due_date=date(2026, 12, 31))
        self.env.invalidate_all()
        self.assertEqual(client.crm_payment_status, "not_paid")
        self._pay(october, 400.0)
        self.env.invalidate_all()
        self.assertEqual(client.crm_payment_status, "partial")
        self._pay(october, 600.0)
        november = self._post(self.client_a, 500.0, date(2026, 11, 2), due_date=date(2026, 11, 20))
        self.log(self.project_a, self.emp_contributor, 10.0, date(2026, 11, 3))  # 10 h at 40 = 400
        self._post(self.client_b, 300.0, date(2026, 11, 2))
        self.env.invalidate_all()
        self.assertEqual(client.crm_invoice_count, 2)
        self.assertEqual(client.crm_payment_status, "overdue", "November's invoice is past due")
        self.assertEqual(client.crm_outstanding_balance, 500.0)
        self.assertEqual(client.crm_invoiced_revenue, 1500.0)
        self.assertEqual(client.crm_time_cost, 400.0)
        self.assertEqual(client.crm_profit, 1100.0)
        self.assertEqual(
            self.client_a._crm_revenue_by_month(), [(date(2026, 10, 1), 1000.0), (date(2026, 11, 1), 500.0)]
        )
        self._pay(november, 500.0)
        self.env.invalidate_all()
        self.assertEqual(client.crm_payment_status, "paid")
        self.assertEqual(client.crm_outstanding_balance, 0.0)
        self.assertEqual(
            self.client_a.action_crm_view_invoices()["domain"][0], ("commercial_partner_id", "=", self.client_a.id)
        )


@tagged("post_install", "-at_install")
class TestClientBillingRoles(ClientBillingCommon):
    def test_contributor_logs_time_on_clients_they_may_see_only(self):
        Line = self.env["account.analytic.line"].with_user(self.contributor)
        line = Line.create(
            {"name": "Site visit", "project_id": self.project_a.id, "unit_amount": 2, "date": date(2026, 11, 24)}
        )
        self.assertEqual(line.crm_client_id, self.client_a)
        self.assertEqual(line.employee_id, self.emp_contributor)
        with self.assertRefusedByRecordRules("create", "account.analytic.line"):
            Line.create({"name": "Not mine", "project_id": self.project_b.id, "unit_amount": 2})

    def test_contributor_logs_time_on_tasks_of_clients_they_may_see_only(self):
        """The timesheet's task field: a Contributor picks a task of a client they may see, and the line keeps that
        client; a task of another client's project is refused, even with this client's project on the line."""
        task_b = self.env["project.task"].create({"name": "Fundament", "project_id": self.project_b.id})
        Line = self.env["account.analytic.line"].with_user(self.contributor)
        self.assertIn(self.task_a.id, [task_id for task_id, _name in Line.env["project.task"].name_search("Found")])
        line = Line.create({"name": "Rebar check", "task_id": self.task_a.id, "unit_amount": 1.5})
        self.assertEqual(line.task_id, self.task_a)
        self.assertEqual((line.project_id, line.crm_client_id), (self.project_a, self.client_a), "from the task")
        with self.assertRefusedByRecordRules("create", "account.analytic.line"):
            Line.create({"name": "Not mine", "task_id": task_b.id, "unit_amount": 1})
        with self.assertRaisesRegex(ValidationError, "The task Fundament belongs to the project"):
            Line.create({"name": "Not mine", "project_id": self.project_a.id, "task_id": task_b.id, "unit_amount": 1})
        for vals in ({"task_id": task_b.id}, {"project_id": self.project_b.id, "task_id": False}):
            with self.subTest(vals=vals):
                with self.assertRefusedByRecordRules("write", "account.analytic.line"), self.env.cr.savepoint():
                    line.write(vals)
                line.invalidate_recordset()
                self.assertEqual((line.project_id, line.task_id), (self.project_a, self.task_a))
        line.write({"task_id": False, "name": "Rebar check, whole project"})
        self.assertEqual((line.project_id, line.crm_client_id), (self.project_a, self.client_a))

    def test_managers_see_their_teams_time_and_invoices(self):
        line_a = self.log(self.project_a, self.emp_contributor, 2.0, date(2026, 11, 18))
        line_b = self.log(self.project_b, self.emp_contributor_b, 3.0, date(2026, 11, 18))
        self.assertEqual(self.visible(self.manager, line_a | line_b), line_a)
        self.assertEqual(self.visible(self.manager_b, line_a | line_b), line_b)
        self.assertEqual(self.visible(self.admin_user, line_a | line_b), line_a | line_b)
        self.assertEqual(self.visible(self.contributor, line_a | line_b), line_a, "their own time")
        self.run_weekly()
        invoices = self.invoices_of(self.client_a) | self.invoices_of(self.client_b)
        self.assertEqual(self.visible(self.manager, invoices), self.invoices_of(self.client_a))
        self.assertEqual(self.visible(self.manager_b, invoices), self.invoices_of(self.client_b))
        self.assertEqual(self.visible(self.admin_user, invoices), invoices)
        with self.assertRefusedByAccessRights("write", "account.move"):
            self.invoices_of(self.client_a).with_user(self.manager).write({"ref": "Changed"})

    def test_admins_configure_rates_managers_read_them(self):
        rate = (
            self.env["crm.billing.rate"]
            .with_user(self.admin_user)
            .create({"partner_id": self.client_a.id, "price": 90})
        )
        self.assertEqual(rate.with_user(self.manager).price, 90)
        with self.assertRefusedByAccessRights("create", "crm.billing.rate"):
            self.env["crm.billing.rate"].with_user(self.manager).create({"partner_id": self.client_b.id, "price": 1})
        with self.assertRefusedByAccessRights("write", "crm.billing.rate"):
            rate.with_user(self.manager).price = 1
        with self.assertRefusedByAccessRights("read", "crm.billing.rate"):
            rate.with_user(self.contributor).read(["price"])

    def test_guests_see_no_client_time_rates_or_invoices(self):
        line = self.log(self.project_a, self.emp_contributor, 2.0, date(2026, 11, 18))
        self.run_weekly()
        with self.assertRefusedByAccessRights("read", "account.analytic.line"):
            self.env["account.analytic.line"].with_user(self.guest).search([("id", "=", line.id)])
        with self.assertRefusedByAccessRights("read", "crm.billing.rate"):
            self.env["crm.billing.rate"].with_user(self.guest).search([])
        with self.assertRefusedByAccessRights("read", "account.move"):
            self.invoices_of(self.client_a).with_user(self.guest).read(["name"])
