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
