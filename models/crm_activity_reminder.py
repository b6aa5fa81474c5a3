from datetime import datetime, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_automation_run import claimed_batches

BATCH_SIZE = 200
TIME_BUDGET = 50  # seconds
# An activity's deadline is a day; its reminders count back from this hour
# of that day, in the assignee's time zone (the start of a working day).
DEADLINE_HOUR = 9
INTERVALS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]


class CrmActivityReminder(models.Model):
    """A reminder of an activity, some time before its deadline, delivered
    once to the assignee as an inbox notification or an email, as the
    assignee's notification preference says.

    Meetings (activities with a calendar event) are reminded by the
    calendar's own alarms, which the reminder adds to the event: the cron
    here never delivers them, so nobody is reminded twice.
    """

    _name = "crm.activity.reminder"
    _description = "Activity Reminder"
    _order = "date_due, id"

    activity_id = fields.Many2one("mail.activity", required=True, ondelete="cascade", index=True)
    interval_number = fields.Integer(string="Remind", required=True, default=1)
    interval_unit = fields.Selection(INTERVALS, string="Unit", required=True, default="hours")
    date_due = fields.Datetime(
        string="Reminder Time",
        compute="_compute_date_due",
        store=True,
        help="When the reminder is delivered; it follows the activity's deadline.",
    )
    sent_date = fields.Datetime(readonly=True, copy=False)
    alarm_id = fields.Many2one("calendar.alarm", string="Calendar Alarm", readonly=True, ondelete="set null")
    alarm_added = fields.Boolean(
        readonly=True, copy=False, help="The reminder put its alarm on the event (it was not there before)."
    )

    _sql_constraints = (
        ("interval_positive", "CHECK(interval_number >= 0)", "A reminder cannot come after the deadline."),
    )

    def init(self):
        # the cron's lookup: the pending reminders by due time
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_activity_reminder_pending_index ON %s (date_due) "
                "WHERE sent_date IS NULL",
                SQL.identifier(self._table),
            )
        )

    def _delta(self):
        return timedelta(**{self.interval_unit: self.interval_number})

    @api.depends(
        "activity_id.active",
        "activity_id.date_deadline",
        "activity_id.user_id.tz",
        "activity_id.calendar_event_id",
        "interval_number",
        "interval_unit",
    )
    def _compute_date_due(self):
        for reminder in self:
            activity = reminder.activity_id
            # a done activity kept by its type (archived) is never reminded of
            if not activity.active or not activity.date_deadline or activity.calendar_event_id:
                reminder.date_due = False
                continue
            tz = pytz.timezone(activity.user_id.tz or activity.create_uid.tz or "UTC")
            deadline = tz.localize(
                datetime.combine(activity.date_deadline, datetime.min.time()).replace(hour=DEADLINE_HOUR)
            )
            reminder.date_due = deadline.astimezone(pytz.utc).replace(tzinfo=None) - reminder._delta()

    @api.model_create_multi
    def create(self, vals_list):
        reminders = super().create(vals_list)
        reminders._sync_calendar_alarms()
        return reminders

    def write(self, vals):
        moved = {"interval_number", "interval_unit", "activity_id"} & set(vals)
        if moved:
            self._release_calendar_alarms()
        result = super().write(vals)
        if moved:
            self._sync_calendar_alarms()
        return result

    def unlink(self):
        self._release_calendar_alarms()
        return super().unlink()

    def _release_calendar_alarms(self):
        """Take off the events the alarms these reminders put there, unless
        another reminder of the same event still uses one."""
        for reminder in self.filtered("alarm_added"):
            event = reminder.activity_id.calendar_event_id.sudo()
            others = self.search(
                [
                    ("id", "not in", self.ids),
                    ("alarm_id", "=", reminder.alarm_id.id),
                    ("activity_id.calendar_event_id", "=", event.id),
                ],
                limit=1,
            )
            if others:
                others.sudo().alarm_added = True
            elif event:
                event.alarm_ids = [fields.Command.unlink(reminder.alarm_id.id)]
            reminder.sudo().alarm_added = False

    def _sync_calendar_alarms(self):
        """Meetings: put the reminder on the event as a calendar alarm of the
        same delay, of the kind the assignee prefers (reusing an existing one)."""
        meetings = self.filtered(lambda reminder: reminder.activity_id.calendar_event_id)
        if not meetings:
            return
        Alarm = self.env["calendar.alarm"].sudo()
        for reminder in meetings:
            user = reminder.activity_id.user_id
            alarm_type = "notification" if user.notification_type == "inbox" else "email"
            key = [
                ("alarm_type", "=", alarm_type),
                ("duration", "=", reminder.interval_number),
                ("interval", "=", reminder.interval_unit),
            ]
            event = reminder.activity_id.calendar_event_id.sudo()
            alarm = (
                event.alarm_ids.filtered_domain(key)[:1]
                or Alarm.search(key, limit=1)
                or Alarm.create(
                    {
                        "name": self.env._(
                            "%(count)s %(unit)s before",
                            count=reminder.interval_number,
                            unit=dict(reminder._fields["interval_unit"]._description_selection(self.env))[
                                reminder.interval_unit
                            ],
                        ),
                        "alarm_type": alarm_type,
                        "duration": reminder.interval_number,
                        "interval": reminder.interval_unit,
                    }
                )
            )
            added = alarm not in event.alarm_ids
            if added:
                event.alarm_ids = [fields.Command.link(alarm.id)]
            reminder.sudo().write({"alarm_id": alarm.id, "alarm_added": added})

    # Delivery ------------------------------------------------------------------

    def _lock_due(self, limit, now):
        """Take up to ``limit`` due reminders, skipping those another worker holds."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM crm_activity_reminder
                 WHERE sent_date IS NULL AND date_due <= %s
                 ORDER BY date_due, id
                 LIMIT %s
                   FOR UPDATE SKIP LOCKED
                """,
                now,
                limit,
            ),
            log_exceptions=False,
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _cron_send_due(self, batch_size=BATCH_SIZE, time_budget=TIME_BUDGET):
        """Deliver the due reminders, batch by batch, each exactly once: a
        batch is locked with ``FOR UPDATE SKIP LOCKED`` and committed with the
        notifications it sent, as the automation cron does. Return how many
        were delivered."""
        self = self.sudo()
        done = 0
        claim = lambda: self._lock_due(batch_size, fields.Datetime.now())  # noqa: E731
        for reminders in claimed_batches(self.env, claim, time_budget):
            reminders._deliver()
            done += len(reminders)
        return done

    def _deliver(self):
        """Notify each reminder's assignee on the activity's document: Odoo
        routes it to the inbox or by email after the user's preference."""
        now = fields.Datetime.now()
        for reminder in self:
            activity = reminder.activity_id
            user = activity.user_id
            if user and user.active:
                lang = user.lang or self.env.context.get("lang")
                activity = activity.with_context(lang=lang)
                deadline = fields.Date.to_string(activity.date_deadline)
                subject = self.env._(
                    "Reminder: %(summary)s, due %(deadline)s",
                    summary=activity.summary or activity.activity_type_id.name or activity.res_name,
                    deadline=deadline,
                )
                body = self.env._(
                    "%(type)s on %(record)s is due on %(deadline)s.",
                    type=activity.activity_type_id.name or self.env._("An activity"),
                    record=activity.res_name,
                    deadline=deadline,
                )
                Thread = self.env[activity.res_model]
                if not isinstance(Thread, self.env.registry["mail.thread"]):
                    Thread = self.env["mail.thread"]
                    document = {"model": activity.res_model, "res_id": activity.res_id}
                else:
                    Thread = Thread.browse(activity.res_id)
                    document = {}
                Thread.with_context(mail_notify_force_send=False).message_notify(
                    partner_ids=user.partner_id.ids,
                    subject=subject,
                    body=body,
                    email_layout_xmlid="mail.mail_notification_light",
                    **document,
                )
            reminder.sent_date = now
