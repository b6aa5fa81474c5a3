import time
from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2.extensions import TransactionRollbackError

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import Form, tagged, users

from odoo.addons.crm_client_suite.models.crm_activity_reminder import CrmActivityReminder

from .common import CrmClientSuiteCommon, TwoCursorCase


@tagged("post_install", "-at_install")
class TestActivityTypes(CrmClientSuiteCommon):
    def test_the_five_types_are_available(self):
        ref = self.env.ref
        types = {
            "Email": ref("mail.mail_activity_data_email"),
            "Chat": ref("crm_client_suite.mail_activity_type_chat"),
            "Ticket": ref("crm_client_suite.mail_activity_type_ticket"),
            "Call": ref("mail.mail_activity_data_call"),
            "Meeting": ref("mail.mail_activity_data_meeting"),
        }
        self.assertEqual({name: t.name for name, t in types.items()}, {name: name for name in types})
        self.assertEqual(types["Call"].category, "phonecall")
        self.assertEqual(types["Meeting"].category, "meeting")
        self.assertEqual(types["Chat"].icon, "fa-comments")
        self.assertEqual(types["Ticket"].icon, "fa-ticket")

    @users("ccs_contributor")
    @freeze_time("2026-03-02 10:00:00")
    def test_each_type_brings_its_summary_and_delay(self):
        Activity = self.env["mail.activity"].with_context(
            default_res_model="res.partner",
            default_res_id=self.contact_a.id,
            default_res_model_id=self.env["ir.model"]._get_id("res.partner"),
        )
        expected = {
            "mail.mail_activity_data_email": ("Send a follow-up email", date(2026, 3, 3)),
            "crm_client_suite.mail_activity_type_chat": ("Chat follow-up", date(2026, 3, 3)),
            "crm_client_suite.mail_activity_type_ticket": ("Handle the ticket", date(2026, 3, 4)),
            "mail.mail_activity_data_call": ("Follow-up call", date(2026, 3, 4)),
            "mail.mail_activity_data_meeting": ("Meeting with the client", date(2026, 3, 5)),
        }
        for xmlid, (summary, deadline) in expected.items():
            with self.subTest(type=xmlid), Form(Activity, view="mail.mail_activity_view_form_popup") as form:
                form.activity_type_id = self.env.ref(xmlid)
                self.assertEqual((form.summary, form.date_deadline), (summary, deadline))

    def test_adopted_types_speak_each_language_and_keep_an_admin_summary(self):
        self.env["res.lang"]._activate_lang("de_DE")
        email = self.env.ref("mail.mail_activity_data_email")
        call = self.env.ref("mail.mail_activity_data_call")
        call.with_context(lang="en_US").summary = "Llamar al cliente"
        # As if German were installed after the add-on: no German summary yet.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mail_activity_type SET summary = summary - 'de_DE' WHERE id IN %s", [(email.id, call.id)]
        )
        self.env.invalidate_all()
        # Installing it loads its terms: they bring the add-on's summary, not over the Admin's.
        self.env["ir.module.module"]._load_module_terms(["crm_client_suite"], ["de_DE"])
        self.assertEqual(email.with_context(lang="de_DE").summary, "Folge-E-Mail senden")
        self.assertEqual(call.with_context(lang="de_DE").summary, "Llamar al cliente")

    @users("ccs_contributor")
    def test_done_activity_keeps_its_type(self):
        contact = self.contact_a.with_env(self.env)
        ticket = contact.activity_schedule("crm_client_suite.mail_activity_type_ticket", user_id=self.env.uid)
        ticket.action_feedback(feedback="Resuelto")
        done = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", contact.id)], limit=1)
        self.assertEqual(done.mail_activity_type_id, self.env.ref("crm_client_suite.mail_activity_type_ticket"))


@tagged("post_install", "-at_install")
class TestActivityReminders(CrmClientSuiteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contributor.write({"tz": "Europe/Madrid", "notification_type": "inbox"})
        cls.manager.write({"tz": "UTC", "notification_type": "email"})

    def schedule(self, user, deadline, **reminder):
        activity = self.contact_a.activity_schedule(
            "crm_client_suite.mail_activity_type_chat", date_deadline=deadline, user_id=user.id
        )
        activity.crm_reminder_ids = [fields.Command.create(reminder)]
        return activity

    def notifications(self, user):
        return self.env["mail.notification"].search(
            [("res_partner_id", "=", user.partner_id.id), ("mail_message_id.subject", "like", "Reminder:")]
        )

    def test_due_time_counts_back_from_the_deadline_in_the_assignee_time_zone(self):
        activity = self.schedule(self.contributor, date(2026, 3, 10), interval_number=2, interval_unit="hours")
        # 09:00 in Madrid (UTC+1 in March) is 08:00 UTC; two hours before: 06:00 UTC.
        self.assertEqual(activity.crm_reminder_ids.date_due, datetime(2026, 3, 10, 6, 0))

    def test_delivered_once_in_the_inbox_or_by_email_as_preferred(self):
        inbox = self.schedule(self.contributor, date(2026, 3, 10), interval_number=1, interval_unit="days")
        email = self.schedule(self.manager, date(2026, 3, 10), interval_number=30, interval_unit="minutes")
        Reminder = self.env["crm.activity.reminder"]
        with freeze_time("2026-03-09 07:59:00"):
            self.assertEqual(Reminder._cron_send_due(), 0)
        with freeze_time("2026-03-10 08:40:00"):
            self.assertEqual(Reminder._cron_send_due(), 2)
            self.assertEqual(Reminder._cron_send_due(), 0)
        self.assertEqual(self.notifications(self.contributor).notification_type, "inbox")
        self.assertEqual(self.notifications(self.manager).notification_type, "email")
        self.assertTrue(inbox.crm_reminder_ids.sent_date and email.crm_reminder_ids.sent_date)

    def test_moved_deadline_is_followed(self):
        activity = self.schedule(self.manager, date(2026, 3, 10), interval_number=1, interval_unit="hours")
        Reminder = self.env["crm.activity.reminder"]
        with freeze_time("2026-03-09 12:00:00"):
            activity.date_deadline = date(2026, 3, 12)
        self.assertEqual(activity.crm_reminder_ids.date_due, datetime(2026, 3, 12, 8, 0))
        with freeze_time("2026-03-10 08:30:00"):
            self.assertEqual(Reminder._cron_send_due(), 0, "not at the old time")
        with freeze_time("2026-03-12 08:00:00"):
            self.assertEqual(Reminder._cron_send_due(), 1)
            # moved again after delivery: reminded again before the new deadline
            activity.date_deadline = date(2026, 3, 20)
        self.assertFalse(activity.crm_reminder_ids.sent_date)
        with freeze_time("2026-03-20 08:00:00"):
            self.assertEqual(Reminder._cron_send_due(), 1)
        self.assertEqual(len(self.notifications(self.manager)), 2)

    def test_deleted_or_done_activity_takes_its_reminders_along(self):
        deleted = self.schedule(self.manager, date(2026, 3, 10), interval_number=1, interval_unit="hours")
        done = self.schedule(self.manager, date(2026, 3, 10), interval_number=2, interval_unit="hours")
        reminders = deleted.crm_reminder_ids | done.crm_reminder_ids
        deleted.unlink()
        done.action_feedback(feedback="Hecho")
        self.assertFalse(reminders.exists())
        with freeze_time("2026-03-11 00:00:00"):
            self.assertEqual(self.env["crm.activity.reminder"]._cron_send_due(), 0)
        self.assertFalse(self.notifications(self.manager))

    def test_meeting_reminders_are_calendar_alarms(self):
        event = self.env["calendar.event"].create(
            {
                "name": "Visita de obra",
                "start": datetime(2026, 3, 10, 10, 0),
                "stop": datetime(2026, 3, 10, 11, 0),
                "partner_ids": [fields.Command.link(self.contributor.partner_id.id)],
                "alarm_ids": [fields.Command.clear()],
            }
        )
        activity = self.contact_a.activity_schedule(
            "mail.mail_activity_data_meeting", date_deadline=date(2026, 3, 10), user_id=self.contributor.id
        )
        activity.calendar_event_id = event
        activity.crm_reminder_ids = [fields.Command.create({"interval_number": 15, "interval_unit": "minutes"})]
        alarm = activity.crm_reminder_ids.alarm_id
        self.assertEqual((alarm.alarm_type, alarm.duration, alarm.interval), ("notification", 15, "minutes"))
        self.assertEqual(event.alarm_ids, alarm)
        self.assertFalse(activity.crm_reminder_ids.date_due)
        with freeze_time("2026-03-11 00:00:00"):
            self.assertEqual(self.env["crm.activity.reminder"]._cron_send_due(), 0, "the calendar reminds of it")

    def test_a_meeting_reminder_takes_its_alarm_along(self):
        own = self.env["calendar.alarm"].create(
            {"name": "1 día antes", "alarm_type": "email", "duration": 1, "interval": "days"}
        )
        event = self.env["calendar.event"].create(
            {
                "name": "Visita de obra",
                "start": datetime(2026, 3, 10, 10, 0),
                "stop": datetime(2026, 3, 10, 11, 0),
                "partner_ids": [fields.Command.link(self.contributor.partner_id.id)],
                "alarm_ids": [fields.Command.set(own.ids)],
            }
        )
        activity = self.contact_a.activity_schedule(
            "mail.mail_activity_data_meeting", date_deadline=date(2026, 3, 10), user_id=self.contributor.id
        )
        activity.calendar_event_id = event
        self.contributor.notification_type = "email"
        activity.crm_reminder_ids = [
            fields.Command.create({"interval_number": 15, "interval_unit": "minutes"}),
            fields.Command.create({"interval_number": 1, "interval_unit": "days"}),
        ]
        quarter = activity.crm_reminder_ids.filtered(lambda r: r.interval_unit == "minutes")
        day = activity.crm_reminder_ids - quarter
        self.assertEqual(day.alarm_id, own, "the event's own alarm of the same delay is reused")
        self.assertEqual(event.alarm_ids, own | quarter.alarm_id)
        # A reminder moved to 30 minutes moves its alarm; a deleted one takes it along.
        quarter.interval_number = 30
        self.assertEqual(event.alarm_ids, own | quarter.alarm_id)
        self.assertEqual(quarter.alarm_id.duration, 30)
        quarter.unlink()
        self.assertEqual(event.alarm_ids, own)
        # The alarm the event had before stays when its reminder goes.
        day.unlink()
        self.assertEqual(event.alarm_ids, own)


REMINDERS = 24


@tagged("post_install", "-at_install")
class TestActivityReminderConcurrency(TwoCursorCase):
    """Two cron workers on two real cursors deliver each reminder once."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            user = env.ref("base.user_admin")
            self.partner_id = env["res.partner"].create({"name": "Recordatorios S.L."}).id
            partner = env["res.partner"].browse(self.partner_id)
            activities = env["mail.activity"]
            for i in range(REMINDERS):
                activities |= partner.activity_schedule(
                    "crm_client_suite.mail_activity_type_chat",
                    summary=f"Concurrency {i}",
                    date_deadline=date(2020, 1, 1),
                    user_id=user.id,
                )
            env["crm.activity.reminder"].create(
                [
                    {"activity_id": activity.id, "interval_number": 1, "interval_unit": "hours"}
                    for activity in activities
                ]
            )
            self.activity_ids = activities.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", self.partner_id)]).unlink()
            env["mail.activity"].browse(self.activity_ids).exists().unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def test_two_workers_deliver_each_reminder_exactly_once(self):
        origin = CrmActivityReminder._deliver

        def slow(reminders):
            time.sleep(0.02)  # widen the window in which both workers hold batches
            return origin(reminders)

        with patch.object(CrmActivityReminder, "_deliver", slow):
            done = self.run_workers(lambda env: env["crm.activity.reminder"]._cron_send_due(batch_size=3))
        self.assertEqual(sum(done), REMINDERS)
        self.assertTrue(all(done), f"both workers took batches: {done}")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            messages = env["mail.message"].search(
                [("model", "=", "res.partner"), ("res_id", "=", self.partner_id), ("subject", "like", "Reminder:")]
            )
            self.assertEqual(len(messages), REMINDERS, "one notification per reminder")
            self.assertEqual(len(set(messages.mapped("subject"))), REMINDERS)
            self.assertEqual(
                env["crm.activity.reminder"].search_count([("activity_id", "in", self.activity_ids)]), REMINDERS
            )
            self.assertFalse(
                env["crm.activity.reminder"].search(
                    [("activity_id", "in", self.activity_ids), ("sent_date", "=", False)]
                )
            )

    def test_reminder_committed_by_another_worker_after_the_snapshot_is_retried(self):
        """REPEATABLE READ refuses to lock a reminder another worker committed
        after this transaction's snapshot; the cron takes a fresh one."""
        origin = CrmActivityReminder._lock_due
        calls, refused = [], []

        def lock_after_concurrent_commit(model, limit, now):
            calls.append(limit)
            if len(calls) == 1:
                model.env.cr.execute("SELECT 1 FROM crm_activity_reminder LIMIT 1")  # the snapshot starts here
                with self.registry.cursor() as other:
                    other.execute(
                        "UPDATE crm_activity_reminder SET write_date = now() WHERE id = ("
                        " SELECT id FROM crm_activity_reminder WHERE activity_id = ANY(%s)"
                        " ORDER BY date_due, id LIMIT 1)",
                        [self.activity_ids],
                    )
            try:
                return origin(model, limit, now)
            except TransactionRollbackError as e:
                refused.append(e)
                raise

        with patch.object(CrmActivityReminder, "_lock_due", lock_after_concurrent_commit), self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"crm_cron_commit": True})
            done = env["crm.activity.reminder"]._cron_send_due(batch_size=REMINDERS)
        self.assertEqual(len(refused), 1, "the database refused the first lock")
        self.assertEqual(done, REMINDERS)


@tagged("post_install", "-at_install")
class TestActivityReminderScheduling(CrmClientSuiteCommon):
    """Reminders set in the chatter's "Schedule Activity" dialog, and the done
    activities a type keeps."""

    @users("ccs_contributor")
    def test_schedule_dialog_sets_a_reminder(self):
        wizard = (
            self.env["mail.activity.schedule"]
            .with_context(active_model="crm.lead", active_ids=self.deal_contributor.ids)
            .create(
                {
                    "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                    "summary": "Llamada de seguimiento",
                    "date_deadline": date(2026, 3, 10),
                    "activity_user_id": self.contributor.id,
                    "crm_remind": True,
                    "crm_reminder_number": 2,
                    "crm_reminder_unit": "hours",
                }
            )
        )
        wizard.action_schedule_activities()
        activity = self.deal_contributor.with_env(self.env).activity_ids
        self.assertEqual(activity.summary, "Llamada de seguimiento")
        self.assertEqual([(r.interval_number, r.interval_unit) for r in activity.crm_reminder_ids], [(2, "hours")])

    @users("ccs_contributor")
    def test_schedule_dialog_without_reminder_sets_none(self):
        wizard = (
            self.env["mail.activity.schedule"]
            .with_context(active_model="crm.lead", active_ids=self.deal_contributor.ids)
            .create({"activity_type_id": self.env.ref("mail.mail_activity_data_call").id, "crm_reminder_number": 2})
        )
        wizard.action_schedule_activities()
        self.assertFalse(self.deal_contributor.with_env(self.env).activity_ids.crm_reminder_ids)

    def test_done_activity_kept_by_its_type_is_not_reminded(self):
        self.env.ref("mail.mail_activity_data_call").keep_done = True
        activity = self.contact_a.activity_schedule(
            "mail.mail_activity_data_call", date_deadline=date(2026, 3, 10), user_id=self.manager.id
        )
        activity.crm_reminder_ids = [fields.Command.create({"interval_number": 1, "interval_unit": "hours"})]
        activity.action_feedback(feedback="Hecho")
        self.assertFalse(activity.active)
        self.assertFalse(activity.crm_reminder_ids.date_due)
        with freeze_time("2026-03-11 00:00:00"):
            self.assertEqual(self.env["crm.activity.reminder"]._cron_send_due(), 0)
        # the timeline shows it once, as its done message
        entries = self.env["crm.timeline"].get_page(self.contact_a.id, {"types": ["call"]})["entries"]
        self.assertEqual([e["source_model"] for e in entries], ["mail.message"])
