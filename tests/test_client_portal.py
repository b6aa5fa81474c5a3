import csv
import io
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CrmClientSuiteCommon


@tagged("post_install", "-at_install")
class TestClientPortal(CrmClientSuiteCommon, HttpCase):
    """/my/client and the isolation of two clients' portal contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user_b = new_test_user(
            cls.env, login="ccs_portal_b", groups="base.group_portal", name="Jonas Portal", password="ccs_portal_b"
        )
        cls.portal_user_b.partner_id.parent_id = cls.client_b
        cls.portal_user.password = "ccs_portal"
        projects = (cls.client_a | cls.client_b)._crm_ensure_client_project()
        cls.project_a = projects.filtered(lambda p: p.partner_id == cls.client_a)
        cls.project_b = projects - cls.project_a
        cls.project_a.name = "Torre Norte"
        cls.project_b.name = "Halle Süd"
        Task = cls.env["project.task"]
        cls.task_a = Task.create({"name": "Cimientos", "project_id": cls.project_a.id})
        cls.task_b = Task.create({"name": "Fundament", "project_id": cls.project_b.id})
        Employee = cls.env["hr.employee"]
        emp_a = Employee.create({"name": "Elena Obrera", "user_id": cls.contributor.id})
        emp_b = Employee.create({"name": "Klaus Arbeiter", "user_id": cls.contributor_b.id})
        cls.today = fields.Date.context_today(cls.env.user)
        Line = cls.env["account.analytic.line"]
        cls.line_a = Line.create(
            {
                "name": "Planos",
                "project_id": cls.project_a.id,
                "task_id": cls.task_a.id,
                "employee_id": emp_a.id,
                "unit_amount": 2.5,
                "date": cls.today,
            }
        )
        cls.line_a_last_week = Line.create(
            {
                "name": "Visita",
                "project_id": cls.project_a.id,
                "employee_id": emp_a.id,
                "unit_amount": 1.0,
                "date": cls.today - timedelta(days=7),
            }
        )
        cls.line_b = Line.create(
            {
                "name": "Zeichnung",
                "project_id": cls.project_b.id,
                "employee_id": emp_b.id,
                "unit_amount": 4.0,
                "date": cls.today,
            }
        )
        Move = cls.env["account.move"]

        def invoice(client, price, post=True):
            move = Move.create(
                {
                    "move_type": "out_invoice",
                    "partner_id": client.id,
                    "invoice_date": cls.today,
                    "invoice_line_ids": [
                        Command.create({"name": "Work", "quantity": 1, "price_unit": price, "tax_ids": []})
                    ],
                }
            )
            if post:
                move.action_post()
            return move

        cls.invoice_a = invoice(cls.client_a, 1234.0)
        cls.draft_a = invoice(cls.client_a, 999.0, post=False)
        cls.invoice_b = invoice(cls.client_b, 4321.0)

    def test_client_home_shows_only_its_client(self):
        self.authenticate("ccs_portal", "ccs_portal")
        response = self.url_open("/my/client")
        self.assertEqual(response.status_code, 200)
        page = response.text
        for expected in ("Torre Norte", "Elena Obrera", self.invoice_a.name, "Obra nueva Madrid", "Reforma Sevilla"):
            self.assertIn(expected, page)
        for unexpected in ("Halle Süd", "Klaus Arbeiter", self.invoice_b.name, "Fertigungslinie Stuttgart"):
            self.assertNotIn(unexpected, page)
        self.assertNotIn("999.00", page, "drafts are never shown")

    def test_time_csv_covers_the_period_of_its_client(self):
        self.authenticate("ccs_portal", "ccs_portal")
        day = fields.Date.to_string(self.today)
        response = self.url_open(f"/my/client/time.csv?date_from={day}&date_to={day}")
        self.assertEqual(response.status_code, 200)
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(rows[0], ["Date", "Project", "Task", "Team Member", "Description", "Hours"])
        self.assertEqual(rows[1:], [[day, "Torre Norte", "Cimientos", "Elena Obrera", "Planos", "2.5"]])

    def test_bad_dates_fall_back_with_a_message(self):
        self.authenticate("ccs_portal", "ccs_portal")
        page = self.url_open("/my/client?date_from=yesterday").text
        self.assertIn("Enter the dates as YYYY-MM-DD", page)
        self.assertIn("Torre Norte", page)

    def test_guessed_urls_and_tokens_of_the_other_client_are_refused(self):
        self.authenticate("ccs_portal", "ccs_portal")
        for url in (
            f"/my/invoices/{self.invoice_b.id}",
            f"/my/projects/{self.project_b.id}",
            f"/my/tasks/{self.task_b.id}",
            f"/my/invoices/{self.draft_a.id}",
        ):
            response = self.url_open(url, allow_redirects=False)
            self.assertIn(response.status_code, (302, 303, 403, 404), url)
            self.assertNotIn("/my/invoices/", response.headers.get("Location", ""), url)
        self.assertEqual(self.url_open(f"/my/invoices/{self.invoice_a.id}", allow_redirects=False).status_code, 200)
        # B's token opens B's invoice, and nothing of A's.
        self.invoice_b._portal_ensure_token()
        token_b = self.invoice_b.access_token
        response = self.url_open(f"/my/invoices/{self.draft_a.id}?access_token={token_b}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 403, 404))
        self.authenticate(None, None)
        response = self.url_open(f"/my/invoices/{self.invoice_a.id}?access_token={token_b}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 403, 404))
        response = self.url_open(f"/my/invoices/{self.invoice_b.id}?access_token={token_b}", allow_redirects=False)
        self.assertEqual(response.status_code, 200, "the token works for its own invoice")

    def test_rpc_search_and_read_stay_within_the_client(self):
        env = self.env(user=self.portal_user)
        projects = env["project.project"].search([])
        self.assertEqual(projects, self.project_a.with_env(env), "viewer through the client, no follower needed")
        self.assertFalse(self.project_a.message_partner_ids & self.portal_user.partner_id)
        self.assertEqual(env["project.task"].search([]), self.task_a.with_env(env))
        self.assertEqual(env["account.move"].search([]).ids, self.invoice_a.ids, "its posted invoice, no draft")
        with self.assertRefusedByRecordRules("read", "account.move"):
            self.invoice_b.with_env(env).read(["name"])
        with self.assertRefusedByRecordRules("read", "project.project"):
            self.project_b.with_env(env).read(["name"])
        with self.assertRefusedByRecordRules("read", "account.move"):
            self.draft_a.with_env(env).read(["name"])
        self.assertFalse(env["crm.lead"].has_access("read"))

    def test_portal_home_counter_and_other_users(self):
        self.authenticate("ccs_portal", "ccs_portal")
        result = self.make_jsonrpc_request("/my/counters", {"counters": ["crm_client_project_count"]})
        self.assertEqual(result["crm_client_project_count"], 1)
        self.assertIn("/my/client", self.url_open("/my").text)
        # An internal user has no client home.
        self.authenticate("ccs_contributor", "ccs_contributor")
        response = self.url_open("/my/client", allow_redirects=False)
        self.assertEqual(response.status_code, 303)

    def test_client_contacts_invited_as_project_members(self):
        project_manager = new_test_user(
            self.env, login="ccs_project_manager", groups="project.group_project_manager", email="pm@example.com"
        )
        action = self.project_a.with_user(project_manager).action_crm_invite_client_contacts()
        wizard = (
            self.env["project.share.wizard"].with_user(project_manager).with_context(**action["context"]).create({})
        )
        contacts = (self.contact_a | self.contact_a_other | self.portal_user.partner_id).filtered("email")
        self.assertEqual(wizard.collaborator_ids.partner_id, contacts)
        self.assertEqual(set(wizard.collaborator_ids.mapped("access_mode")), {"edit"})
        self.assertFalse(self.contact_b in wizard.collaborator_ids.partner_id, "only the client's own contacts")
        wizard.action_send_mail()
        self.assertEqual(self.project_a.collaborator_ids.partner_id, contacts)
        invitations = self.project_a.message_ids.filtered(
            lambda m: (m.subject or "").startswith("Invitation to access")
        )
        self.assertEqual(invitations.partner_ids, contacts, "each member is sent an invitation")

    def test_pay_button_links_unpaid_posted_invoices_to_their_portal_page(self):
        paid = self.invoice_a.copy({"invoice_date": self.today})
        paid.action_post()
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=paid.ids).create(
            {}
        )._create_payments()
        self.assertEqual(paid.payment_state, "paid")
        self.invoice_a._portal_ensure_token()
        self.authenticate("ccs_portal", "ccs_portal")
        page = self.url_open("/my/client").text
        self.assertNotIn("o_crm_client_pay", page, "no payment provider: no pay button")

        Partner = self.registry["res.partner"]
        with patch.object(Partner, "_crm_portal_payment_provider", lambda self: True):
            page = self.url_open("/my/client").text
        pay_url = self.invoice_a.get_portal_url(anchor="portal_pay", query_string="&payment=True")
        self.assertIn(f'href="{pay_url.replace("&", "&amp;")}"', page)
        self.assertEqual(page.count("o_crm_client_pay"), 1, "the paid invoice and the draft get no pay button")
        self.assertNotIn(f"/my/invoices/{self.draft_a.id}", page)
        response = self.url_open(pay_url, allow_redirects=False)
        self.assertEqual(response.status_code, 200, "the link opens the stock invoice page")
        self.assertIn(self.invoice_a.name, response.text)

    def test_client_home_lists_shared_quotations_and_orders_read_only(self):
        product = self.env["product.product"].create({"name": "Estudio geotécnico", "type": "service"})
        Order = self.env["sale.order"]

        def order(client, price, state):
            record = Order.create(
                {
                    "partner_id": client.id,
                    "order_line": [Command.create({"product_id": product.id, "price_unit": price, "tax_id": []})],
                }
            )
            if state == "sent":
                record.action_quotation_sent()
            elif state == "sale":
                record.action_confirm()
            return record

        sent_a = order(self.client_a, 1111.0, "sent")
        sent_a._portal_ensure_token()
        confirmed_a = order(self.contact_a, 2222.0, "sale")
        draft_a = order(self.client_a, 3333.0, "draft")
        sent_b = order(self.client_b, 4444.0, "sent")
        self.authenticate("ccs_portal", "ccs_portal")
        page = self.url_open("/my/client").text
        self.assertIn(sent_a.name, page)
        self.assertIn(f"{sent_a.access_url}?access_token={sent_a.access_token}", page, "the page it was sent with")
        self.assertIn(confirmed_a.name, page, "an order of a contact of the client")
        self.assertIn("2,222.00", page)
        self.assertNotIn(draft_a.name, page, "a draft quotation is not shared yet")
        self.assertNotIn(sent_b.name, page)
        self.assertFalse(confirmed_a.access_token, "showing the page makes no token: it writes nothing")
        self.authenticate("ccs_portal_b", "ccs_portal_b")
        page_b = self.url_open("/my/client").text
        self.assertIn(sent_b.name, page_b)
        self.assertNotIn(sent_a.name, page_b)

    def test_isolation_matrix_both_ways_with_team_isolation_on(self):
        """Every route of the client home, for each client's contact against the other's records. The pages read
        with sudo, bound to the client's hierarchy; Team Isolation restricts internal users only and changes nothing
        here. Client A has a sub-company: its project, time, invoice and case are A's, and never B's."""
        self.set_team_isolation(True)
        sub_a = self.env["res.partner"].create(
            {"name": "Ibéricas Norte S.L.", "is_company": True, "parent_id": self.client_a.id}
        )
        project_sub = self.env["project.project"].create(
            {"name": "Nave Bilbao", "partner_id": sub_a.id, "privacy_visibility": "portal"}
        )
        task_sub = self.env["project.task"].create({"name": "Cubierta", "project_id": project_sub.id})
        line_sub = self.env["account.analytic.line"].create(
            {
                "name": "Replanteo",
                "project_id": project_sub.id,
                "task_id": task_sub.id,
                "employee_id": self.line_a.employee_id.id,
                "unit_amount": 6.0,
                "date": self.today,
            }
        )
        invoice_sub = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": sub_a.id,
                "invoice_date": self.today,
                "invoice_line_ids": [
                    Command.create({"name": "Work", "quantity": 1, "price_unit": 5678.0, "tax_ids": []})
                ],
            }
        )
        invoice_sub.action_post()
        Case = self.env["crm.case"]
        case_a = Case.create(
            {"name": "Fisura en muro", "partner_id": self.client_a.id, "contact_id": self.contact_a.id}
        )
        case_sub = Case.create({"name": "Gotera en nave", "partner_id": sub_a.id})
        case_b = Case.create(
            {"name": "Riss in der Wand", "partner_id": self.client_b.id, "contact_id": self.contact_b.id}
        )
        for case in case_a | case_sub | case_b:
            case._portal_ensure_token()
        own = {
            "ccs_portal": {
                "projects": self.project_a | project_sub,
                "tasks": self.task_a | task_sub,
                "invoices": self.invoice_a | invoice_sub,
                "cases": case_a | case_sub,
                "lines": self.line_a | line_sub,
                "names": ("Torre Norte", "Nave Bilbao"),
            },
            "ccs_portal_b": {
                "projects": self.project_b,
                "tasks": self.task_b,
                "invoices": self.invoice_b,
                "cases": case_b,
                "lines": self.line_b,
                "names": ("Halle Süd",),
            },
        }
        first, last = fields.Date.to_string(self.today - timedelta(days=30)), fields.Date.to_string(self.today)
        for login, other_login in (("ccs_portal", "ccs_portal_b"), ("ccs_portal_b", "ccs_portal")):
            mine, theirs = own[login], own[other_login]
            with self.subTest(login=login):
                self.authenticate(login, login)
                page = self.url_open(f"/my/client?date_from={first}&date_to={last}").text
                for text in (*mine["names"], *mine["invoices"].mapped("name"), *mine["cases"].mapped("name")):
                    self.assertIn(text, page)
                for text in (
                    *theirs["names"],
                    *theirs["invoices"].mapped("name"),
                    *theirs["cases"].mapped("name"),
                    *theirs["lines"].employee_id.mapped("name"),
                ):
                    self.assertNotIn(text, page)
                csv_text = self.url_open(f"/my/client/time.csv?date_from={first}&date_to={last}").text
                for line in mine["lines"]:
                    self.assertIn(line.name, csv_text)
                for text in (*theirs["lines"].mapped("name"), *theirs["names"]):
                    self.assertNotIn(text, csv_text)
                result = self.make_jsonrpc_request("/my/counters", {"counters": ["crm_client_project_count"]})
                self.assertEqual(result["crm_client_project_count"], len(mine["projects"]))
                # The other client's documents by guessed id; this client's open, sub-company's included.
                for record in (*theirs["cases"], *theirs["invoices"], *theirs["projects"], *theirs["tasks"]):
                    response = self.url_open(record.access_url, allow_redirects=False)
                    self.assertIn(response.status_code, (302, 303, 403, 404), record.access_url)
                    for text in theirs["names"]:
                        self.assertNotIn(text, response.text)
                for record in (*mine["cases"], *mine["invoices"], *mine["projects"], *mine["tasks"]):
                    response = self.url_open(record.access_url, allow_redirects=False)
                    self.assertEqual(response.status_code, 200, record.access_url)
                # RPC: search and read stay within the client's hierarchy.
                env = self.env(user=self.env["res.users"].search([("login", "=", login)]))
                self.assertEqual(env["crm.case"].search([]), mine["cases"].with_env(env))
                self.assertEqual(env["project.project"].search([]), mine["projects"].with_env(env))
                self.assertEqual(env["account.move"].search([]), mine["invoices"].with_env(env))
                self.assertFalse(env["account.analytic.line"].has_access("read"), "time only through the pages")
                for record in (*theirs["cases"], *theirs["invoices"], *theirs["projects"]):
                    with self.assertRefusedByRecordRules("read", record._name):
                        record.with_env(env).read(["display_name"])
                # Anonymous: a token opens its own case only.
                case, o_case = mine["cases"][0], theirs["cases"][0]
                self.authenticate(None, None)
                response = self.url_open(f"{case.access_url}?access_token={o_case.access_token}", allow_redirects=False)
                self.assertEqual(response.status_code, 303, "the other client's token opens nothing here")
                response = self.url_open(f"{o_case.access_url}?access_token={o_case.access_token}")
                self.assertIn(o_case.name, response.text, "the token works for its own case")

    def test_sub_company_contact_sees_its_own_part_only(self):
        """The hierarchy goes down, never up: the sub-company's own contact gets its sub-company's home, without
        the parent client's projects, time or invoices."""
        sub_a = self.env["res.partner"].create(
            {"name": "Ibéricas Norte S.L.", "is_company": True, "parent_id": self.client_a.id}
        )
        project_sub = self.env["project.project"].create(
            {"name": "Nave Bilbao", "partner_id": sub_a.id, "privacy_visibility": "portal"}
        )
        self.env["account.analytic.line"].create(
            {
                "name": "Replanteo",
                "project_id": project_sub.id,
                "employee_id": self.line_a.employee_id.id,
                "unit_amount": 6.0,
                "date": self.today,
            }
        )
        new_test_user(
            self.env, login="ccs_portal_sub", groups="base.group_portal", name="Iker Portal", password="ccs_portal_sub"
        ).partner_id.parent_id = sub_a
        self.authenticate("ccs_portal_sub", "ccs_portal_sub")
        page = self.url_open("/my/client").text
        self.assertIn("Nave Bilbao", page)
        self.assertIn("06:00", page)
        for parent_text in ("Torre Norte", self.invoice_a.name, "Obra nueva Madrid"):
            self.assertNotIn(parent_text, page)
        csv_text = self.url_open("/my/client/time.csv").text
        self.assertIn("Replanteo", csv_text)
        self.assertNotIn("Planos", csv_text)
        response = self.url_open(f"/my/invoices/{self.invoice_a.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 403, 404))
