from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon

T0 = datetime(2026, 3, 2, 9, 0)


@tagged("post_install", "-at_install")
class TestAutomationUi(CrmClientSuiteCommon, HttpCase):
    def test_admin_builds_a_pipeline_and_a_contact_moves_through_it(self):
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_automation",
            "crm_client_suite_automation_pipeline",
            login=self.admin_user.login,
        )
        automation = self.env["crm.automation"].search([("name", "=", "Tour Welcome")])
        self.assertTrue(automation.trigger_create)
        self.assertEqual(automation.user_id, self.admin_user)
        self.assertEqual(automation.step_ids.mapped("action"), ["activity", "outreach", "activity"])
        self.assertEqual(automation.step_ids.mapped("delay_unit"), ["days", "hours", "days"])

        Run = self.env["crm.automation.run"]
        with freeze_time(T0):
            contact = (
                self.env["res.partner"]
                .with_user(self.manager)
                .create({"name": "Marta Gil", "email": "marta@example.org", "user_id": self.contributor.id})
            )
        run = Run.search([("automation_id", "=", automation.id)])
        self.assertEqual((run.partner_id, run.state, run.trigger), (contact, "running", "create"))
        self.assertEqual(run.next_due, T0 + timedelta(days=1))

        with freeze_time(T0 + timedelta(hours=12)):
            Run._cron_process_due_runs()
        self.assertFalse(contact.activity_ids, "not due yet")
        with freeze_time(T0 + timedelta(days=1)):
            Run._cron_process_due_runs()
        self.assertEqual(contact.activity_ids.summary, "Intro call task")
        self.assertEqual(run.step_id.name, "Log the call")
        with freeze_time(T0 + timedelta(days=1, hours=2)):
            Run._cron_process_due_runs()
        self.assertEqual(self.env["crm.outreach"].search([("automation_run_id", "=", run.id)]).channel, "call")
        with freeze_time(T0 + timedelta(days=2, hours=2)):
            Run._cron_process_due_runs()
        self.assertEqual(run.state, "done")
        self.assertEqual(len(run.log_ids), 3)
        self.assertEqual(len(contact.activity_ids), 2)
