from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule", "odoo.sql_db")


@tagged("post_install", "-at_install")
class TestCustomFields(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Definition = cls.env["crm.custom.field"].with_user(cls.admin_user)
        cls.purpose = cls.env["crm.custom.field.group"].with_user(cls.admin_user).create({"name": "Compliance"})
        cls.badge = cls.Definition.create(
            {
                "name": "Badge Number",
                "key": "badge_number",
                "model": "res.partner",
                "applies_to": "contacts",
                "field_type": "char",
                "regex": r"[A-Z]{2}-\d{4}",
                "regex_message": "Use two capitals, a dash and four digits, e.g. AB-1234.",
                "unique": True,
                "group_id": cls.purpose.id,
            }
        )

    def test_definition_creates_real_stored_field(self):
        field = self.env["ir.model.fields"]._get("res.partner", "x_badge_number")
        self.assertEqual(field.state, "manual")
        self.assertEqual(self.badge.field_id, field)
        self.assertIn("x_badge_number", self.env["res.partner"]._fields)

    def test_manager_sets_valid_value_and_searches_groups_exports(self):
        contact = self.contact_a_other.with_user(self.manager)
        contact.x_badge_number = "AB-1234"
        Partner = self.env["res.partner"].with_user(self.manager)
        self.assertEqual(Partner.search([("x_badge_number", "ilike", "AB-12")]), contact)
        groups = dict(Partner._read_group([("x_badge_number", "!=", False)], ["x_badge_number"], ["__count"]))
        self.assertEqual(groups, {"AB-1234": 1})
        # Exporting needs Odoo's export right; the field itself is exportable.
        exported = self.contact_a_other.export_data(["name", "x_badge_number"])["datas"]
        self.assertEqual(exported, [["Javier Ruiz", "AB-1234"]])
        # Automation rules evaluate their conditions as domains on the record.
        self.assertEqual(contact.filtered_domain([("x_badge_number", "=", "AB-1234")]), contact)

    def test_import_writes_custom_field(self):
        result = (
            self.env["res.partner"]
            .with_user(self.manager)
            .load(
                ["name", "parent_id/id", "x_badge_number"],
                [["Rosa Gil", self.client_a.get_external_id()[self.client_a.id] or "", "CD-5678"]]
                if self.client_a.get_external_id()[self.client_a.id]
                else [["Rosa Gil", "", "CD-5678"]],
            )
        )
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(self.env["res.partner"].browse(result["ids"]).x_badge_number, "CD-5678")

    @mute_logger(*MUTE)
    def test_invalid_value_refused_with_rule_message(self):
        with self.assertRaisesRegex(ValidationError, "Use two capitals, a dash and four digits"):
            self.contact_a_other.with_user(self.manager).x_badge_number = "ab1234"
        with self.assertRaisesRegex(ValidationError, "Use two capitals"):
            self.env["res.partner"].with_user(self.manager).create(
                {"name": "Nuevo", "parent_id": self.client_a.id, "x_badge_number": "XX"}
            )

    @mute_logger(*MUTE)
    def test_unique_value(self):
        self.contact_a_other.x_badge_number = "AB-1234"
        with self.assertRaisesRegex(ValidationError, "unique"):
            self.contact_a.with_user(self.contributor).x_badge_number = "AB-1234"

    def test_scope_clients_only_rule_not_applied_to_contacts(self):
        # The badge applies to contacts; a client may hold anything (hidden in its form).
        self.client_a.x_badge_number = "free text"
        self.assertEqual(self.client_a.x_badge_number, "free text")

    @mute_logger(*MUTE)
    def test_required_min_max_and_team_scope(self):
        employees = self.Definition.create(
            {
                "name": "Employees",
                "key": "employees",
                "applies_to": "clients",
                "field_type": "integer",
                "required": True,
                "has_min": True,
                "min_value": 5,
                "has_max": True,
                "max_value": 100000,
                "team_ids": [Command.set(self.team_a.ids)],
            }
        )
        Partner = self.env["res.partner"].with_user(self.manager)
        with self.assertRaisesRegex(ValidationError, "Employees is required"):
            Partner.create({"name": "Sin Empleados S.L.", "is_company": True, "team_id": self.team_a.id})
        with self.assertRaisesRegex(ValidationError, "at least"):
            Partner.create({"name": "Cero S.L.", "is_company": True, "team_id": self.team_a.id, "x_employees": 2})
        with self.assertRaisesRegex(ValidationError, "at most"):
            Partner.create({"name": "Mega S.L.", "is_company": True, "team_id": self.team_a.id, "x_employees": 10**6})
        ok = Partner.create({"name": "Bien S.L.", "is_company": True, "team_id": self.team_a.id, "x_employees": 40})
        self.assertEqual(ok.x_employees, 40)
        # Other team, or a plain contact: not in scope.
        Partner.create({"name": "Andere GmbH", "is_company": True, "team_id": self.team_b.id})
        Partner.create({"name": "Persona", "parent_id": self.client_a.id})
        # The generated form shows it only for the team's clients.
        arch = self.env["res.partner"].get_view(view_type="form")["arch"]
        self.assertIn('name="x_employees"', arch)
        self.assertIn(f"team_id not in {self.team_a.ids}", arch)
        self.assertIn("Compliance", arch)
        employees.active = False  # archiving keeps the values

    def test_default_selection_and_tags(self):
        level = self.Definition.create(
            {
                "name": "Support Level",
                "key": "support_level",
                "field_type": "selection",
                "option_ids": [Command.create({"name": "Gold"}), Command.create({"name": "Silver"})],
                "default_value": "Silver",
            }
        )
        topics = self.Definition.create(
            {
                "name": "Topics",
                "key": "topics",
                "field_type": "tags",
                "option_ids": [Command.create({"name": "Cloud"}), Command.create({"name": "Security"})],
            }
        )
        gold, silver = level.option_ids
        client = self.env["res.partner"].with_user(self.manager).create({"name": "Nube S.A.", "is_company": True})
        self.assertEqual(client.x_support_level, silver)
        client.x_topics = topics.option_ids
        groups = self.env["res.partner"]._read_group(
            [("x_support_level", "!=", False)], ["x_support_level"], ["__count"]
        )
        self.assertEqual(groups, [(silver, 1)])
        self.assertFalse(gold.field_id != level)

    @mute_logger(*MUTE)
    def test_refusals_bad_regex_duplicate_key_bad_type_change(self):
        with self.assertRaisesRegex(ValidationError, "does not compile"):
            self.Definition.create({"name": "Bad", "key": "bad_regex", "field_type": "char", "regex": "([A-Z"})
        with self.assertRaisesRegex(ValidationError, "already used"):
            self.Definition.create({"name": "Badge again", "key": "badge_number", "field_type": "char"})
        self.contact_a_other.x_badge_number = "AB-1234"
        with self.assertRaisesRegex(UserError, "cannot change"):
            self.badge.field_type = "integer"
        with self.assertRaisesRegex(UserError, "not one"):
            self.badge.field_type = "email"
        self.assertEqual(self.contact_a_other.x_badge_number, "AB-1234")
        with self.assertRaisesRegex(UserError, "Archive it"):
            self.badge.unlink()

    def test_type_change_keeps_values(self):
        score = self.Definition.create({"name": "Score", "key": "score", "field_type": "integer"})
        self.client_a.x_score = 7
        score.field_type = "float"
        self.client_a.invalidate_recordset()
        self.assertEqual(self.env["res.partner"]._fields["x_score"].type, "float")
        self.assertEqual(self.client_a.x_score, 7.0)
        self.badge.field_type = "text"
        self.assertEqual(self.env["res.partner"]._fields["x_badge_number"].type, "text")

    def test_label_is_translatable(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self.badge.with_context(lang="es_ES").name = "Número de credencial"
        field = self.env["ir.model.fields"]._get("res.partner", "x_badge_number")
        self.assertEqual(field.with_context(lang="es_ES").field_description, "Número de credencial")
        self.assertEqual(field.with_context(lang="en_US").field_description, "Badge Number")
        self.purpose.with_context(lang="es_ES").name = "Cumplimiento"
        arch_es = self.env["res.partner"].with_context(lang="es_ES").get_view(view_type="form")["arch"]
        self.assertIn("Cumplimiento", arch_es)
        arch_en = self.env["res.partner"].with_context(lang="en_US").get_view(view_type="form")["arch"]
        self.assertIn("Compliance", arch_en)

    @mute_logger(*MUTE)
    def test_only_admin_defines_fields(self):
        with self.assertRaises(AccessError):
            self.env["crm.custom.field"].with_user(self.manager).create(
                {"name": "Nope", "key": "nope", "field_type": "char"}
            )
        with self.assertRaises(AccessError):
            self.badge.with_user(self.contributor).write({"required": True})

    def test_merge_keeps_custom_values(self):
        topics = self.Definition.create(
            {
                "name": "Topics",
                "key": "topics",
                "field_type": "tags",
                "option_ids": [Command.create({"name": "Cloud"}), Command.create({"name": "Security"})],
            }
        )
        cloud, security = topics.option_ids
        src = self.env["res.partner"].create(
            {
                "name": "Lucía F.",
                "parent_id": self.client_a.id,
                "x_badge_number": "LF-0001",
                "x_topics": cloud.ids,
            }
        )
        self.contact_a.x_topics = security
        wizard = self.env["base.partner.merge.automatic.wizard"].with_user(self.admin_user)
        wizard._merge((src | self.contact_a).ids, self.contact_a, extra_checks=False)
        self.assertFalse(src.exists())
        self.assertEqual(self.contact_a.x_badge_number, "LF-0001")
        self.assertEqual(self.contact_a.x_topics, cloud | security)

    def test_merge_refused_on_partners_the_user_may_not_delete(self):
        wizard = self.env["base.partner.merge.automatic.wizard"].with_user(self.contributor)
        with self.assertRaises(AccessError), mute_logger("odoo.models", "odoo.addons.base.models.ir_rule"):
            wizard._merge((self.contact_a_other | self.contact_a).ids, self.contact_a, extra_checks=False)
        self.assertTrue(self.contact_a_other.exists())

    def test_deals_get_custom_fields(self):
        self.Definition.create({"name": "Budget Code", "key": "budget_code", "model": "crm.lead", "field_type": "char"})
        deal = self.deal_manager.with_user(self.manager)
        deal.x_budget_code = "B-42"
        self.assertEqual(self.env["crm.lead"].with_user(self.manager).search([("x_budget_code", "=", "B-42")]), deal)
        arch = self.env["crm.lead"].get_view(view_type="form")["arch"]
        self.assertIn('name="x_budget_code"', arch)

    def test_form_shows_field_in_purpose_group(self):
        form = Form(self.contact_a_other.with_user(self.manager))
        form.x_badge_number = "ZZ-9999"
        form.save()
        self.assertEqual(self.contact_a_other.x_badge_number, "ZZ-9999")
