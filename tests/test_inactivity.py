import time
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from odoo.addons.crm_client_suite.models.crm_inactivity_rule import CrmInactivityRule

from .common import CrmClientSuiteCommon, TwoCursorCase

T0 = datetime(2026, 3, 2, 9, 0)
PARTNERS = 40


@tagged("post_install", "-at_install")
class TestInactivity(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_a.write({"crm_client_type": "active", "crm_client_status": "active"})
        cls.client_b.write({"crm_client_type": "prospect", "crm_client_status": "prospect"})
        cls.Rule = cls.env["crm.inactivity.rule"]
        cls.env["crm.outreach"].create(
            [
                {
                    "summary": "Llamada",
                    "channel": "call",
                    "outcome": "done",
                    "partner_id": cls.contact_a.id,
                    "date": T0,
                },
                {"summary": "Anruf", "channel": "call", "outcome": "done", "partner_id": cls.contact_b.id, "date": T0},
            ]
        )

    def rule(self, **vals):
        values = {"name": "Clientes activos sin contacto", "days": 30, "client_type": "active", "action": "activity"}
        values.update(vals)
        return self.Rule.create(values)

    def sweep(self, when):
        with freeze_time(when):
            return self.Rule._cron_flag_inactive()

    def activities(self, partner):
        return self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])

    def test_raises_once_and_a_touch_clears_it(self):
        self.rule()
        self.assertEqual(self.sweep(T0 + timedelta(days=20)), 0)
        self.assertFalse(self.client_a.crm_inactive)
        self.assertEqual(self.sweep(T0 + timedelta(days=31)), 1)
        self.assertTrue(self.client_a.crm_inactive)
        # Only the active client: the prospect has no rule.
        self.assertFalse(self.client_b.crm_inactive)
        activity = self.activities(self.client_a)
        self.assertEqual((activity.user_id, activity.summary), (self.contributor, "No contact for 30 days"))
        # The same inactive period raises no second alert.
        self.assertEqual(self.sweep(T0 + timedelta(days=45)), 0)
        self.assertEqual(len(self.activities(self.client_a)), 1)
        # A new touch ends the period...
        self.env["crm.outreach"].create(
            {
                "summary": "Email",
                "channel": "email",
                "outcome": "done",
                "partner_id": self.contact_a.id,
                "date": T0 + timedelta(days=46),
            }
        )
        self.assertFalse(self.client_a.crm_inactive)
        self.assertEqual(self.sweep(T0 + timedelta(days=60)), 0)
        # ...and the next one raises a new alert.
        self.assertEqual(self.sweep(T0 + timedelta(days=77)), 1)
        self.assertEqual(len(self.activities(self.client_a)), 2)

    def test_a_status_rule_flags_contacts_of_clients_in_that_status(self):
        self.rule(client_type=False, client_status="prospect", applies_to="contact", days=10)
        self.assertEqual(self.sweep(T0 + timedelta(days=11)), 1)
        self.assertEqual((self.contact_b.crm_inactive, self.contact_a.crm_inactive), (True, False))
        self.assertFalse(self.client_b.crm_inactive, "the rule is for contacts")
        # The flag is the add-on's own bookkeeping, not an audited change.
        logged = (
            self.env["crm.audit.log"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", self.contact_b.id),
                    ("field_name", "like", "crm_inactiv"),
                ]
            )
        )
        self.assertFalse(logged)

    def test_enrols_in_a_pipeline(self):
        automation = self.env["crm.automation"].create(
            {
                "name": "Reactivación",
                "target_model": "res.partner",
                "user_id": self.admin_user.id,
                "step_ids": [(0, 0, {"name": "Llamar", "action": "outreach", "delay": 1})],
            }
        )
        self.rule(action="automation", automation_id=automation.id, client_type=False, applies_to="contact")
        self.sweep(T0 + timedelta(days=31))
        runs = self.env["crm.automation.run"].search([("automation_id", "=", automation.id)])
        # contact_a_other was created after the sweep's date limit: not untouched for 30 days yet.
        self.assertEqual(runs.partner_id, self.contact_a | self.contact_b)

    def test_notifies_the_team_once_per_batch(self):
        self.rule(action="notify", client_type=False)
        self.sweep(T0 + timedelta(days=31))
        messages = self.env["mail.message"].search(
            [("message_type", "=", "user_notification"), ("subject", "=", "No contact for 30 days")]
        )
        self.assertEqual(len(messages), 2, "one message per team")
        team_a_message = messages.filtered(lambda m: self.manager.partner_id in m.partner_ids)
        self.assertIn(self.client_a.display_name, team_a_message.body)
        self.assertNotIn(self.client_b.display_name, team_a_message.body)

    def untouched(self, count, client_type, owners):
        """``count`` clients of ``client_type`` created before T0, owned in turn by ``owners``."""
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Olvidado {client_type} {i}",
                    "is_company": True,
                    "crm_client_type": client_type,
                    "user_id": owners[i % len(owners)].id,
                }
                for i in range(count)
            ]
        )
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET create_date = %s WHERE id = ANY(%s)", (T0, partners.ids))
        self.env.invalidate_all()
        return partners

    def notices(self, user):
        return self.env["mail.message"].search(
            [("message_type", "=", "user_notification"), ("partner_ids", "in", user.partner_id.ids)]
        )

    def test_activity_batch_costs_the_same_for_5_or_50(self):
        owners = [self.contributor, self.manager]
        small = self.untouched(5, "past", owners)
        large = self.untouched(50, "supplier", owners)
        warm = self.untouched(1, "partner", owners)
        self.rule(client_type="partner", days=10)
        self.sweep(T0 + timedelta(days=11))  # warm the caches (activity type, model, templates)
        self.assertTrue(warm.crm_inactive)

        def queries(client_type):
            self.Rule.search([]).active = False  # one rule at a time: the same statements but the partners'
            self.rule(client_type=client_type, days=10)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.sweep(T0 + timedelta(days=11))
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries("past"), queries("supplier"), "the same statements for 5 or 50 partners")
        self.assertEqual(set((small | large).mapped("crm_inactive")), {True})
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", (small | large).ids)]
        )
        self.assertEqual(len(activities), 55, "one activity per partner")
        self.assertEqual(
            {(activity.res_id, activity.user_id) for activity in activities},
            {(partner.id, partner.user_id) for partner in small | large},
        )
        self.assertEqual(set(activities.mapped("res_name")), set((small | large).mapped("display_name")))

    def test_owner_gets_one_notice_per_batch_and_the_todo(self):
        partners = self.untouched(6, "past", [self.contributor, self.manager])
        self.rule(client_type="past", days=10)
        self.sweep(T0 + timedelta(days=11))
        mine = partners.filtered(lambda p: p.user_id == self.contributor)
        # One notice (not one email per activity), with the count and the list.
        notice = self.notices(self.contributor)
        self.assertEqual(len(notice), 1)
        self.assertIn("3 clients or contacts of yours have not been contacted for 10 days", notice.body)
        self.assertIn("/odoo/action-crm_client_suite.action_crm_not_contacted", notice.body)
        self.assertEqual(len(self.notices(self.manager)), 1)
        mails = self.env["mail.mail"].search([("recipient_ids", "in", self.contributor.partner_id.ids)])
        self.assertFalse(mails.mail_message_id - notice, "no email per activity")
        # The owner follows them and finds the activities in their to-do.
        self.assertTrue(all(self.contributor.partner_id in partner.message_partner_ids for partner in mine))
        todo = (
            self.env["res.partner"].with_user(self.contributor).search([("activity_user_id", "=", self.contributor.id)])
        )
        self.assertEqual(todo & partners, mine)
        # The same period raises nothing more: no second notice.
        self.sweep(T0 + timedelta(days=20))
        self.assertEqual(len(self.notices(self.contributor)), 1)


@tagged("post_install", "-at_install")
class TestInactivityConcurrency(TwoCursorCase):
    """Two workers on two real cursors sweep the same backlog: each partner
    is flagged, and acted upon, exactly once."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            partners = env["res.partner"].create(
                [{"name": f"Inactivo {i}", "is_company": True, "crm_client_type": "past"} for i in range(PARTNERS)]
            )
            cr.execute("UPDATE res_partner SET create_date = %s WHERE id = ANY(%s)", (T0, partners.ids))
            rule = env["crm.inactivity.rule"].create(
                {"name": "Concurrency", "days": 10, "client_type": "past", "action": "activity"}
            )
            self.partner_ids, self.rule_id = partners.ids, rule.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "in", self.partner_ids)]
            ).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()
            env["crm.inactivity.rule"].browse(self.rule_id).unlink()

    def test_two_workers_flag_each_partner_once(self):
        origin = CrmInactivityRule._act

        def slow(rule, partners):
            time.sleep(0.02)  # both workers hold batches at once
            return origin(rule, partners)

        with patch.object(CrmInactivityRule, "_act", slow):
            done = self.run_workers(lambda env: env["crm.inactivity.rule"]._cron_flag_inactive(batch_size=4))
        self.assertEqual(sum(done), PARTNERS)
        self.assertTrue(all(done), f"both workers took batches: {done}")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(set(env["res.partner"].browse(self.partner_ids).mapped("crm_inactive")), {True})
            groups = env["mail.activity"]._read_group(
                [("res_model", "=", "res.partner"), ("res_id", "in", self.partner_ids)], ["res_id"], ["__count"]
            )
            self.assertEqual(len(groups), PARTNERS)
            self.assertEqual({count for _res_id, count in groups}, {1}, "each partner alerted exactly once")
