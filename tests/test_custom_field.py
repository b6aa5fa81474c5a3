from lxml import etree

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.safe_eval import safe_eval

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

    @mute_logger(*MUTE)
    def test_import_validates_contacts_in_scope(self):
        # Stock Odoo's import of a contact copies its client's commercial
        # fields, accounting ones included, with the importing user's rights:
        # without accounting read access it fails before any rule of ours runs.
        importer = new_test_user(
            self.env,
            login="ccs_manager_accounting",
            groups="crm_client_suite.group_manager,account.group_account_readonly",
        )
        Partner = self.env["res.partner"].with_user(importer)
        # Contacts of a client: in the badge's scope, so its rules run on import.
        columns = ["name", "parent_id/.id", "x_badge_number"]
        client = str(self.client_a.id)
        result = Partner.load(columns, [["Rosa Gil", client, "CD-5678"], ["Pablo Mal", client, "cd5678"]])
        # A failed import reloads the registry from a new cursor, which cannot
        # see the fields created in this test's transaction: reload it here.
        self.registry.setup_models(self.env.cr)
        # Odoo's import is all or nothing: the bad row is refused with the
        # rule's own message, pointing at that row, and nothing is written.
        self.assertFalse(result["ids"])
        errors = [m for m in result["messages"] if m["type"] == "error"]
        self.assertTrue(errors)
        self.assertEqual({m["message"] for m in errors}, {"Use two capitals, a dash and four digits, e.g. AB-1234."})
        self.assertIn(1, [m["rows"]["from"] for m in errors])
        self.assertFalse(Partner.search([("name", "in", ["Rosa Gil", "Pablo Mal"])]))
        # Corrected, the same file loads, values and link to the client included.
        result = Partner.load(columns, [["Rosa Gil", client, "CD-5678"], ["Pablo Bien", client, "CD-5679"]])
        self.assertFalse(result["messages"], result["messages"])
        loaded = Partner.browse(result["ids"])
        self.assertEqual(loaded.mapped("x_badge_number"), ["CD-5678", "CD-5679"])
        self.assertEqual(loaded.parent_id, self.client_a)
        self.assertEqual(Partner.search([("x_badge_number", "=", "CD-5679")]), loaded[1])

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

    @mute_logger(*MUTE)
    def test_contacts_only_rule_not_applied_to_clients(self):
        # The badge applies to contacts: the same value, by the same user, is
        # refused on a contact and accepted on a client (whose form hides it).
        with self.assertRaisesRegex(ValidationError, "Use two capitals"):
            self.contact_a_other.with_user(self.manager).x_badge_number = "free text"
        self.client_a.with_user(self.manager).x_badge_number = "free text"
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT x_badge_number FROM res_partner WHERE id = %s", self.client_a.id))
        self.assertEqual(self.env.cr.fetchone()[0], "free text")

    @mute_logger(*MUTE)
    def test_required_min_max_and_team_scope(self):
        self.Definition.create(
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

    @mute_logger(*MUTE)
    def test_archive_keeps_values_hides_field_and_stops_its_rules(self):
        self.contact_a_other.x_badge_number = "AB-1234"
        self.badge.active = False
        # The column and its values stay ...
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT x_badge_number FROM res_partner WHERE id = %s", self.contact_a_other.id))
        self.assertEqual(self.env.cr.fetchone()[0], "AB-1234")
        self.assertEqual(self.badge.field_id.name, "x_badge_number")
        # ... the field leaves the forms, lists and searches ...
        Partner = self.env["res.partner"].with_user(self.manager)
        for view_type in ("form", "list", "search"):
            self.assertNotIn("x_badge_number", Partner.get_view(view_type=view_type)["arch"], view_type)
        # ... and its rules no longer refuse anything.
        self.contact_a.with_user(self.contributor).x_badge_number = "ab"
        # Restored, it shows the kept value and validates again.
        self.badge.active = True
        self.assertIn('name="x_badge_number"', Partner.get_view(view_type="form")["arch"])
        self.assertEqual(Partner.search([("x_badge_number", "=", "AB-1234")]), self.contact_a_other)
        with self.assertRaisesRegex(ValidationError, "Use two capitals"):
            self.contact_a_other.with_user(self.manager).x_badge_number = "ab"

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
        Partner = self.env["res.partner"].with_user(self.manager)
        client = Partner.create({"name": "Nube S.A.", "is_company": True})
        self.assertEqual(client.x_support_level, silver)
        client.x_topics = topics.option_ids
        groups = Partner._read_group([("x_support_level", "!=", False)], ["x_support_level"], ["__count"])
        self.assertEqual(groups, [(silver, 1)])
        self.assertEqual(Partner.search([("x_topics", "in", topics.option_ids[1].ids)]), client)
        # Each field offers only its own options: the field's domain excludes
        # the options of the other fields.
        Option = self.env["crm.custom.field.option"].with_user(self.manager)
        for fname, definition in (("x_support_level", level), ("x_topics", topics)):
            domain = Partner.fields_get([fname], ["domain"])[fname]["domain"]
            offered = Option.search(safe_eval(domain) if isinstance(domain, str) else domain)
            self.assertEqual(offered, definition.option_ids, fname)

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

    def test_an_empty_field_is_deleted_with_its_column(self):
        """The generated contact form shows the field: it is rebuilt without
        it before the field goes, which Odoo requires."""
        Partner = self.env["res.partner"]
        obsolete = self.Definition.create({"name": "Obsolete", "key": "obsolete", "field_type": "char"})
        self.assertIn("x_obsolete", Partner.get_view(view_type="form")["arch"])
        obsolete.unlink()
        self.assertNotIn("x_obsolete", Partner._fields)
        self.assertNotIn("x_obsolete", Partner.get_view(view_type="form")["arch"])
        self.assertIn("x_badge_number", Partner.get_view(view_type="form")["arch"], "the other fields stay")
        self.env.cr.execute(
            """SELECT 1 FROM information_schema.columns
                WHERE table_name = 'res_partner' AND column_name = 'x_obsolete'"""
        )
        self.assertFalse(self.env.cr.fetchall())

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
        with self.assertRefusedByRecordRules("write", "res.partner"), mute_logger(*MUTE):
            wizard._merge((self.contact_a_other | self.contact_a).ids, self.contact_a, extra_checks=False)
        self.assertTrue(self.contact_a_other.exists())

    def test_deals_get_custom_fields(self):
        self.Definition.create({"name": "Budget Code", "key": "budget_code", "model": "crm.lead", "field_type": "char"})
        deal = self.deal_manager.with_user(self.manager)
        deal.x_budget_code = "B-42"
        self.assertEqual(self.env["crm.lead"].with_user(self.manager).search([("x_budget_code", "=", "B-42")]), deal)
        arch = self.env["crm.lead"].get_view(view_type="form")["arch"]
        self.assertIn('name="x_budget_code"', arch)

    def test_form_groups_fields_by_purpose_and_shows_them_in_scope(self):
        sales = (
            self.env["crm.custom.field.group"]
            .with_user(self.admin_user)
            .create({"name": "Sales Intelligence", "sequence": 1})
        )
        self.Definition.create(
            {
                "name": "Budget Owner",
                "key": "budget_owner",
                "applies_to": "clients",
                "field_type": "char",
                "group_id": sales.id,
                "team_ids": [Command.set(self.team_a.ids)],
            }
        )
        self.Definition.create({"name": "Hobby", "key": "hobby", "field_type": "char"})
        self.Definition.create(
            {"name": "Audit Date", "key": "audit_date", "field_type": "date", "group_id": self.purpose.id}
        )
        # One group per purpose in the Custom Fields page, ordered by the
        # purpose's sequence; fields without purpose under "Other".
        Partner = self.env["res.partner"].with_user(self.manager)
        arch = etree.fromstring(Partner.get_view(view_type="form")["arch"])
        page = arch.xpath("//page[@name='crm_custom_fields']")[0]
        # only this test's fields: a database with demo data has custom fields of its own
        ours = {"x_budget_owner", "x_badge_number", "x_audit_date", "x_hobby"}
        groups = {
            group.get("string"): fields
            for group in page.iter("group")
            if (fields := [f.get("name") for f in group.iter("field") if f.get("name") in ours])
        }
        self.assertEqual(
            groups,
            {
                "Sales Intelligence": ["x_budget_owner"],
                "Compliance": ["x_badge_number", "x_audit_date"],
                "Other": ["x_hobby"],
            },
        )
        named = [g for g in groups if g != "Other"]
        self.assertEqual(named, ["Sales Intelligence", "Compliance"])
        # The search view offers a group-by per field.
        search = etree.fromstring(Partner.get_view(view_type="search")["arch"])
        self.assertEqual(
            search.xpath("//filter[@name='crm_custom_groupby_badge_number']/@context"),
            ["{'group_by': 'x_badge_number'}"],
        )
        # In the form, each field shows only where it applies: the badge and the
        # audit date on a contact, the budget owner on Team Iberia's clients.
        form = Form(self.contact_a_other.with_user(self.manager))
        form.x_badge_number = "ZZ-9999"
        form.x_hobby = "Vela"
        with self.assertRaisesRegex(AssertionError, "can't write on invisible field 'x_budget_owner'"):
            form.x_budget_owner = "Javier"
        form.save()
        self.assertEqual(self.contact_a_other.x_badge_number, "ZZ-9999")
        form = Form(self.client_a.with_user(self.manager))
        form.x_budget_owner = "Dirección financiera"
        with self.assertRaisesRegex(AssertionError, "can't write on invisible field 'x_badge_number'"):
            form.x_badge_number = "ZZ-0001"
        form.save()
        form = Form(self.client_b.with_user(self.manager))
        with self.assertRaisesRegex(AssertionError, "can't write on invisible field 'x_budget_owner'"):
            form.x_budget_owner = "Einkauf"
