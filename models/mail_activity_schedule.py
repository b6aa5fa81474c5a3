from odoo import fields, models

from .crm_activity_reminder import INTERVALS


class MailActivitySchedule(models.TransientModel):
    """The chatter's "Schedule Activity" dialog sets one reminder of the
    activities it schedules; more are added on the activity itself."""

    _inherit = "mail.activity.schedule"

    crm_remind = fields.Boolean(string="Remind Me", help="Deliver a reminder before the activity's deadline.")
    crm_reminder_number = fields.Integer(string="Remind Before", default=1)
    crm_reminder_unit = fields.Selection(INTERVALS, string="Reminder Unit", default="hours")

    def _action_schedule_activities(self):
        activities = super()._action_schedule_activities()
        if self.crm_remind and activities:
            self.env["crm.activity.reminder"].create(
                [
                    {
                        "activity_id": activity.id,
                        "interval_number": self.crm_reminder_number,
                        "interval_unit": self.crm_reminder_unit or "hours",
                    }
                    for activity in activities
                ]
            )
        return activities
