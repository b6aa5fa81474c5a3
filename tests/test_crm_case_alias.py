from datetime import timedelta

from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .test_crm_case import RAW_EMAIL, CrmCaseCommon


@tagged("post_install", "-at_install")
class TestCrmCaseTeamAlias(CrmCaseCommon):
    """Each team's own address for after-sales cases (crm.team.crm_case_alias_*)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.domain = cls.env["mail.alias.domain"].create({"name": "iberia.example.com"})
        cls.company.alias_domain_id = cls.domain
        # Admins configure the teams: the address is set through the team's form.
        with Form(cls.team_a.with_user(cls.admin_user)) as form:
            form.crm_case_alias_name = "Soporte Iberia"
        with Form(cls.team_b.with_user(cls.admin_user)) as form:
            form.crm_case_alias_name = "service-dach"

    def receive(self, to, sender, subject="Grúa parada", message_id="alias-case"):
        raw = RAW_EMAIL.format(sender=sender, to=to, subject=subject, message_id=message_id)
        return self.Case.browse(self.env["mail.thread"].message_process(False, raw))

    def test_team_form_sets_an_alias_that_creates_cases_in_the_team(self):
        alias = self.team_a.crm_case_alias_id
        self.assertEqual(alias.alias_name, "soporte-iberia", "sanitized as stock aliases are")
        self.assertEqual(alias.alias_model_id.model, "crm.case")
        self.assertEqual(alias.alias_parent_model_id.model, "crm.team")
        self.assertEqual(alias.alias_parent_thread_id, self.team_a.id)
        self.assertEqual(alias.alias_domain_id, self.domain)
        self.assertEqual(self.team_a.crm_case_alias_email, "soporte-iberia@iberia.example.com")
        self.assertNotEqual(alias, self.team_a.alias_id, "the team's lead alias stays its own")
        case = self.receive("soporte-iberia@iberia.example.com", self.contact_a.email)
        self.assertEqual(case._name, "crm.case")
        self.assertEqual(case.team_id, self.team_a)
        self.assertEqual(case.partner_id, self.client_a, "the client comes from the sender")
        self.assertEqual(case.contact_id, self.contact_a)
        self.assertEqual(case.company_id, self.company)
        self.assertEqual(case.sla_response_deadline, case.date_open + timedelta(hours=8))

    def test_the_alias_team_wins_over_the_clients_team(self):
        case = self.receive("service-dach@iberia.example.com", self.contact_a.email)
        self.assertEqual(case.team_id, self.team_b, "written to team B's address, the case is team B's")
        self.assertEqual(case.partner_id, self.client_a)
        self.assertEqual(
            self.visible(self.manager_b, case), case, "team B's manager handles what reaches team B's address"
        )

    def test_unknown_sender_waits_in_the_team_for_triage(self):
        case = self.receive("soporte-iberia@iberia.example.com", "stranger@nowhere.example.com", subject="Hola")
        self.assertEqual(case.team_id, self.team_a)
        self.assertFalse(case.partner_id)
        self.assertFalse(case.contact_id)
        self.assertEqual(case.email_from, "stranger@nowhere.example.com")
        self.assertEqual(self.visible(self.manager, case), case, "the team's manager triages it")
        self.assertFalse(self.visible(self.manager_b, case), "another team's manager does not see it")
        self.assertFalse(self.visible(self.contributor, case), "nor a contributor before a client is set")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_known_senders_only_refuses_strangers(self):
        with Form(self.team_a.with_user(self.admin_user)) as form:
            form.crm_case_alias_contact = "partners"
        self.assertEqual(self.team_a.crm_case_alias_id.alias_contact, "partners")
        before = self.Case.search_count([])
        self.receive("soporte-iberia@iberia.example.com", "stranger@nowhere.example.com", message_id="refused")
        self.assertEqual(self.Case.search_count([]), before, "a stranger's email opens no case")
        case = self.receive("soporte-iberia@iberia.example.com", self.contact_a.email, message_id="accepted")
        self.assertEqual(case.partner_id, self.client_a)

    def test_renaming_clearing_and_deleting_the_team_keep_one_alias(self):
        alias = self.team_a.crm_case_alias_id
        self.team_a.with_user(self.admin_user).crm_case_alias_name = "casos"
        self.assertEqual(self.team_a.crm_case_alias_id, alias, "renamed, not replaced")
        self.assertEqual(alias.alias_name, "casos")
        self.team_a.with_user(self.admin_user).crm_case_alias_name = False
        self.assertFalse(alias.alias_name, "cleared: the address no longer receives")
        self.assertFalse(self.team_a.crm_case_alias_email)
        team = self.env["crm.team"].create({"name": "Team Nordics", "crm_case_alias_name": "nordics"})
        nordic_alias = team.crm_case_alias_id
        self.assertFalse(team.company_id)
        self.assertEqual(nordic_alias.alias_defaults, repr({"team_id": team.id}), "the client's company decides")
        team.unlink()
        self.assertFalse(nordic_alias.exists(), "the team's alias goes with it")

    def test_only_those_who_configure_teams_set_the_alias(self):
        with mute_logger("odoo.models"), self.assertRefusedByAccessRights("write", "crm.team"):
            self.team_a.with_user(self.manager).crm_case_alias_name = "mine"
        self.assertEqual(self.team_a.crm_case_alias_id.alias_name, "soporte-iberia")


@tagged("post_install", "-at_install")
class TestCrmCaseTeamAliasCompanies(CrmCaseCommon):
    """A team of a second company: its alias, its contacts and its SLA."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.domain = cls.env["mail.alias.domain"].create({"name": "iberia.example.com"})
        cls.company.alias_domain_id = cls.domain
        cls.domain_de = cls.env["mail.alias.domain"].create({"name": "dach.example.com"})
        cls.company_de = cls.env["res.company"].create({"name": "Suite GmbH", "alias_domain_id": cls.domain_de.id})
        cls.env["crm.case.sla"].create(
            {"company_id": cls.company_de.id, "priority": "1", "response_hours": 2, "resolution_hours": 10}
        )
        (cls.client_a | cls.contact_a | cls.contact_a_other).company_id = cls.company
        cls.team_de = cls.env["crm.team"].create(
            {"name": "Team Berlin", "company_id": cls.company_de.id, "crm_case_alias_name": "service"}
        )
        cls.team_a.crm_case_alias_name = "service"
        # The same person is a contact of a client in each company.
        cls.client_de = cls.env["res.partner"].create(
            {"name": "Ibérica Deutschland GmbH", "is_company": True, "company_id": cls.company_de.id}
        )
        cls.contact_de = cls.env["res.partner"].create(
            {
                "name": "Lucía Fernández",
                "parent_id": cls.client_de.id,
                "company_id": cls.company_de.id,
                "email": cls.contact_a.email,
            }
        )

    def receive(self, to, sender, message_id):
        raw = RAW_EMAIL.format(sender=sender, to=to, subject="Kran steht", message_id=message_id)
        return self.Case.browse(self.env["mail.thread"].message_process(False, raw))

    def test_same_name_on_each_company_domain(self):
        self.assertEqual(self.team_de.crm_case_alias_id.alias_domain_id, self.domain_de)
        self.assertEqual(self.team_a.crm_case_alias_id.alias_domain_id, self.domain)
        self.assertEqual(self.team_de.crm_case_alias_email, "service@dach.example.com")

    def test_sender_is_found_among_the_teams_company_contacts(self):
        case_de = self.receive("service@dach.example.com", self.contact_a.email, "de")
        self.assertEqual(case_de.company_id, self.company_de)
        self.assertEqual(case_de.team_id, self.team_de)
        self.assertEqual(case_de.contact_id, self.contact_de, "the contact of the second company")
        self.assertEqual(case_de.partner_id, self.client_de)
        self.assertEqual(case_de.sla_response_deadline, case_de.date_open + timedelta(hours=2), "its company's SLA")
        case_es = self.receive("service@iberia.example.com", self.contact_a.email, "es")
        self.assertEqual(
            (case_es.company_id, case_es.team_id, case_es.partner_id), (self.company, self.team_a, self.client_a)
        )
        self.assertEqual(case_es.sla_response_deadline, case_es.date_open + timedelta(hours=8))

    def test_contact_of_another_company_only_is_no_client_here(self):
        case = self.receive("service@dach.example.com", self.contact_a_other.email, "other")
        self.assertEqual(case.company_id, self.company_de)
        self.assertFalse(case.partner_id, "the first company's client is not used in the second")
        self.assertFalse(case.contact_id)
        self.assertEqual(case.email_from, self.contact_a_other.email)

    def test_moving_the_team_moves_its_alias(self):
        self.team_de.crm_case_alias_name = "berlin"
        self.team_de.company_id = self.company
        alias = self.team_de.crm_case_alias_id
        self.assertEqual(alias.alias_domain_id, self.domain)
        self.assertEqual(alias.alias_defaults, repr({"team_id": self.team_de.id, "company_id": self.company.id}))
        case = self.receive("berlin@iberia.example.com", self.contact_a.email, "moved")
        self.assertEqual((case.company_id, case.partner_id), (self.company, self.client_a))
