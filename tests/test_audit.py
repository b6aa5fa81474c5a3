import json
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged, users
from odoo.tools import SQL, mute_logger

from ..models.crm_audit_mixin import AUDIT
from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")


@tagged("post_install", "-at_install")
class TestAuditLog(CrmClientSuiteCommon):
    """Every create, write and unlink of the audited models leaves its entries
    in crm.audit.log, in a bounded number of queries; nobody alters them."""

    def entries(self, records, **filters):
        domain = [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        domain += [(key, "=", value) for key, value in filters.items()]
        return self.env["crm.audit.log"].sudo().search(domain, order="id")

    # Clients and contacts ------------------------------------------------

    @users("ccs_manager")
    def test_create_write_unlink_client(self):
        client = self.env["res.partner"].create({"name": "Aceros del Norte S.A.", "is_company": True})
        created = self.entries(client, operation="create")
        self.assertEqual(len(created), 1)
        self.assertEqual(created.record_name, "Aceros del Norte S.A.")
        self.assertEqual(created.user_id, self.manager)
        self.assertEqual(created.origin, "system")

        tag = self.env["res.partner.category"].sudo().create({"name": "Acero"})
        client.write({"email": "info@aceros.example.com", "user_id": self.contributor.id, "category_id": [tag.id]})
        changes = {entry.field_name: entry for entry in self.entries(client, operation="write")}
        self.assertEqual(set(changes), {"email", "user_id", "category_id"})
        self.assertFalse(changes["email"].old_value)
        self.assertEqual(changes["email"].new_value, "info@aceros.example.com")
        self.assertEqual(changes["email"].field_id.name, "email")
        self.assertEqual(changes["user_id"].new_value, "Ccs Contributor")
        self.assertEqual(changes["category_id"].new_value, "Acero")

        client.write({"email": "ventas@aceros.example.com"})
        last = self.entries(client, operation="write", field_name="email")[-1]
        self.assertEqual((last.old_value, last.new_value), ("info@aceros.example.com", "ventas@aceros.example.com"))

        client.unlink()
        deleted = self.entries(client, operation="unlink")
        self.assertEqual(deleted.record_name, "Aceros del Norte S.A.")
        last_values = json.loads(deleted.old_value)
        self.assertEqual(last_values["email"], "ventas@aceros.example.com")
        self.assertEqual(last_values["user_id"], "Ccs Contributor")
        self.assertEqual(last_values["category_id"], "Acero")
        self.assertEqual(last_values["color"], "0", "a zero is a value")
        self.assertNotIn("phone", last_values, "an empty field leaves nothing")

    def test_unchanged_value_writes_nothing(self):
        before = len(self.entries(self.contact_a))
        self.contact_a.write({"email": self.contact_a.email, "function": False})
        self.assertEqual(len(self.entries(self.contact_a)), before)

    def test_custom_field_values_are_audited(self):
        self.env["crm.custom.field"].create(
            {"name": "Licence Number", "key": "licence_number", "field_type": "char", "model": "res.partner"}
        )
        self.contact_a.with_user(self.contributor).write({"x_licence_number": "LIC-0042"})
        entry = self.entries(self.contact_a, field_name="x_licence_number")
        self.assertEqual(entry.new_value, "LIC-0042")
        self.assertEqual(entry.field_id.name, "x_licence_number")
        self.assertEqual(entry.user_id, self.contributor)

    def test_import_origin(self):
        self.contact_a.with_context(import_file=True).write({"function": "Jefa de compras"})
        self.assertEqual(self.entries(self.contact_a, field_name="function").origin, "import")

    def test_write_on_many_records_takes_a_bounded_number_of_queries(self):
        Partner = self.env["res.partner"]
        Log = type(self.env["crm.audit.log"])
        insert = Log._insert
        statements = []

        def counted_insert(log, records, operation, rows):
            # the rows are loaded with COPY, which the query count does not see
            if operation == "write":
                statements.append(len(rows))
            return insert(log, records, operation, rows)

        def queries_to_write(count, value, audit):
            partners = Partner.create([{"name": f"Contacto {value} {i}"} for i in range(count)])
            self.env.flush_all()
            start = self.env.cr.sql_log_count
            AUDIT["enabled"] = audit
            try:
                partners.write({"function": value})
                self.env.flush_all()
            finally:
                AUDIT["enabled"] = True
            return self.env.cr.sql_log_count - start, partners

        with patch.object(Log, "_insert", counted_insert):
            few, few_partners = queries_to_write(5, "Técnico", True)
            many, many_partners = queries_to_write(200, "Comercial", True)
            few_unlogged, _partners = queries_to_write(5, "Técnico", False)
            many_unlogged, _partners = queries_to_write(200, "Comercial", False)
        # Odoo updates 100 records per UPDATE; what the log adds does not grow
        self.assertEqual(few - few_unlogged, many - many_unlogged)
        self.assertLessEqual(many - many_unlogged, 1)
        self.assertEqual(statements, [5, 200])
        self.assertEqual(len(self.entries(many_partners, field_name="function")), 200)
        self.assertEqual(len(self.entries(few_partners, field_name="function")), 5)

    # Deals, stakeholders, automation pipelines -----------------------------

    @users("ccs_contributor")
    def test_deal_changes_and_deletion(self):
        deal = self.deal_contributor.with_env(self.env)
        won = self.env["crm.stage"].sudo().search([("is_won", "=", True)], limit=1)
        old_stage = deal.stage_id.name
        deal.write({"stage_id": won.id, "expected_revenue": 15000})
        stage = self.entries(deal, field_name="stage_id")
        self.assertEqual((stage.old_value, stage.new_value), (old_stage, won.name))
        self.assertEqual(self.entries(deal, field_name="expected_revenue").new_value, "15000.0")
        deal.sudo().unlink()
        deleted = self.entries(deal, operation="unlink")
        self.assertEqual(deleted.record_name, "Obra nueva Madrid")
        self.assertEqual(deleted.user_id, self.contributor)
        self.assertEqual(json.loads(deleted.old_value)["partner_id"], self.client_a.name)

    def test_stakeholders(self):
        stakeholder = self.env["crm.deal.stakeholder"].create(
            {"lead_id": self.deal_manager.id, "partner_id": self.contact_a.id, "role": "champion"}
        )
        self.assertEqual(len(self.entries(stakeholder, operation="create")), 1)
        stakeholder.role = "decision_maker"
        role = self.entries(stakeholder, field_name="role")
        self.assertEqual((role.old_value, role.new_value), ("Champion", "Decision Maker"))
        stakeholder.unlink()
        self.assertEqual(json.loads(self.entries(stakeholder, operation="unlink").old_value)["role"], "Decision Maker")

    def test_automation_pipelines_and_steps(self):
        automation = self.env["crm.automation"].create({"name": "Bienvenida", "target_model": "res.partner"})
        step = self.env["crm.automation.step"].create(
            {"automation_id": automation.id, "name": "Llamar", "action": "activity", "activity_summary": "Llamar"}
        )
        automation.write({"name": "Bienvenida 2"})
        self.assertEqual(self.entries(automation, field_name="name").new_value, "Bienvenida 2")
        self.assertEqual(len(self.entries(step, operation="create")), 1)
        step.unlink()
        automation.unlink()
        self.assertEqual(len(self.entries(step, operation="unlink")), 1)
        self.assertEqual(self.entries(automation, operation="unlink").record_name, "Bienvenida 2")

    @users("ccs_admin")
    def test_what_a_deletion_takes_along_is_logged_too(self):
        stakeholder = self.env["crm.deal.stakeholder"].create(
            {"lead_id": self.deal_manager.id, "partner_id": self.contact_a.id, "role": "champion"}
        )
        automation = self.env["crm.automation"].create({"name": "Bienvenida", "target_model": "res.partner"})
        step = self.env["crm.automation.step"].create(
            {"automation_id": automation.id, "name": "Llamar", "action": "activity", "activity_summary": "Llamar"}
        )
        client = self.env["res.partner"].create({"name": "Aceros del Norte S.A.", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Marta Gil", "parent_id": client.id})
        deal = self.env["crm.lead"].create({"name": "Nave de acero", "type": "opportunity", "partner_id": client.id})
        # The database would delete the stakeholder and the step, and clear the contact's and the deal's client.
        self.deal_manager.with_env(self.env).unlink()
        automation.unlink()
        client.unlink()
        gone = self.entries(stakeholder, operation="unlink")
        self.assertEqual((len(gone), gone.user_id), (1, self.admin_user))
        self.assertEqual(json.loads(gone.old_value)["role"], "Champion")
        self.assertEqual(len(self.entries(step, operation="unlink")), 1)
        for record in (contact, deal):
            cleared = self.entries(
                record, operation="write", field_name="partner_id" if record == deal else "parent_id"
            )
            self.assertEqual(
                (cleared.old_value, cleared.new_value, cleared.user_id),
                ("Aceros del Norte S.A.", False, self.admin_user),
            )
        self.assertFalse(contact.parent_id)

    # Append-only -----------------------------------------------------------

    @users("ccs_admin")
    @mute_logger(*MUTE)
    def test_nobody_alters_the_log(self):
        self.contact_a.with_env(self.env).function = "Gerente"
        entry = self.entries(self.contact_a, field_name="function").with_env(self.env)
        self.assertEqual(entry.new_value, "Gerente")
        for log in (entry, entry.sudo()):
            with self.assertRaisesRegex(AccessError, "cannot be changed"):
                log.write({"new_value": "Otro"})
            with self.assertRaisesRegex(AccessError, "nobody can add entries"):
                log.create({"res_model": "res.partner", "res_id": 1, "operation": "write", "date": "2020-01-01"})
        # the Admin has no right to delete entries; the superuser is refused too
        with self.assertRefusedByAccessRights("unlink", "crm.audit.log"):
            entry.unlink()
        with self.assertRaisesRegex(AccessError, "cannot be deleted"):
            entry.sudo().unlink()
        self.assertEqual(entry.new_value, "Gerente")

    def test_retention_cron_purges_old_entries_only_when_set(self):
        self.contact_a.function = "Antes"
        self.contact_b.function = "Ahora"
        old = self.entries(self.contact_a, field_name="function")
        recent = self.entries(self.contact_b, field_name="function")
        self.env.cr.execute(SQL("UPDATE crm_audit_log SET date = date - interval '40 days' WHERE id = %s", old.id))
        Log = self.env["crm.audit.log"]
        Log._cron_purge()
        self.assertTrue(old.exists(), "No retention period set: the log is kept forever.")
        self.env["ir.config_parameter"].set_param("crm_client_suite.audit_retention_days", "30")
        Log._cron_purge()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    # Who sees what ---------------------------------------------------------

    @users("ccs_guest")
    @mute_logger(*MUTE)
    def test_guest_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.env["crm.audit.log"].search([])

    def _touch_everything(self):
        for record in (self.contact_a, self.contact_a_other, self.contact_b):
            record.function = "Compras"
        for deal in (self.deal_contributor, self.deal_manager, self.deal_b):
            deal.expected_revenue += 1

    @users("ccs_contributor")
    @mute_logger(*MUTE)
    def test_contributor_sees_own_records_entries_only(self):
        self._touch_everything()
        visible = self.env["crm.audit.log"].search([("field_name", "in", ("function", "expected_revenue"))])
        self.assertEqual(
            {(e.res_model, e.res_id) for e in visible},
            {("res.partner", self.contact_a.id), ("crm.lead", self.deal_contributor.id)},
        )
        foreign = self.entries(self.deal_manager).with_env(self.env)
        self.assertTrue(foreign)
        with self.assertRaisesRegex(AccessError, "crm.audit.log"):
            foreign.read(["new_value"])
        with self.assertRaisesRegex(AccessError, "audit log of records you can read"):
            foreign.check_access("read")
        own = self.entries(self.contact_a, field_name="function").with_env(self.env)
        self.assertEqual(own.read(["new_value"])[0]["new_value"], "Compras")
        own.check_access("read")

    @users("ccs_manager")
    @mute_logger(*MUTE)
    def test_manager_sees_entries_of_readable_records(self):
        self._touch_everything()
        visible = self.env["crm.audit.log"].search([("field_name", "in", ("function", "expected_revenue"))])
        models_ids = {(e.res_model, e.res_id) for e in visible}
        self.assertIn(("res.partner", self.contact_b.id), models_ids)
        self.assertIn(("crm.lead", self.deal_manager.id), models_ids)
        self.assertIn(("crm.lead", self.deal_contributor.id), models_ids)
        self.assertNotIn(("crm.lead", self.deal_b.id), models_ids)

    @users("ccs_manager")
    @mute_logger(*MUTE)
    def test_team_isolation_hides_other_team_entries(self):
        self._touch_everything()
        self.set_team_isolation(True)
        visible = self.env["crm.audit.log"].search([("field_name", "=", "function")])
        self.assertNotIn(self.contact_b.id, visible.filtered(lambda e: e.res_model == "res.partner").mapped("res_id"))
        self.assertIn(self.contact_a.id, visible.mapped("res_id"))

    @users("ccs_admin")
    def test_admin_sees_everything_with_deletions_and_the_smart_button(self):
        self._touch_everything()
        self.contact_b.sudo().unlink()
        Log = self.env["crm.audit.log"]
        entries = Log.search([("res_model", "=", "res.partner"), ("res_id", "=", self.contact_b.id)])
        self.assertEqual(entries[0].operation, "unlink")
        self.assertEqual(entries.filtered(lambda e: e.operation == "write").mapped("field_name")[0], "function")
        self.assertIn("create", entries.mapped("operation"))
        action = self.client_a.with_env(self.env).action_crm_audit_log()
        entries = Log.search(action["domain"])
        self.assertEqual(set(entries.mapped("res_id")), {self.client_a.id})
        self.assertEqual(entries.mapped("operation"), ["create"])

    def test_many2many_command_changes_are_audited(self):
        tags = self.env["res.partner.category"].create([{"name": "Obra"}, {"name": "Reforma"}])
        self.contact_a.write({"category_id": [Command.link(tags[0].id)]})
        self.contact_a.write({"category_id": [Command.link(tags[1].id)]})
        last = self.entries(self.contact_a, field_name="category_id")[-1]
        self.assertEqual((last.old_value, last.new_value), ("Obra", "Obra, Reforma"))

    def test_entries_carry_the_transaction_date(self):
        self.contact_a.function = "Ventas"
        entry = self.entries(self.contact_a, field_name="function")
        self.assertLess(abs(entry.date - self.env.cr.now()), timedelta(seconds=1))

    def test_values_keep_tabs_newlines_and_backslashes(self):
        # The rows are loaded with COPY, whose text format gives these a meaning.
        name = "Tab\there \\N"
        value = "line 1\r\nline\t2 \\ back\\slash \\N \\."
        self.contact_a.write({"name": name, "street": value})
        entry = self.entries(self.contact_a, field_name="street")
        self.assertEqual((entry.record_name, entry.new_value), (name, value))
        self.assertFalse(entry.old_value)
        self.contact_a.write({"street": False})
        self.assertEqual(self.entries(self.contact_a, field_name="street")[-1].old_value, value)

    def test_deleting_a_user_or_a_field_keeps_their_entries(self):
        # As ON DELETE SET NULL would: the entries stay, without the link.
        author = new_test_user(self.env, "ccs_audit_author", groups="crm_client_suite.group_manager")
        field = self.env["ir.model.fields"].create(
            {
                "name": "x_site_badge",
                "field_description": "Site Badge",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "ttype": "char",
                "state": "manual",
            }
        )
        self.contact_a.with_user(author).write({"x_site_badge": "LIC-0042", "function": "Jefa de obra"})
        entries = self.entries(self.contact_a, operation="write", user_id=author.id)
        self.assertEqual(set(entries.mapped("field_name")), {"x_site_badge", "function"})
        field.unlink()
        badge = self.entries(self.contact_a, field_name="x_site_badge")
        self.assertEqual(badge.new_value, "LIC-0042")
        self.assertFalse(badge.field_id)
        self.assertEqual(self.entries(self.contact_a, field_name="function").field_id.name, "function")
        author.unlink()
        self.assertEqual(entries.exists(), entries)
        self.assertFalse(entries.user_id)
        self.assertFalse(self.entries(self.contact_a, user_id=author.id))
        self.assertEqual(set(entries.mapped("new_value")), {"LIC-0042", "Jefa de obra"})
