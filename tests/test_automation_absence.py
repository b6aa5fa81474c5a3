import time
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.crm_client_suite.models.crm_automation_absence import CrmAutomationEmail

from .common import TwoCursorCase
from .test_automation import T0
from .test_automation_tracking import OFFER, PRICING, TrackingCommon

DUE = T0 + timedelta(days=3, minutes=1)


@tagged("post_install", "-at_install")
class TestAbsenceTriggers(TrackingCommon):
    """Enrolment on an automation email not opened, or not clicked, within N days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact_c = cls.env["res.partner"].create(
            {"name": "Ana Gómez", "parent_id": cls.client_a.id, "email": "ana@construcciones-ibericas.example.com"}
        )

    def newsletter(self, target_model="res.partner"):
        template = self.template if target_model == "res.partner" else self.deal_template
        return self.pipeline(
            [{"action": "email", "mail_template_id": template.id}], name="Newsletter", target_model=target_model
        )

    def nudge(self, source, trigger="not_opened", days=3, **vals):
        """A pipeline enrolling on ``source``'s emails left alone for ``days``;
        it could enrol a record again once its run ended, so only the trigger's
        own bookkeeping keeps it from firing twice for one email."""
        vals.setdefault("name", "Nudge")
        return self.pipeline(
            [{"action": "outreach", "outreach_channel": "call"}],
            trigger_behaviour=trigger,
            trigger_days=days,
            trigger_source_automation_id=source.id,
            reenrol_policy="after_end",
            **vals,
        )

    def send(self, source, records):
        """``source`` emails ``records``, and the emails go out."""
        source._enrol(records, "manual")
        self.process()
        mails = self.env["mail.mail"].sudo().search([("model", "=", records._name), ("res_id", "in", records.ids)])
        mails.write({"state": "sent"})
        return mails

    def test_not_opened_in_3_days_enrols_once_per_email(self):
        contacts = self.contact_a | self.contact_c
        with freeze_time(T0):
            source = self.newsletter()
            nudge = self.nudge(source)
            self.send(source, contacts)
        with freeze_time(T0 + timedelta(days=1)):
            self.open_mail(self.mail_of(self.contact_c))
        with freeze_time(T0 + timedelta(days=2, hours=23)):
            self.process()
        self.assertFalse(self.runs(nudge), "within the 3 days nobody is enrolled")
        with freeze_time(DUE):
            self.process()
        run = self.runs(nudge)
        self.assertEqual(run.partner_id, self.contact_a, "only the contact who did not open")
        self.assertEqual(
            (run.trigger, run.enrol_reason), ("behaviour", "Did not open Newsletter's email within 3 days")
        )
        self.assertEqual(run.state, "done", "enrolled and executed by the same cron call")
        with freeze_time(DUE + timedelta(days=5)):
            self.process()
        self.assertEqual(len(self.runs(nudge)), 1, "never twice for the same email")
        # A second email of the newsletter is another email.
        with freeze_time(T0 + timedelta(days=10)):
            source.reenrol_policy = "after_end"
            self.send(source, self.contact_a)
        with freeze_time(T0 + timedelta(days=14)):
            self.process()
        self.assertEqual(len(self.runs(nudge).filtered(lambda r: r.partner_id == self.contact_a)), 2)

    def test_an_open_after_the_days_but_before_the_check_prevents_it(self):
        with freeze_time(T0):
            source = self.newsletter()
            nudge = self.nudge(source)
            self.send(source, self.contact_a)
        with freeze_time(T0 + timedelta(days=3, hours=5)):
            self.open_mail(self.mail_of(self.contact_a))
            self.process()
        self.assertFalse(self.runs(nudge))

    def test_bounced_failed_or_queued_emails_never_fire(self):
        contacts = self.contact_a | self.contact_c | self.contact_a_other
        with freeze_time(T0):
            source = self.newsletter()
            nudge = self.nudge(source)
            mails = self.send(source, contacts)
        bounced, failed, queued = (mails.filtered(lambda m, c=contact: m.res_id == c.id) for contact in contacts)
        # A bounce comes back through the mail gateway.
        message = bounced.mail_message_id
        self.env["mail.thread"]._routing_handle_bounce(
            None,
            {
                "bounced_email": self.contact_a.email_normalized,
                "bounced_partner": self.contact_a,
                "bounced_msg_ids": [message.message_id],
                "bounced_message": message,
                "message_id": "<bounce-1@example.com>",
                "email_from": "mailer-daemon@example.com",
                "to": "bounce@example.com",
                "body": "User unknown",
            },
        )
        failed.write({"state": "exception", "failure_reason": "Refused"})
        queued.write({"state": "outgoing"})
        with freeze_time(DUE):
            self.process()
        self.assertFalse(self.runs(nudge))
        # The queued one goes out late: its days are counted from the email.
        queued.write({"state": "sent"})
        with freeze_time(DUE + timedelta(hours=1)):
            self.process()
        self.assertEqual(self.runs(nudge).partner_id, self.contact_a_other)

    def test_a_not_opened_condition_takes_the_else_path_for_a_bounced_email(self):
        automation = self.email_pipeline({"condition": "not_opened", "condition_days": 3})
        with freeze_time(T0):
            run = automation._enrol(self.contact_a, "manual")
            self.process()
            self.process()
        self.assertEqual(run.state, "waiting", "not opened yet: wait for the 3 days")
        with freeze_time(T0 + timedelta(hours=2)):
            self.mail_of(self.contact_a).write({"state": "exception", "failure_reason": "Mailbox unavailable"})
            run.next_due = fields.Datetime.now()
            self.process()
        self.assertEqual(run.state, "done", "the email never arrived: decided at once")
        executed = run.log_ids.filtered(lambda log: log.result == "done").step_id
        self.assertEqual(executed, automation.step_ids[0] | automation.step_ids[3], "the Else path")
        self.assertFalse(self.activities(self.contact_a))

    def test_not_clicked_any_link_or_a_given_one(self):
        with freeze_time(T0):
            source = self.newsletter()
            any_link = self.nudge(source, trigger="not_clicked", days=2)
            pricing = self.nudge(source, trigger="not_clicked", days=2, name="Pricing nudge", trigger_url=PRICING)
            self.send(source, self.contact_a | self.contact_c)
        with freeze_time(T0 + timedelta(days=1)):
            self.click(self.mail_of(self.contact_a), OFFER)
        with freeze_time(T0 + timedelta(days=2, minutes=1)):
            self.process()
        self.assertEqual(self.runs(any_link).partner_id, self.contact_c, "contact A clicked a link")
        self.assertEqual(
            self.runs(pricing).partner_id, self.contact_a | self.contact_c, "nobody clicked the pricing link"
        )
        self.assertIn("Did not click", self.runs(pricing)[:1].enrol_reason)

    def test_deals_are_enrolled_on_their_own_emails(self):
        deal = self.deal_contributor
        with freeze_time(T0):
            source = self.newsletter("crm.lead")
            nudge = self.nudge(source, target_model="crm.lead")
            self.send(source, deal)
        with freeze_time(DUE):
            self.process()
        self.assertEqual(self.runs(nudge).lead_id, deal)

    def test_emails_sent_before_the_trigger_was_set_are_not_watched(self):
        with freeze_time(T0):
            source = self.newsletter()
            nudge = self.nudge(source, trigger="opened")
            self.send(source, self.contact_a)
        with freeze_time(T0 + timedelta(days=1)):
            nudge.trigger_behaviour = "not_opened"
            self.assertEqual(nudge.trigger_absence_since, T0 + timedelta(days=1))
            self.send(source.copy({"name": "Second"}), self.contact_c)
        with freeze_time(T0 + timedelta(days=10)):
            self.process()
        self.assertEqual(
            self.runs(nudge).partner_id, self.env["res.partner"], "only the source's emails, sent since then"
        )
        nudge.trigger_source_automation_id = False
        with freeze_time(T0 + timedelta(days=10, hours=1)):
            self.process()
        self.assertEqual(self.runs(nudge).partner_id, self.contact_c, "any pipeline's email, sent since then")

    def test_within_days_is_required(self):
        source = self.newsletter()
        with self.assertRaisesRegex(ValidationError, "set within how many days"):
            self.nudge(source, days=0)

    def test_a_batch_of_11_emails_costs_no_more_queries_than_1(self):
        contacts = self.env["res.partner"].create(
            [{"name": f"Batch {i}", "email": f"absence{i}@example.com"} for i in range(12)]
        )
        with freeze_time(T0):
            source = self.newsletter()
            nudge = self.nudge(source)
            self.send(source, contacts[:1])
        with freeze_time(T0 + timedelta(hours=2)):
            self.send(source, contacts[1:])

        def check(when):
            with freeze_time(when):
                self.env.invalidate_all()
                before = self.env.cr.sql_log_count
                self.env["crm.automation"]._crm_cron_absence()
                return self.env.cr.sql_log_count - before

        queries_one = check(DUE)
        self.assertEqual(self.runs(nudge).partner_id, contacts[:1])
        queries_many = check(DUE + timedelta(hours=2))
        self.assertEqual(self.runs(nudge).partner_id, contacts)
        self.assertLessEqual(queries_many, queries_one, "no query per email")


@tagged("post_install", "-at_install")
class TestAbsenceTriggerConcurrency(TwoCursorCase):
    """Two cron workers on two real cursors check the same emails: each
    (email, pipeline) is decided once and each contact enrolled once."""

    EMAILS = 20

    def setUp(self):
        super().setUp()
        sent = fields.Datetime.now() - timedelta(days=4)
        with self.committed_env({"tracking_disable": True}) as env:
            admin = env.ref("base.user_admin")
            partners = env["res.partner"].create(
                [{"name": f"Absence {i}", "email": f"absence-cc{i}@example.org"} for i in range(self.EMAILS)]
            )
            source, nudge = env["crm.automation"].create(
                [
                    {"name": "Absence source", "user_id": admin.id},
                    {
                        "name": "Absence nudge",
                        "user_id": admin.id,
                        "trigger_behaviour": "not_opened",
                        "trigger_days": 3,
                        "step_ids": [Command.create({"name": "Call", "action": "outreach"})],
                    },
                ]
            )
            nudge.trigger_absence_since = sent - timedelta(days=1)
            runs = source._enrol(partners, "manual")
            messages = env["mail.message"].create(
                [
                    {"model": "res.partner", "res_id": p.id, "message_type": "email_outgoing", "body": "Hello"}
                    for p in partners
                ]
            )
            env["crm.automation.email"].create(
                [
                    {
                        "run_id": run.id,
                        "automation_id": source.id,
                        "message_id": message.id,
                        "partner_id": run.partner_id.id,
                        "date": sent,
                    }
                    for run, message in zip(runs, messages, strict=True)
                ]
            )
            self.partner_ids, self.automation_ids = partners.ids, (source | nudge).ids
            self.message_ids = messages.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["crm.automation"].browse(self.automation_ids).unlink()
            env["mail.message"].browse(self.message_ids).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()

    def test_two_workers_decide_each_email_once(self):
        origin = CrmAutomationEmail._crm_decide

        def slow(emails, automations):
            time.sleep(0.05)  # both workers hold a batch at once
            return origin(emails, automations)

        with patch.object(CrmAutomationEmail, "_crm_decide", slow):
            decided = self.run_workers(lambda env: env["crm.automation"]._crm_cron_absence(batch_size=3))
        self.assertEqual(sum(decided), self.EMAILS, "each email decided once between the two workers")
        self.assertTrue(all(decided), f"both workers took batches: {decided}")
        with self.committed_env() as env:
            runs = env["crm.automation.run"].search([("automation_id", "=", self.automation_ids[1])])
            self.assertEqual(sorted(runs.partner_id.ids), sorted(self.partner_ids))
            self.assertEqual(len(runs), self.EMAILS, "each contact enrolled once")
            env.cr.execute(
                "SELECT count(*) FROM crm_automation_email_decided_rel WHERE automation_id = %s",
                [self.automation_ids[1]],
            )
            self.assertEqual(env.cr.fetchone()[0], self.EMAILS)
