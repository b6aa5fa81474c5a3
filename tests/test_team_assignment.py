import unittest
import uuid
from unittest.mock import MagicMock, patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CrmClientSuiteCommon, TwoCursorCase

EVENT_MODULE = "odoo.addons.crm_client_suite.models.crm_acquisition_event"


def fake_request(path):
    request = MagicMock()
    request.httprequest.path = path
    return patch(f"{EVENT_MODULE}.request", request)


class AssignmentCommon(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sellers = [
            new_test_user(cls.env, login=f"ccs_seller_{n}", groups="crm_client_suite.group_contributor", name=name)
            for n, name in enumerate(("Ana Vendedora", "Bruno Vendedor", "Carla Vendedora"))
        ]
        cls.ana, cls.bruno, cls.carla = cls.sellers
        cls.Lead = cls.env["crm.lead"]

    def setUp(self):
        super().setUp()
        # A team per test: its round-robin counter is a database sequence,
        # which a test's rollback would not rewind.
        self.team = self.env["crm.team"].create({"name": "Team Web", "crm_assignment_rule": "round_robin"})
        # One membership at a time, so their order is the order of the turns.
        for seller in self.sellers:
            self.team.crm_team_member_ids = [Command.create({"user_id": seller.id})]

    def new_leads(self, count, **vals):
        return self.Lead.create([{"name": f"Web {n}", "team_id": self.team.id, **vals} for n in range(count)])


@tagged("post_install", "-at_install")
class TestRoundRobin(AssignmentCommon):
    def test_turns_go_round_the_members_in_order_across_batches(self):
        first = self.new_leads(4)
        second = self.new_leads(1) | self.new_leads(2)
        self.assertEqual(
            [lead.user_id for lead in first | second],
            [self.ana, self.bruno, self.carla, self.ana, self.bruno, self.carla, self.ana],
        )
        self.assertEqual((first | second).team_id, self.team, "the team stays the lead's")

    def test_members_skipping_auto_assignment_take_no_turn(self):
        self.team.crm_team_member_ids.filtered(lambda m: m.user_id == self.bruno).assignment_optout = True
        self.assertEqual([lead.user_id for lead in self.new_leads(3)], [self.ana, self.carla, self.ana])

    def test_an_explicit_salesperson_is_kept(self):
        lead = self.Lead.create({"name": "Para Carla", "team_id": self.team.id, "user_id": self.carla.id})
        self.assertEqual(lead.user_id, self.carla)
        # ... and takes no turn.
        self.assertEqual(self.new_leads(1).user_id, self.ana)

    def test_by_hand_the_creator_stays_unless_emptied(self):
        with fake_request("/web/dataset/call_kw/crm.lead/web_save"):
            kept = self.Lead.with_user(self.admin_user).create({"name": "A mano", "team_id": self.team.id})
            emptied = self.Lead.create({"name": "Sin comercial", "team_id": self.team.id, "user_id": False})
        self.assertEqual((kept.user_id, emptied.user_id), (self.admin_user, self.ana))

    def test_teams_without_a_rule_are_left_alone(self):
        self.team.crm_assignment_rule = "none"
        self.assertFalse(self.new_leads(2, user_id=False).user_id)

    def test_email_alias_lead_is_assigned_and_its_event_names_the_assignee(self):
        raw = (
            "From: Eva Cliente <eva@cliente.example.com>\r\n"
            "To: web@example.com\r\n"
            "Subject: Presupuesto\r\n"
            "Message-ID: <assign-1@example.com>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hola\r\n"
        )
        lead_id = self.env["mail.thread"].message_process("crm.lead", raw, custom_values={"team_id": self.team.id})
        event = self.env["crm.acquisition.event"].search([("lead_id", "=", lead_id)])
        self.assertEqual((event.entry_point, event.user_id, event.team_id), ("email_alias", self.ana, self.team))

    def test_the_assignee_is_told_at_once_when_they_wish(self):
        self.bruno.crm_acquisition_notify = "immediate"
        self.new_leads(2)
        inbox = self.env["mail.message"].search(
            [("partner_ids", "in", self.bruno.partner_id.ids), ("subject", "=", "New leads and contacts")]
        )
        self.assertEqual(len(inbox), 1)
        self.assertIn("Web 1", inbox.body)
        self.assertNotIn("Web 0", inbox.body, "Ana's lead is not Bruno's news")


@tagged("post_install", "-at_install")
class TestAssignmentRules(AssignmentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spain = cls.env.ref("base.es")
        cls.germany = cls.env.ref("base.de")
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.fair = cls.env["utm.source"].create({"name": "Feria"})
        cls.construction = cls.env["res.partner.industry"].create({"name": "Construcción"})

    def configure(self, rule, line_vals, fallback="round_robin"):
        self.team.write(
            {
                "crm_assignment_rule": rule,
                "crm_assignment_fallback": fallback,
                "crm_assignment_line_ids": [Command.clear(), Command.create({**line_vals, "user_id": self.carla.id})],
            }
        )

    def test_each_rule_maps_its_value_to_a_member(self):
        spanish = self.env["res.lang"]._lang_get("es_ES")
        self.english = self.env.ref("base.lang_en")
        cases = {
            "country": ({"country_id": self.spain.id}, {"country_id": self.spain.id}, {"country_id": self.germany.id}),
            "source": ({"source_id": self.fair.id}, {"source_id": self.fair.id}, {}),
            "language": (
                {"lang_id": spanish.id},
                {"lang_id": spanish.id},
                {"lang_id": self.env.ref("base.lang_en").id},
            ),
            "industry": (
                {"industry_id": self.construction.id},
                {"crm_industry_id": self.construction.id},
                {},
            ),
            "priority": ({"priority": "3"}, {"priority": "3"}, {"priority": "1"}),
        }
        for rule, (line_vals, matching, other) in cases.items():
            with self.subTest(rule=rule):
                self.configure(rule, line_vals)
                match = self.Lead.create({"name": "Sí", "team_id": self.team.id, **matching})
                miss = self.Lead.create({"name": "No", "team_id": self.team.id, **other})
                self.assertEqual(match.user_id, self.carla)
                self.assertIn(miss.user_id, self.team.member_ids, "no line matches: round robin")
                self.assertEqual(
                    self.env["crm.acquisition.event"].search([("lead_id", "=", match.id)]).user_id, self.carla
                )

    def test_first_matching_line_wins(self):
        self.configure("country", {"country_id": self.spain.id, "sequence": 20})
        self.team.crm_assignment_line_ids = [
            Command.create({"country_id": self.spain.id, "user_id": self.bruno.id, "sequence": 5})
        ]
        self.assertEqual(self.new_leads(1, country_id=self.spain.id).user_id, self.bruno)

    def test_no_match_falls_back_to_round_robin_or_stays_unassigned(self):
        self.configure("source", {"source_id": self.fair.id})
        self.assertEqual([lead.user_id for lead in self.new_leads(2)], [self.ana, self.bruno])
        self.team.crm_assignment_fallback = "none"
        self.assertFalse(self.new_leads(2).user_id)
        self.assertEqual(self.new_leads(1, source_id=self.fair.id).user_id, self.carla)

    def test_the_web_form_language_assigns(self):
        self.configure("language", {"lang_id": self.env["res.lang"]._lang_get("es_ES").id})
        form = self.env["crm.contact.form"].create({"name": "Contacto", "team_id": self.team.id})
        lead = form.with_context(lang="es_ES")._crm_create_lead(
            {"name": "Ana", "email": "ana@nueva.example.com", "message": "Hola"}
        )
        self.assertEqual((lead.lang_id.code, lead.user_id), ("es_ES", self.carla))
        lead = form.with_context(lang="en_US")._crm_create_lead({"name": "Tom", "email": "tom@new.example.com"})
        self.assertEqual(lead.user_id, self.ana, "English: no line, round robin")

    def test_bad_lines_are_refused(self):
        self.configure("country", {"country_id": self.spain.id})
        with self.assertRaisesRegex(ValidationError, "Ccs Guest is not a member of team Team Web"):
            self.team.crm_assignment_line_ids = [
                Command.create({"country_id": self.spain.id, "user_id": self.guest.id})
            ]
        with self.assertRaisesRegex(ValidationError, "needs a value for the rule “By Source”"):
            self.configure("source", {"country_id": self.spain.id})

    def test_only_sales_administrators_configure_the_lines(self):
        with self.assertRefusedByAccessRights("create", "crm.team.assignment.line"):
            self.env["crm.team.assignment.line"].with_user(self.manager).create(
                {"team_id": self.team.id, "country_id": self.spain.id, "user_id": self.ana.id}
            )
        self.team.with_user(self.admin_user).write(
            {
                "crm_assignment_rule": "country",
                "crm_assignment_line_ids": [Command.create({"country_id": self.spain.id, "user_id": self.ana.id})],
            }
        )
        self.assertEqual(self.team.crm_assignment_line_ids.user_id, self.ana)


@tagged("post_install", "-at_install")
class TestWebsiteFormEntryPoint(AssignmentCommon):
    """website_crm's forms post to the Website app's /website/form/<model>,
    which creates the lead as superuser with its own user_id (the website's
    default salesperson, or none). Without installing the Website app, the
    same call under that route."""

    def test_website_form_is_a_web_form_entry_and_assigned_by_the_team(self):
        with fake_request("/website/form/crm.lead"):
            lead = (
                self.Lead.with_user(self.env.ref("base.user_root"))
                .with_context(mail_create_nosubscribe=True)
                .create({"name": "Website", "team_id": self.team.id, "user_id": False, "email_from": "w@x.example.com"})
            )
        event = self.env["crm.acquisition.event"].search([("lead_id", "=", lead.id)])
        self.assertEqual((event.entry_point, event.user_id), ("web_form", self.ana))

    def test_other_website_routes_stay_manual(self):
        with fake_request("/website/forms-list"):
            lead = self.Lead.create({"name": "Otro", "user_id": self.admin_user.id})
        self.assertEqual(self.env["crm.acquisition.event"].search([("lead_id", "=", lead.id)]).entry_point, "manual")


@tagged("post_install", "-at_install")
class TestWebsiteCrmForm(HttpCase):
    """The real website_crm form, where the Website app is installed."""

    def test_website_crm_form_records_a_web_form_event(self):
        if not self.env["ir.module.module"].search_count([("name", "=", "website_crm"), ("state", "=", "installed")]):
            raise unittest.SkipTest(
                "website_crm is not installed: the route detection is tested without it "
                "(run this in a database with it: see readme/CONFIGURE.md)"
            )
        self.env["ir.model"]._get("crm.lead").website_form_access = True
        self.url_open("/contactus")  # a website session
        response = self.url_open(
            "/website/form/crm.lead",
            data={"contact_name": "Web Visitor", "email_from": "visitor@web.example.com", "name": "Website lead"},
        )
        self.assertEqual(response.status_code, 200)
        lead = self.env["crm.lead"].search([("email_from", "=", "visitor@web.example.com")])
        event = self.env["crm.acquisition.event"].search([("lead_id", "=", lead.id)])
        self.assertEqual(event.entry_point, "web_form")


@tagged("post_install", "-at_install")
class TestRoundRobinConcurrency(TwoCursorCase):
    """Two leads created at once in two transactions: the second does not
    see the first (REPEATABLE READ) yet takes the next turn, and neither
    waits for the other."""

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.committed_env() as env:
            users = env["res.users"].create([{"name": f"Seller {n}", "login": f"ccs_rr_{tag}_{n}"} for n in range(2)])
            team = env["crm.team"].create({"name": f"Team RR {tag}", "crm_assignment_rule": "round_robin"})
            for user in users:
                team.crm_team_member_ids = [Command.create({"user_id": user.id})]
            self.user_ids, self.team_id = users.ids, team.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["crm.lead"].with_context(active_test=False).search([("team_id", "=", self.team_id)]).unlink()
            team = env["crm.team"].browse(self.team_id)
            sequence = team.crm_assignment_sequence_id
            team.unlink()
            self.assertFalse(sequence.exists(), "the team's counter goes with it")
            env["res.users"].browse(self.user_ids).unlink()

    def test_two_transactions_at_once_take_different_turns(self):
        with self.committed_env() as env1, self.committed_env() as env2:
            first = env1["crm.lead"].create({"name": "Uno", "team_id": self.team_id})
            second = env2["crm.lead"].create({"name": "Dos", "team_id": self.team_id})
            self.assertFalse(env2["crm.lead"].search([("id", "=", first.id)]), "the second cannot see the first")
            users = {first.user_id.id, second.user_id.id}
        self.assertEqual(users, set(self.user_ids), "one lead each")


@tagged("post_install", "-at_install")
class TestProspectAssignment(AssignmentCommon):
    """Prospects are assignable by source, industry and priority, by the
    same team rules as new leads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.construction = cls.env["res.partner.industry"].create({"name": "Construcción"})
        cls.retail = cls.env["res.partner.industry"].create({"name": "Comercio"})

    def setUp(self):
        super().setUp()
        self.team.write(
            {
                "crm_assignment_rule": "industry",
                "crm_assignment_fallback": "none",
                "crm_assignment_line_ids": [
                    Command.create({"industry_id": self.construction.id, "user_id": self.carla.id})
                ],
            }
        )

    def prospect(self, name, **vals):
        return self.env["res.partner"].create(
            {"name": name, "is_company": True, "crm_client_type": "prospect", "team_id": self.team.id, **vals}
        )

    def test_a_clients_industry_assigns_its_new_lead(self):
        client = self.prospect("Obras del Norte S.L.", industry_id=self.construction.id)
        lead = self.Lead.create({"name": "Nave", "partner_id": client.id, "team_id": self.team.id})
        self.assertEqual((lead.crm_industry_id, lead.user_id), (self.construction, self.carla))

    def test_managers_assign_selected_prospects_by_the_team_rule(self):
        builder = self.prospect("Obras del Norte S.L.", industry_id=self.construction.id)
        shop = self.prospect("Tienda Sur S.L.", industry_id=self.retail.id)
        elsewhere = self.prospect("Sin equipo S.L.", industry_id=self.construction.id, team_id=False)
        prospects = (builder | shop | elsewhere).with_user(self.manager)
        result = prospects.action_crm_assign_by_team_rule()
        self.assertEqual(
            (builder.user_id, shop.user_id, elsewhere.user_id),
            (self.carla, self.env["res.users"], self.env["res.users"]),
        )
        self.assertIn("1 of 3 clients and contacts", result["params"]["message"])

    def test_prospects_by_priority_and_by_source(self):
        fair = self.env["utm.source"].create({"name": "Feria"})
        cases = {
            "priority": ({"priority": "3"}, {"crm_priority": "3"}, {"crm_priority": "1"}),
            "source": ({"source_id": fair.id}, {"source_id": fair.id}, {}),
        }
        for rule, (line_vals, matching, other) in cases.items():
            with self.subTest(rule=rule):
                self.team.write(
                    {
                        "crm_assignment_rule": rule,
                        "crm_assignment_line_ids": [
                            Command.clear(),
                            Command.create({**line_vals, "user_id": self.bruno.id}),
                        ],
                    }
                )
                match, miss = self.prospect("Sí S.L.", **matching), self.prospect("No S.L.", **other)
                (match | miss).action_crm_assign_by_team_rule()
                self.assertEqual((match.user_id, miss.user_id), (self.bruno, self.env["res.users"]))
