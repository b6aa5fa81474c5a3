from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_crm_case import CrmCaseCommon


@tagged("post_install", "-at_install")
class TestCrmCaseReplyTo(CrmCaseCommon):
    """Emails sent from a case ask the client to reply to the case's team alias."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.domain = cls.env["mail.alias.domain"].create({"name": "iberia.example.com"})
        cls.company.alias_domain_id = cls.domain
        cls.team_a.crm_case_alias_name = "soporte"
        # A second company on its own domain, with a team whose case alias has the same name.
        cls.domain_de = cls.env["mail.alias.domain"].create({"name": "dach.example.com"})
        cls.company_de = cls.env["res.company"].create({"name": "Suite GmbH", "alias_domain_id": cls.domain_de.id})
        cls.team_de = cls.env["crm.team"].create(
            {"name": "Team Berlin", "company_id": cls.company_de.id, "crm_case_alias_name": "soporte"}
        )
        cls.client_de = cls.env["res.partner"].create(
            {
                "name": "Ibérica Deutschland GmbH",
                "is_company": True,
                "company_id": cls.company_de.id,
                "user_id": cls.contributor.id,
            }
        )
        cls.contact_de = cls.env["res.partner"].create(
            {"name": "Jonas Weber", "parent_id": cls.client_de.id, "email": "jonas.weber@example.de"}
        )
        cls.contributor.company_ids |= cls.company_de

    def reply(self, case, company=None):
        """The contributor answers on the case; returns the message and the email queued to the contact."""
        # Queued rather than sent at once, so the email can be read back.
        env_case = case.with_user(self.contributor).with_context(mail_notify_force_send=False)
        if company:
            env_case = env_case.with_context(allowed_company_ids=[company.id, self.company.id])
        message = env_case.message_post(
            body="We send a technician tomorrow.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.recipient_ids, case.contact_id, "the client's contact is emailed")
        return message.sudo(), mail

    def test_case_of_a_team_with_a_case_alias_replies_to_it(self):
        case = self.open_case(self.client_a, self.contact_a)
        self.assertEqual(case.team_id, self.team_a)
        message, mail = self.reply(case)
        expected = f'"{self.company.name} {self.team_a.name}" <soporte@iberia.example.com>'
        self.assertEqual(message.reply_to, expected)
        self.assertEqual(mail.reply_to, expected)
        self.assertNotIn(self.company.catchall_email, mail.reply_to)

    def test_case_of_a_team_without_case_alias_keeps_the_catchall(self):
        self.assertFalse(self.team_b.crm_case_alias_id)
        self.client_a.team_id = self.team_b  # the contributor still handles the client
        case = self.open_case(self.client_a, self.contact_a)
        self.assertEqual(case.team_id, self.team_b)
        self.assertTrue(self.company.catchall_email)
        _message, mail = self.reply(case)
        self.assertEqual(mail.reply_to, f'"{self.company.name} {case.name}" <{self.company.catchall_email}>')

    def test_cleared_alias_and_no_team_fall_back_to_the_catchall(self):
        self.team_a.crm_case_alias_name = False
        case = self.open_case(self.client_a, self.contact_a)
        no_team = self.open_case(self.client_a, self.contact_a, team_id=False)
        self.assertFalse(no_team.team_id)
        for record in case | no_team:
            _message, mail = self.reply(record)
            self.assertIn(f"<{self.company.catchall_email}>", mail.reply_to)
            self.assertNotIn("soporte@", mail.reply_to)

    def test_second_company_team_replies_on_its_own_domain(self):
        case = self.open_case(self.client_de, self.contact_de, team_id=self.team_de.id, company_id=self.company_de.id)
        message, mail = self.reply(case, company=self.company_de)
        expected = f'"{self.company_de.name} {self.team_de.name}" <soporte@dach.example.com>'
        self.assertEqual(message.reply_to, expected)
        self.assertEqual(mail.reply_to, expected)

    def test_guest_cannot_post_on_a_case(self):
        case = self.open_case(self.client_a, self.contact_a)
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            case.with_user(self.guest).message_post(
                body="Hola", message_type="comment", subtype_xmlid="mail.mt_comment"
            )

    def test_one_pass_for_many_cases(self):
        cases = self.Case.browse()
        for index in range(6):
            cases |= self.open_case(
                self.client_de if index % 2 else self.client_a,
                self.contact_de if index % 2 else self.contact_a,
                **({"team_id": self.team_de.id, "company_id": self.company_de.id} if index % 2 else {}),
            )
        cases |= self.open_case(self.client_a, self.contact_a, team_id=self.team_b.id)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        # One case of each kind (alias of each company, no alias), then all seven.
        three = (cases[:2] | cases[-1:])._notify_get_reply_to()
        few = self.env.cr.sql_log_count - before
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        reply_to = cases._notify_get_reply_to()
        self.assertLessEqual(self.env.cr.sql_log_count - before, few, "queries do not grow with the cases")
        self.assertEqual(reply_to[cases[0].id], three[cases[0].id])
        self.assertIn("<soporte@iberia.example.com>", reply_to[cases[0].id])
        self.assertIn("<soporte@dach.example.com>", reply_to[cases[1].id])
        self.assertIn(f"<{self.company.catchall_email}>", reply_to[cases[-1].id], "team B has no case alias")

    def test_leads_of_a_team_with_a_case_alias_keep_the_lead_alias(self):
        # Stock takes a team's first alias by model name: "crm.case" would come before "crm.lead".
        self.team_a.alias_name = "ventas"
        self.team_b.alias_name = "ventas-dach"
        lead_a, lead_b = self.deal_contributor, self.deal_b
        self.assertEqual((lead_a.team_id, lead_b.team_id), (self.team_a, self.team_b))
        reply_to = (lead_a | lead_b)._notify_get_reply_to()
        self.assertEqual(reply_to[lead_a.id], f'"{self.company.name} {self.team_a.name}" <ventas@iberia.example.com>')
        self.assertEqual(
            reply_to[lead_b.id], f'"{self.company.name} {self.team_b.name}" <ventas-dach@iberia.example.com>'
        )
        message = lead_a.with_user(self.contributor).message_post(body="Oferta", message_type="comment")
        self.assertEqual(message.sudo().reply_to, reply_to[lead_a.id])
        self.team_a.alias_name = False
        self.assertEqual(
            lead_a._notify_get_reply_to()[lead_a.id],
            f'"{self.company.name} {self.team_a.name}" <{self.company.catchall_email}>',
            "without a lead alias, the catchall as stock gives, never the case alias",
        )
        self.assertEqual(self.env["crm.team"]._notify_get_reply_to(), self.env["mail.thread"]._notify_get_reply_to())
