import re
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

OPENED = datetime(2026, 11, 23, 9, 0, 0)  # a Monday morning

RAW_EMAIL = """Return-Path: <{sender}>
To: {to}
From: {sender}
Subject: {subject}
Message-ID: <{message_id}@example.com>
Date: Mon, 23 Nov 2026 09:00:00 +0000
Content-Type: text/plain; charset=utf-8

The crane on site 2 stopped working this morning.
"""


class CrmCaseCommon(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Case = cls.env["crm.case"]
        cls.sla_normal = cls.env["crm.case.sla"].search(
            [("company_id", "=", cls.company.id), ("priority", "=", "1")]
        ) or cls.env["crm.case.sla"].create({"priority": "1", "response_hours": 8, "resolution_hours": 40})
        cls.sla_normal.write({"response_hours": 8, "resolution_hours": 40})

    @classmethod
    def open_case(cls, client, contact, **values):
        with freeze_time(OPENED):
            return cls.Case.create(
                {"name": "Grúa parada", "partner_id": client.id, "contact_id": contact.id, "case_type": "incident"}
                | values
            )


@tagged("post_install", "-at_install")
class TestCrmCase(CrmCaseCommon):
    def test_contributor_opens_case_for_own_client_with_sla_targets(self):
        with freeze_time(OPENED):
            case = (
                self.Case.with_user(self.contributor)
                .create({"name": "Grieta en fachada", "contact_id": self.contact_a.id, "case_type": "claim"})
                .sudo()
            )
        self.assertEqual(case.partner_id, self.client_a, "the contact's client")
        self.assertEqual(case.team_id, self.team_a, "the client's team")
        self.assertEqual(case.email_from, self.contact_a.email)
        self.assertEqual(case.sla_response_deadline, OPENED + timedelta(hours=8))
        self.assertEqual(case.sla_resolution_deadline, OPENED + timedelta(hours=40))
        self.assertEqual(case.sla_response_state, "running")
        self.assertIn(self.contact_a, case.message_partner_ids, "the contact follows its case")

    def test_higher_priority_has_its_own_targets(self):
        self.env["crm.case.sla"].search([("company_id", "=", self.company.id), ("priority", "=", "3")]).unlink()
        self.env["crm.case.sla"].create({"priority": "3", "response_hours": 1, "resolution_hours": 4})
        case = self.open_case(self.client_a, self.contact_a, priority="3")
        self.assertEqual(case.sla_response_deadline, OPENED + timedelta(hours=1))
        case.priority = "1"
        self.assertEqual(case.sla_response_deadline, OPENED + timedelta(hours=8))

    def test_sla_targets_are_validated(self):
        with self.assertRaisesRegex(ValidationError, "resolution time at least as long"):
            self.sla_normal.resolution_hours = 2

    def test_first_reply_of_the_team_sets_the_response_time(self):
        case = self.open_case(self.client_a, self.contact_a)
        with freeze_time(OPENED + timedelta(hours=2)):
            case.with_user(self.contributor).message_post(body="Internal check", subtype_xmlid="mail.mt_note")
            case.message_post(
                body="From the client",
                author_id=self.contact_a.id,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertFalse(case.date_first_response, "neither an internal note nor the client's message")
        with freeze_time(OPENED + timedelta(hours=3)):
            case.with_user(self.contributor).message_post(
                body="We send a technician", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(case.date_first_response, OPENED + timedelta(hours=3))
        self.assertAlmostEqual(case.response_hours, 3.0)
        self.assertEqual(case.sla_response_state, "met")
        with freeze_time(OPENED + timedelta(hours=20)):
            case.with_user(self.contributor).message_post(
                body="Second answer", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(case.date_first_response, OPENED + timedelta(hours=3), "only the first reply counts")

    def test_late_reply_misses_the_sla(self):
        case = self.open_case(self.client_a, self.contact_a)
        with freeze_time(OPENED + timedelta(hours=9)):
            case.with_user(self.contributor).message_post(
                body="Sorry for the delay", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(case.sla_response_state, "missed")

    def test_solving_asks_for_satisfaction_and_records_the_rating(self):
        case = self.open_case(self.client_a, self.contact_a, user_id=self.contributor.id)
        with freeze_time(OPENED + timedelta(hours=50)):
            case.with_user(self.contributor).action_crm_close()
        self.assertEqual(case.stage, "done")
        self.assertEqual(case.date_closed, OPENED + timedelta(hours=50))
        self.assertAlmostEqual(case.resolution_hours, 50.0)
        self.assertEqual(case.sla_resolution_state, "missed")
        rating = self.env["rating.rating"].search([("res_model", "=", "crm.case"), ("res_id", "=", case.id)])
        self.assertEqual(rating.partner_id, self.contact_a)
        request = case.message_ids.filtered(lambda m: rating.access_token in (m.body or ""))
        self.assertEqual(request.partner_ids, self.contact_a, "the request goes to the contact")
        case.rating_apply(5, token=rating.access_token)
        self.assertEqual(case.rating_last_value, 5)
        # Reopening clears the closing; closing again does not ask twice in a row of the same state.
        case.stage = "in_progress"
        self.assertFalse(case.date_closed)
        self.assertEqual(case.sla_resolution_state, "running")

    def test_cancelled_case_asks_no_rating(self):
        case = self.open_case(self.client_a, self.contact_a)
        case.stage = "cancel"
        self.assertTrue(case.date_closed)
        self.assertFalse(self.env["rating.rating"].search([("res_model", "=", "crm.case"), ("res_id", "=", case.id)]))

    def test_email_to_the_alias_opens_a_case_for_the_senders_client(self):
        domain = self.env["mail.alias.domain"].create({"name": "cases.example.com"})
        alias = self.env.ref("crm_client_suite.mail_alias_crm_case")
        alias.alias_domain_id = domain
        raw = RAW_EMAIL.format(
            sender=self.contact_a.email, to="cases@cases.example.com", subject="Grúa parada", message_id="case1"
        )
        case_id = self.env["mail.thread"].message_process(False, raw)
        case = self.Case.browse(case_id)
        self.assertEqual(case._name, "crm.case")
        self.assertEqual(case.name, "Grúa parada")
        self.assertEqual(case.contact_id, self.contact_a)
        self.assertEqual(case.partner_id, self.client_a)
        self.assertEqual(case.team_id, self.team_a)
        self.assertIn("crane on site 2", case.message_ids[-1].body)
        unknown = RAW_EMAIL.format(
            sender="stranger@nowhere.example.com", to="cases@cases.example.com", subject="Hello", message_id="case2"
        )
        stranger_case = self.Case.browse(self.env["mail.thread"].message_process(False, unknown))
        self.assertFalse(stranger_case.partner_id, "an unknown sender's case waits for the team to set its client")
        self.assertEqual(stranger_case.email_from, "stranger@nowhere.example.com")

    def test_report_groups_by_client_type_and_month(self):
        first = self.open_case(self.client_a, self.contact_a)
        second = self.open_case(self.client_a, self.contact_a_other)
        self.open_case(self.client_b, self.contact_b, case_type="request")
        with freeze_time(OPENED + timedelta(hours=2)):
            first.message_post(
                body="On it",
                author_id=self.contributor.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with freeze_time(OPENED + timedelta(hours=4)):
            second.message_post(
                body="On it",
                author_id=self.manager.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        groups = self.Case._read_group(
            [("partner_id", "in", (self.client_a | self.client_b).ids)],
            ["partner_id", "case_type", "date_open:month"],
            ["__count", "response_hours:avg"],
        )
        by_key = {(partner, kind, (month.year, month.month)): (n, avg) for partner, kind, month, n, avg in groups}
        self.assertEqual(by_key[(self.client_a, "incident", (2026, 11))], (2, 3.0))
        self.assertEqual(by_key[(self.client_b, "request", (2026, 11))], (1, 0.0))
        self.assertEqual(len(groups), 2)

    def test_cases_feed_the_client_timeline(self):
        case_a = self.open_case(self.client_a, self.contact_a)
        case_b = self.open_case(self.client_b, self.contact_b)
        entries = self.env["crm.timeline"].with_user(self.admin_user).get_page(self.client_a.id)["entries"]
        cases = [e for e in entries if e["source_model"] == "crm.case"]
        self.assertEqual([e["source_id"] for e in cases], case_a.ids)
        self.assertEqual(cases[0]["type"], "ticket")
        self.assertEqual(cases[0]["title"], "Grúa parada")
        self.assertNotIn(case_b.id, [e["source_id"] for e in cases])


@tagged("post_install", "-at_install")
class TestCrmCaseAccess(CrmCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.case_a = cls.open_case(cls.client_a, cls.contact_a)
        cls.case_b = cls.open_case(cls.client_b, cls.contact_b)
        cls.case_unassigned = cls.Case.create({"name": "From an unknown sender", "email_from": "x@example.com"})

    def test_guest_reaches_no_case(self):
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("read", "crm.case"):
            self.Case.with_user(self.guest).search([])
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("create", "crm.case"):
            self.Case.with_user(self.guest).create({"name": "x", "partner_id": self.client_a.id})

    def test_contributor_sees_the_cases_of_its_clients(self):
        self.assertEqual(self.visible(self.contributor, self.case_a | self.case_b | self.case_unassigned), self.case_a)
        with mute_logger("odoo.models"), self.assertRefusedByRecordRules("read", "crm.case"):
            self.case_b.with_user(self.contributor).read(["name"])
        with mute_logger("odoo.models"), self.assertRefusedByRecordRules("create", "crm.case"):
            self.Case.with_user(self.contributor).create({"name": "Not mine", "partner_id": self.client_b.id})
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("unlink", "crm.case"):
            self.case_a.with_user(self.contributor).unlink()
        # Assigned to them, a case of another client shows too.
        self.case_b.user_id = self.contributor
        self.assertEqual(self.visible(self.contributor, self.case_a | self.case_b), self.case_a | self.case_b)

    def test_manager_sees_the_team_and_the_cases_to_triage(self):
        self.assertEqual(
            self.visible(self.manager, self.case_a | self.case_b | self.case_unassigned),
            self.case_a | self.case_unassigned,
        )
        self.case_unassigned.with_user(self.manager).write({"partner_id": self.client_a.id})
        self.assertEqual(self.case_unassigned.team_id, self.team_a)

    def test_admin_manages_every_case_and_the_sla(self):
        self.assertEqual(
            self.visible(self.admin_user, self.case_a | self.case_b | self.case_unassigned),
            self.case_a | self.case_b | self.case_unassigned,
        )
        self.env["crm.case.sla"].with_user(self.admin_user).search([("priority", "=", "1")]).response_hours = 6
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("write", "crm.case.sla"):
            self.sla_normal.with_user(self.manager).response_hours = 2
        self.case_b.with_user(self.admin_user).unlink()
        self.assertFalse(self.case_b.exists())

    def test_portal_rpc_stays_within_its_client(self):
        env = self.env(user=self.portal_user)
        self.assertEqual(env["crm.case"].search([]).ids, self.case_a.ids)
        with mute_logger("odoo.models"), self.assertRefusedByRecordRules("read", "crm.case"):
            self.case_b.with_env(env).read(["name"])
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("create", "crm.case"):
            env["crm.case"].create({"name": "Through RPC", "partner_id": self.client_a.id})
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("write", "crm.case"):
            self.case_a.with_env(env).write({"stage": "done"})


@tagged("post_install", "-at_install")
class TestCrmCasePortal(CrmCaseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user.password = "ccs_portal"
        cls.portal_user_b = new_test_user(
            cls.env, login="ccs_portal_b", groups="base.group_portal", name="Jonas Portal", password="ccs_portal_b"
        )
        cls.portal_user_b.partner_id.parent_id = cls.client_b
        cls.case_a = cls.open_case(cls.client_a, cls.contact_a, name="Fisura en muro")
        cls.case_b = cls.open_case(cls.client_b, cls.contact_b, name="Riss in der Wand")

    def post_case(self, **data):
        return self.url_open(
            "/my/client/cases",
            data={"csrf_token": self.csrf_token(), "case_type": "request", "priority": "1", **data},
            allow_redirects=False,
        )

    def csrf_token(self):
        """The CSRF token of the session, as the client home's form carries it."""
        page = self.url_open("/my/client").text
        return re.search(r'name="csrf_token" value="([^"]+)"|csrf_token: "([^"]+)"', page).group(1, 2)[0] or (
            re.search(r'csrf_token: "([^"]+)"', page).group(1)
        )

    def test_client_home_lists_only_its_open_cases(self):
        self.authenticate("ccs_portal", "ccs_portal")
        page = self.url_open("/my/client").text
        self.assertIn("Fisura en muro", page)
        self.assertIn(self.case_a.access_url, page)
        self.assertNotIn("Riss in der Wand", page)
        self.assertIn('name="csrf_token"', page)
        self.assertEqual(self.url_open(self.case_a.access_url, allow_redirects=False).status_code, 200)
        response = self.url_open(self.case_b.access_url, allow_redirects=False)
        self.assertEqual(response.status_code, 303, "the other client's case by guessed id")
        self.assertNotIn("Riss in der Wand", self.url_open(self.case_b.access_url).text)

    def test_portal_form_opens_a_case_for_its_own_client_only(self):
        self.authenticate("ccs_portal", "ccs_portal")
        response = self.post_case(
            name="Puerta rota", description="La puerta\nno cierra", partner_id=self.client_b.id, case_type="claim"
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("case_created=1", response.headers["Location"])
        case = self.Case.search([("name", "=", "Puerta rota")])
        self.assertEqual(case.partner_id, self.client_a, "the client comes from the user, not from the form")
        self.assertEqual(case.contact_id, self.portal_user.partner_id)
        self.assertEqual(case.case_type, "claim")
        self.assertEqual(case.team_id, self.team_a)
        self.assertIn("no cierra", case.description)
        self.assertIn("Puerta rota", self.url_open("/my/client").text)
        # B's contact never sees it.
        self.authenticate("ccs_portal_b", "ccs_portal_b")
        self.assertNotIn("Puerta rota", self.url_open("/my/client").text)

    def test_portal_form_refuses_bad_input_and_missing_csrf(self):
        self.authenticate("ccs_portal", "ccs_portal")
        before = self.Case.search_count([])
        response = self.post_case(name="   ")
        self.assertIn("case_error=subject", response.headers["Location"])
        self.assertIn("Enter a subject for your case.", self.url_open(response.headers["Location"]).text)
        response = self.post_case(name="x" * 201)
        self.assertIn("case_error=subject_length", response.headers["Location"])
        response = self.post_case(name="Tipo raro", case_type="complaint")
        self.assertIn("case_error=type", response.headers["Location"])
        response = self.post_case(name="Prioridad rara", priority="9")
        self.assertIn("case_error=priority", response.headers["Location"])
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/my/client/cases", data={"name": "Sin token", "case_type": "request"}, allow_redirects=False
            )
        self.assertEqual(response.status_code, 400, "no CSRF token, no case")
        self.assertEqual(self.Case.search_count([]), before)

    def test_internal_user_gets_no_client_case_form(self):
        self.authenticate("ccs_contributor", "ccs_contributor")
        response = self.post_case(name="Interno")
        self.assertEqual(response.headers["Location"].rsplit("/", 1)[-1], "my")
        self.assertFalse(self.Case.search([("name", "=", "Interno")]))
