from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import CrmClientSuiteCommon
from .test_automation_ui import T0


@tagged("post_install", "-at_install")
class TestAutomationStepsUi(CrmClientSuiteCommon, HttpCase):
    def test_manager_builds_an_email_step_a_condition_and_an_else_step(self):
        self.env["mail.template"].create(
            {
                "name": "Tour Offer",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "subject": "Our offer",
                "body_html": "<p>Hello <t t-out='object.name'/></p>",
                "use_default_to": True,
            }
        )
        self.start_tour(
            "/odoo/action-crm_client_suite.action_crm_automation",
            "crm_client_suite_automation_steps",
            login=self.manager.login,
        )
        automation = self.env["crm.automation"].search([("name", "=", "Tour Follow-up")])
        email, call, reminder = automation.step_ids
        self.assertEqual(
            [(step.name, step.action) for step in automation.step_ids],
            [("Offer email", "email"), ("Warm call", "outreach"), ("Reminder task", "activity")],
        )
        self.assertEqual(email.mail_template_id.name, "Tour Offer")
        self.assertEqual((call.condition, call.condition_days, call.else_step_id), ("opened", 3, reminder))
        self.assertEqual(call._crm_reference_email_step(), email, "the condition looks at the email before it")

        # What the form built runs: no open within the 3 days, so the Else step.
        contact = self.env["res.partner"].create({"name": "Marta Gil", "email": "marta@example.org"})
        Run = self.env["crm.automation.run"]
        with freeze_time(T0):
            run = automation._enrol(contact, "manual")
            Run._cron_process_due_runs()
            Run._cron_process_due_runs()
        self.assertEqual(run.state, "waiting")
        with freeze_time(T0 + timedelta(days=3, minutes=1)):
            Run._cron_process_due_runs()
            Run._cron_process_due_runs()
        self.assertEqual(run.state, "done")
        executed = run.log_ids.filtered(lambda log: log.result == "done").step_id
        self.assertEqual(executed, email | reminder)
        calls = self.env["crm.outreach"].search([("automation_run_id", "=", run.id), ("channel", "=", "call")])
        self.assertFalse(calls, "the call step did not run")
