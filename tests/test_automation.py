from datetime import datetime, timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_client_suite.models.crm_automation_step import CrmAutomationStep

from .common import CrmClientSuiteCommon

MUTE = ("odoo.models", "odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
T0 = datetime(2026, 3, 2, 9, 0)  # a Monday


class AutomationCommon(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Automation = cls.env["crm.automation"].with_user(cls.admin_user)
        cls.Run = cls.env["crm.automation.run"]
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.stage_new, cls.stage_qualified, cls.stage_proposition, cls.stage_won = cls.env["crm.stage"].create(
            [
                {"name": "A New", "sequence": 1},
                {"name": "A Qualified", "sequence": 2},
                {"name": "A Proposition", "sequence": 3},
                {"name": "A Won", "sequence": 4, "is_won": True},
            ]
        )
        cls.vip = cls.env["res.partner.category"].create({"name": "VIP"})
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Welcome",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "subject": "Welcome {{ object.name }}",
                "body_html": "<p>Hello <t t-out='object.name'/></p>",
                "use_default_to": True,
            }
        )

    def pipeline(self, steps, **vals):
        values = {
            "name": "Onboarding",
            "target_model": "res.partner",
            "user_id": self.admin_user.id,
            "step_ids": [Command.create({"name": f"Step {i}", **step}) for i, step in enumerate(steps, 1)],
        }
        values.update(vals)
        return self.Automation.create(values)

    def process(self):
        return self.Run._cron_process_due_runs()

    def reply_by_email(self, message, body, subject="Re: Our offer"):
        """``contact_a`` answers ``message`` through the mail gateway."""
        raw = (
            f"From: Lucía Fernández <{self.contact_a.email}>\r\n"
            "To: sales@example.com\r\n"
            f"Subject: {subject}\r\n"
            f"Message-ID: <reply-{message.id}@example.com>\r\n"
            f"In-Reply-To: {message.message_id}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}\r\n"
        )
        self.env["mail.thread"].message_process("crm.lead", raw)

    def runs(self, automation):
        return self.Run.search([("automation_id", "in", automation.ids)])


@tagged("post_install", "-at_install")
class TestAutomationEnrolment(AutomationCommon):
    def test_observer_enrols_records_created_through_the_orm(self):
        automation = self.pipeline(
            [{"action": "outreach", "delay": 1, "delay_unit": "days"}],
            trigger_create=True,
            domain="[('email', 'ilike', '@example.org')]",
        )
        with freeze_time(T0):
            ana, bob = (
                self.env["res.partner"]
                .with_user(self.manager)
                .create([{"name": "Ana", "email": "ana@example.org"}, {"name": "Bob", "email": "bob@example.net"}])
            )
        run = self.runs(automation)
        self.assertEqual(run.partner_id, ana)
        self.assertEqual((run.state, run.trigger, run.enrolled_by), ("running", "create", self.manager))
        self.assertEqual(run.next_due, T0 + timedelta(days=1))
        self.assertEqual(run.step_id, automation.step_ids)
        self.assertFalse(self.Run.search([("partner_id", "=", bob.id)]))

    def test_observer_enrols_records_created_through_the_import_path(self):
        automation = self.pipeline(
            [{"action": "outreach"}], trigger_create=True, domain="[('email', 'ilike', '@example.org')]"
        )
        result = (
            self.env["res.partner"]
            .with_user(self.manager)
            .load(
                ["name", "email"],
                [["Carla", "carla@example.org"], ["Dirk", "dirk@example.net"], ["Eva", "eva@example.org"]],
            )
        )
        self.assertFalse(result["messages"])
        runs = self.runs(automation)
        self.assertEqual(sorted(runs.partner_id.mapped("name")), ["Carla", "Eva"])

    def test_stage_change_enrols_deals(self):
        automation = self.pipeline(
            [{"action": "outreach"}], target_model="crm.lead", trigger_stage_id=self.stage_qualified.id
        )
        self.deal_contributor.with_user(self.contributor).stage_id = self.stage_new
        self.assertFalse(self.runs(automation))
        self.deal_contributor.with_user(self.contributor).stage_id = self.stage_qualified
        run = self.runs(automation)
        self.assertEqual((run.lead_id, run.trigger), (self.deal_contributor, "stage"))

    def test_never_enrolled_twice_at_once(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        first = automation._enrol(self.contact_a, "manual")
        again = automation._enrol(self.contact_a, "manual")
        self.assertTrue(first)
        self.assertFalse(again)
        # The database refuses it too, not only the Python check.
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "INSERT INTO crm_automation_run (automation_id, res_model, res_id, state, trigger)"
                " VALUES (%s, 'res.partner', %s, 'waiting', 'manual')",
                (automation.id, self.contact_a.id),
            )

    def test_reenrolment_policies(self):
        never = self.pipeline([{"action": "outreach"}])
        after = self.pipeline([{"action": "outreach"}], reenrol_policy="after_delay", reenrol_days=10)
        with freeze_time(T0):
            never._enrol(self.contact_a, "manual")
            after._enrol(self.contact_a, "manual")
            self.process()
        self.assertEqual(set(self.runs(never | after).mapped("state")), {"done"})
        with freeze_time(T0 + timedelta(days=5)):
            self.assertFalse(never._enrol(self.contact_a, "manual"))
            self.assertFalse(after._enrol(self.contact_a, "manual"))
        with freeze_time(T0 + timedelta(days=11)):
            self.assertFalse(never._enrol(self.contact_a, "manual"))
            self.assertTrue(after._enrol(self.contact_a, "manual"))

    def test_scheduled_sweep(self):
        automation = self.pipeline(
            [{"action": "outreach", "delay": 1}],
            trigger_sweep=True,
            sweep_interval=24,
            domain=f"[('parent_id', '=', {self.client_a.id})]",
        )
        with freeze_time(T0):
            self.env["crm.automation"]._cron_sweep()
        runs = self.runs(automation)
        self.assertEqual(runs.partner_id, self.client_a.child_ids)
        self.assertEqual(set(runs.mapped("trigger")), {"sweep"})
        self.env["res.partner"].create({"name": "Nuevo", "parent_id": self.client_a.id})
        with freeze_time(T0 + timedelta(hours=2)):
            self.env["crm.automation"]._cron_sweep()  # not due yet
        self.assertEqual(len(self.runs(automation)), len(runs))
        with freeze_time(T0 + timedelta(hours=25)):
            self.env["crm.automation"]._cron_sweep()
        self.assertEqual(len(self.runs(automation)), len(runs) + 1, "only the new contact")

    def test_manual_enrolment_from_list_and_form(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        partners = self.contact_a | self.contact_a_other
        wizard = (
            self.env["crm.automation.enrol"]
            .with_user(self.manager)
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create({"automation_id": automation.id})
        )
        self.assertEqual(wizard.record_count, 2)
        wizard.action_enrol()
        runs = self.runs(automation)
        self.assertEqual(runs.partner_id, partners)
        self.assertEqual(set(runs.mapped("enrolled_by")), {self.manager})
        self.assertEqual(self.contact_a.crm_automation_run_count, 1)

    @mute_logger(*MUTE)
    def test_guest_cannot_enrol(self):
        automation = self.pipeline([{"action": "outreach"}])
        with self.assertRaises(AccessError):
            self.env["crm.automation.enrol"].with_user(self.guest).with_context(
                active_model="res.partner", active_ids=self.contact_a.ids
            ).create({"automation_id": automation.id})


@tagged("post_install", "-at_install")
class TestAutomationSteps(AutomationCommon):
    def test_delays_move_the_run_along_as_time_passes(self):
        automation = self.pipeline(
            [
                {"action": "activity", "activity_type_id": self.todo.id, "delay": 1, "delay_unit": "days"},
                {"action": "outreach", "outreach_channel": "call", "delay": 2, "delay_unit": "hours"},
                {
                    "action": "tags",
                    "partner_category_ids": [Command.set(self.vip.ids)],
                    "delay": 1,
                    "delay_unit": "weeks",
                },
            ]
        )
        first, second, third = automation.step_ids
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
        with freeze_time(T0 + timedelta(hours=23)):
            self.assertEqual(self.process(), 0)
        self.assertEqual(run.step_id, first)
        with freeze_time(T0 + timedelta(days=1)):
            self.process()
        activity = self.contact_a.activity_ids
        self.assertEqual((activity.activity_type_id, activity.user_id), (self.todo, self.contributor))
        self.assertEqual((run.step_id, run.next_due), (second, T0 + timedelta(days=1, hours=2)))
        with freeze_time(T0 + timedelta(days=1, hours=2)):
            self.process()
        outreach = self.env["crm.outreach"].search([("automation_run_id", "=", run.id)])
        self.assertEqual((outreach.channel, outreach.outcome, outreach.partner_id), ("call", "planned", self.contact_a))
        self.assertIn("task", self.contact_a.message_ids[0].body)
        self.assertEqual(run.step_id, third)
        with freeze_time(T0 + timedelta(days=8, hours=2)):
            self.process()
        self.assertIn(self.vip, self.contact_a.category_id)
        self.assertEqual((run.state, run.next_due), ("done", False))
        self.assertEqual(run.log_ids.mapped("result"), ["done"] * 3)

    def test_business_hours_push_the_step_to_the_next_working_hour(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1, "delay_unit": "days", "business_hours": True}])
        saturday = datetime(2026, 3, 7, 10, 0)
        with freeze_time(saturday):
            run = automation._enrol(self.contact_a, "manual")
        self.assertGreater(run.next_due, saturday + timedelta(days=1))
        self.assertLess(run.next_due.weekday(), 5)
        self.assertEqual(run.next_due.date(), datetime(2026, 3, 9).date())

    def test_email_step_queues_the_template_logs_and_honours_do_not_email(self):
        automation = self.pipeline([{"action": "email", "mail_template_id": self.template.id}], exit_on_optout=False)
        self.contact_a_other.crm_no_email = True
        with freeze_time(T0):
            runs = automation._enrol(self.contact_a | self.contact_a_other, "manual")
            self.process()
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.contact_a.ids)])
        self.assertEqual(mail.state, "outgoing", "sent through the mail queue")
        self.assertEqual(mail.subject, "Welcome Lucía Fernández")
        # A message of the contact's thread, by the Runs As user, seen as contacting the contact.
        self.assertEqual(
            (mail.mail_message_id.model, mail.mail_message_id.res_id, mail.author_id),
            ("res.partner", self.contact_a.id, self.admin_user.partner_id),
        )
        self.assertTrue(self.contact_a.message_ids.filtered(lambda m: m.subject == "Welcome Lucía Fernández"))
        self.assertEqual(self.contact_a.crm_last_contacted, T0)
        self.assertFalse(self.contact_a_other.crm_last_contacted)
        outreach = self.env["crm.outreach"].search([("automation_run_id", "in", runs.ids)])
        self.assertEqual((outreach.partner_id, outreach.channel), (self.contact_a, "email"))
        self.assertFalse(self.env["mail.mail"].search([("recipient_ids", "in", self.contact_a_other.ids)]))
        skipped = runs.filtered(lambda r: r.partner_id == self.contact_a_other).log_ids
        self.assertEqual(skipped.result, "skipped")
        self.assertIn("may not be emailed", skipped.message)

    def test_deal_steps_stage_round_robin_tags_field_notify(self):
        tag = self.env["crm.tag"].create({"name": "Hot"})
        automation = self.pipeline(
            [
                {"action": "stage", "stage_id": self.stage_proposition.id},
                {"action": "assign", "assign_mode": "round_robin", "assign_team_id": self.team_a.id},
                {"action": "tags", "lead_tag_ids": [Command.set(tag.ids)]},
                {
                    "action": "set_field",
                    "field_id": self.env["ir.model.fields"]._get("crm.lead", "expected_revenue").id,
                    "field_value": "4200.5",
                },
                {
                    "action": "notify",
                    "notify_user_ids": [Command.set(self.manager.ids)],
                    "notify_body": "Look at this",
                },
            ],
            target_model="crm.lead",
        )
        deals = self.deal_contributor | self.deal_manager
        with freeze_time(T0):
            runs = automation._enrol(deals, "manual")
            self.process()
        self.assertEqual(set(runs.mapped("state")), {"done"})
        self.assertEqual(set(deals.mapped("stage_id")), {self.stage_proposition})
        self.assertEqual(deals.user_id, self.manager | self.contributor, "round robin spreads the deals")
        self.assertEqual(set(deals.mapped("expected_revenue")), {4200.5})
        self.assertTrue(all(tag in deal.tag_ids for deal in deals))
        note = self.deal_contributor.message_ids.filtered(lambda m: "Look at this" in m.body)
        self.assertIn(self.manager.partner_id, note.partner_ids)
        self.assertIn("@Ccs Manager", note.body)

    def test_set_field_validates_the_value(self):
        field = self.env["ir.model.fields"]._get("res.partner", "color")
        with self.assertRaises(ValidationError):
            self.pipeline([{"action": "set_field", "field_id": field.id, "field_value": "many"}])
        automation = self.pipeline([{"action": "set_field", "field_id": field.id, "field_value": "7"}])
        automation._enrol(self.contact_a, "manual")
        self.process()
        self.assertEqual(self.contact_a.color, 7)

    def test_set_field_writes_custom_fields(self):
        self.env["ir.model.fields"].create(
            {
                "name": "x_segment",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "ttype": "char",
                "field_description": "Segment",
            }
        )
        field = self.env["ir.model.fields"]._get("res.partner", "x_segment")
        automation = self.pipeline([{"action": "set_field", "field_id": field.id, "field_value": "Enterprise"}])
        automation._enrol(self.contact_a, "manual")
        self.process()
        self.assertEqual(self.contact_a.x_segment, "Enterprise")

    def test_wait_until_condition_with_timeout(self):
        automation = self.pipeline(
            [
                {
                    "action": "wait",
                    "wait_domain": "[('function', '=', 'CEO')]",
                    "wait_timeout": 2,
                    "wait_timeout_unit": "days",
                },
                {"action": "outreach"},
            ]
        )
        with freeze_time(T0):
            runs = automation._enrol(self.contact_a | self.contact_a_other, "manual")
            self.process()
        self.assertEqual(set(runs.mapped("state")), {"waiting"})
        self.contact_a.function = "CEO"
        with freeze_time(T0 + timedelta(minutes=20)):
            self.process()
        met = runs.filtered(lambda r: r.partner_id == self.contact_a)
        self.assertEqual(met.state, "done")
        self.assertEqual((runs - met).state, "waiting")
        with freeze_time(T0 + timedelta(days=2, minutes=1)):
            self.process()
        self.assertEqual((runs - met).state, "done")
        self.assertIn("Condition not met in time; going on.", (runs - met).log_ids.mapped("message"))

    def test_start_another_pipeline(self):
        follow_up = self.pipeline([{"action": "outreach", "delay": 3}], name="Follow-up")
        automation = self.pipeline([{"action": "start", "next_automation_id": follow_up.id}])
        run = automation._enrol(self.contact_a, "manual")
        self.process()
        child = self.runs(follow_up)
        self.assertEqual((child.partner_id, child.trigger, child.parent_run_id), (self.contact_a, "pipeline", run))

    def test_steps_execute_with_the_rights_of_runs_as(self):
        # Runs As a contributor: the deal of another team is out of reach, the step fails.
        automation = self.pipeline(
            [{"action": "stage", "stage_id": self.stage_qualified.id}],
            target_model="crm.lead",
            user_id=self.contributor.id,
            max_attempts=1,
        )
        runs = automation._enrol(self.deal_contributor | self.deal_b, "manual")
        self.process()
        self.assertEqual(self.deal_contributor.stage_id, self.stage_qualified)
        self.assertNotEqual(self.deal_b.stage_id, self.stage_qualified)
        failed = runs.filtered(lambda r: r.lead_id == self.deal_b)
        self.assertEqual(failed.state, "failed")
        self.assertIn("AccessError", failed.log_ids.error)


@tagged("post_install", "-at_install")
class TestAutomationExits(AutomationCommon):
    def deal_pipeline(self, **vals):
        return self.pipeline([{"action": "outreach", "delay": 1}], target_model="crm.lead", **vals)

    def test_exit_when_deal_won_or_lost(self):
        automation = self.deal_pipeline()
        runs = automation._enrol(self.deal_contributor | self.deal_manager, "manual")
        won = runs.filtered(lambda r: r.lead_id == self.deal_contributor)
        lost = runs - won
        self.deal_contributor.with_user(self.contributor).action_set_won()
        self.deal_manager.with_user(self.manager).action_set_lost()
        self.assertEqual((won.state, won.exit_reason), ("exited", "won"))
        self.assertEqual((lost.state, lost.exit_reason), ("exited", "lost"))

    def test_exit_when_deal_reaches_stage(self):
        automation = self.deal_pipeline(exit_stage_ids=[Command.set(self.stage_proposition.ids)])
        run = automation._enrol(self.deal_contributor, "manual")
        self.deal_contributor.stage_id = self.stage_qualified
        self.assertEqual(run.state, "running")
        self.deal_contributor.stage_id = self.stage_proposition
        self.assertEqual((run.state, run.exit_reason), ("exited", "stage"))

    def test_exit_on_opt_out_and_blacklist(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        runs = automation._enrol(self.contact_a | self.contact_a_other, "manual")
        opted = runs.filtered(lambda r: r.partner_id == self.contact_a)
        listed = runs - opted
        self.contact_a.crm_no_email = True
        self.env["mail.blacklist"]._add(self.contact_a_other.email)
        self.assertEqual((opted.state, opted.exit_reason), ("exited", "optout"))
        self.assertEqual((listed.state, listed.exit_reason), ("exited", "optout"))

    def test_exit_checked_before_each_step(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
        # Blacklisted behind the ORM's back: no triggering event, the cron sees it.
        self.env.cr.execute(
            "INSERT INTO mail_blacklist (email, active) VALUES (%s, true)", (self.contact_a.email_normalized,)
        )
        self.env["mail.blacklist"].invalidate_model()
        self.contact_a.invalidate_recordset()
        with freeze_time(T0 + timedelta(days=1)):
            self.process()
        self.assertEqual((run.state, run.exit_reason), ("exited", "optout"))
        self.assertFalse(self.env["crm.outreach"].search([("automation_run_id", "=", run.id)]))

    def test_exit_when_archived_or_deleted(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        runs = automation._enrol(self.contact_a | self.contact_a_other, "manual")
        archived = runs.filtered(lambda r: r.partner_id == self.contact_a)
        deleted = runs - archived
        self.contact_a.action_archive()
        self.contact_a_other.unlink()
        self.assertEqual((archived.state, archived.exit_reason), ("exited", "archived"))
        self.assertEqual((deleted.state, deleted.exit_reason), ("exited", "deleted"))
        self.assertIn("Deleted record", deleted.record_name)

    def test_exit_when_stopped_by_hand(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        run = automation._enrol(self.contact_a, "manual")
        run.with_user(self.manager).action_stop()
        self.assertEqual((run.state, run.exit_reason), ("exited", "manual"))
        self.assertEqual(run.log_ids.result, "exit")

    @mute_logger(*MUTE)
    def test_contributor_cannot_stop_a_run(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        run = automation._enrol(self.contact_a, "manual")
        with self.assertRaises(AccessError):
            run.with_user(self.contributor).action_stop()
        self.assertEqual(run.state, "running")

    def test_exit_when_the_contact_replies_through_the_mail_gateway(self):
        automation = self.deal_pipeline()
        run = automation._enrol(self.deal_contributor, "manual")
        self.deal_contributor.partner_id = self.contact_a
        self.assertEqual(run.state, "running")
        sent = self.deal_contributor.message_post(
            body="Our offer",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.contact_a.ids,
        )
        self.reply_by_email(sent, "Interested, call me.")
        self.assertEqual((run.state, run.exit_reason), ("exited", "replied"))

    def test_archiving_the_pipeline_cancels_its_runs(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}])
        run = automation._enrol(self.contact_a, "manual")
        automation.action_archive()
        self.assertEqual(run.state, "cancelled")


@tagged("post_install", "-at_install")
class TestAutomationProcessing(AutomationCommon):
    def test_failure_is_isolated_retried_with_backoff_then_failed(self):
        automation = self.pipeline([{"action": "outreach"}, {"action": "outreach", "delay": 1}], max_attempts=3)
        partners = self.contact_a | self.contact_a_other | self.client_a
        bad = self.contact_a_other
        origin = CrmAutomationStep._execute_outreach

        def flaky(step, runs, records):
            if bad in records:
                raise ValueError("CRM system unreachable")
            return origin(step, runs, records)

        with freeze_time(T0):
            runs = automation._enrol(partners, "manual")
        bad_run = runs.filtered(lambda r: r.partner_id == bad)
        with (
            patch.object(CrmAutomationStep, "_execute_outreach", flaky),
            mute_logger("odoo.addons.crm_client_suite.models.crm_automation_run"),
        ):
            with freeze_time(T0):
                self.process()
            self.assertEqual((runs - bad_run).step_id, automation.step_ids[1], "the others went on")
            self.assertEqual((bad_run.attempt, bad_run.next_due), (1, T0 + timedelta(minutes=5)))
            self.assertEqual(bad_run.log_ids.result, "error")
            with freeze_time(T0 + timedelta(minutes=5)):
                self.process()
            self.assertEqual((bad_run.state, bad_run.next_due), ("running", T0 + timedelta(minutes=15)))
            with freeze_time(T0 + timedelta(minutes=15)):
                self.process()
        self.assertEqual(bad_run.state, "failed")
        self.assertIn("CRM system unreachable", bad_run.last_error)
        self.assertEqual(bad_run.log_ids.mapped("result"), ["failed", "error", "error"])
        self.assertEqual(self.env["crm.outreach"].search_count([("automation_run_id", "=", bad_run.id)]), 0)
        self.assertEqual(automation.failed_run_count, 1)

    def test_batches_are_bounded(self):
        automation = self.pipeline([{"action": "outreach"}])
        partners = self.env["res.partner"].create([{"name": f"P{i}"} for i in range(7)])
        runs = automation._enrol(partners, "manual")
        with patch.object(type(self.Run), "_process", autospec=True, side_effect=type(self.Run)._process) as process:
            self.Run._cron_process_due_runs(batch_size=3)
        self.assertEqual([len(call.args[0]) for call in process.call_args_list], [3, 3, 1])
        self.assertEqual(set(runs.mapped("state")), {"done"})

    def test_statistics(self):
        automation = self.pipeline([{"action": "outreach", "delay": 1}], target_model="crm.lead")
        deals = self.deal_contributor | self.deal_manager | self.deal_b
        automation._enrol(deals, "manual")
        self.deal_contributor.action_set_won()
        self.deal_manager.action_set_lost()
        automation.invalidate_recordset()
        self.assertEqual(
            (
                automation.run_count,
                automation.active_run_count,
                automation.exited_run_count,
                automation.won_count,
            ),
            (3, 1, 2, 1),
        )
        self.assertIn("Deal won: 1", automation.exit_summary)

    def test_test_mode_shows_without_doing(self):
        automation = self.pipeline(
            [
                {"action": "email", "mail_template_id": self.template.id, "delay": 1},
                {"action": "activity", "activity_type_id": self.todo.id, "delay": 2},
            ]
        )
        self.contact_a_other.crm_no_email = True
        with freeze_time(T0):
            action = automation.with_user(self.manager).action_test()
            form = Form(self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"]))
            form.partner_id = self.contact_a
            html = str(form.result_html)
            form.partner_id = self.contact_a_other
            html_other = str(form.result_html)
        self.assertIn(self.contact_a.email, html)
        self.assertIn("Schedule To-Do for Ccs Contributor", html)
        self.assertIn("2026-03-03 09:00:00", html)
        self.assertIn("Skip", html_other)
        self.assertFalse(self.runs(automation))
        self.assertFalse(self.contact_a.activity_ids)
        self.assertFalse(self.env["mail.mail"].search([("recipient_ids", "in", self.contact_a.ids)]))


@tagged("post_install", "-at_install")
class TestAutomationAccess(AutomationCommon):
    @mute_logger(*MUTE)
    def test_only_admins_and_managers_edit_pipelines(self):
        automation = self.pipeline([{"action": "outreach"}])
        automation.with_user(self.manager).name = "Renamed by a manager"
        self.assertEqual(automation.with_user(self.contributor).name, "Renamed by a manager")
        with self.assertRaises(AccessError):
            automation.with_user(self.contributor).name = "Nope"
        with self.assertRaises(AccessError):
            self.env["crm.automation"].with_user(self.contributor).create(
                {"name": "Mine", "target_model": "res.partner"}
            )
        with self.assertRaises(AccessError):
            automation.with_user(self.guest).read(["name"])

    @mute_logger(*MUTE)
    def test_contributors_see_the_runs_of_records_they_see(self):
        contacts = self.pipeline([{"action": "outreach", "delay": 1}])
        deals = self.pipeline([{"action": "outreach", "delay": 1}], target_model="crm.lead")
        runs = contacts._enrol(self.contact_a | self.contact_b, "manual") | deals._enrol(
            self.deal_contributor | self.deal_b, "manual"
        )
        visible = self.Run.with_user(self.contributor).search([("id", "in", runs.ids)])
        self.assertEqual(visible.partner_id, self.contact_a)
        self.assertEqual(visible.lead_id, self.deal_contributor)
        self.assertEqual(len(self.env["crm.automation.run.step"].with_user(self.contributor).search([])), 0)
        manager_visible = self.Run.with_user(self.manager).search([("id", "in", runs.ids)])
        self.assertEqual(manager_visible.lead_id, self.deal_contributor)
        self.assertEqual(len(manager_visible), 3)
        with self.assertRaises(AccessError):
            self.Run.with_user(self.guest).search([])

    def test_team_isolation_hides_other_teams_runs_and_outreach(self):
        contacts = self.pipeline([{"action": "outreach", "delay": 1}])
        runs = contacts._enrol(self.contact_a | self.contact_b, "manual")
        outreach = self.env["crm.outreach"].create(
            [
                {"summary": "Llamar a Lucía", "partner_id": self.contact_a.id, "user_id": self.manager.id},
                {"summary": "Jonas anrufen", "partner_id": self.contact_b.id, "user_id": self.manager.id},
            ]
        )
        self.assertEqual(len(self.Run.with_user(self.manager).search([("id", "in", runs.ids)])), 2)
        self.set_team_isolation(True)
        self.assertEqual(self.Run.with_user(self.manager).search([("id", "in", runs.ids)]).partner_id, self.contact_a)
        seen = self.env["crm.outreach"].with_user(self.manager).search([("id", "in", outreach.ids)])
        self.assertEqual(seen.partner_id, self.contact_a)
        self.assertEqual(self.Run.with_user(self.admin_user).search_count([("id", "in", runs.ids)]), 2)

    @mute_logger(*MUTE)
    def test_outreach_contributor_own(self):
        Outreach = self.env["crm.outreach"]
        mine = Outreach.with_user(self.contributor).create(
            {"summary": "Call Lucía", "partner_id": self.contact_a.id, "channel": "call"}
        )
        other = Outreach.create(
            {"summary": "Call Jonas", "partner_id": self.contact_b.id, "user_id": self.contributor_b.id}
        )
        self.assertEqual(Outreach.with_user(self.contributor).search([("id", "in", (mine | other).ids)]), mine)
        self.assertEqual(Outreach.with_user(self.manager).search_count([("id", "in", (mine | other).ids)]), 2)
        with self.assertRaises(AccessError):
            other.with_user(self.contributor).summary = "Mine now"
        with self.assertRaises(AccessError):
            Outreach.with_user(self.guest).search([])
