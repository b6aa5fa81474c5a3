from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    crm_reminder_ids = fields.One2many("crm.activity.reminder", "activity_id", string="Reminders")

    def write(self, vals):
        result = super().write(vals)
        if "date_deadline" in vals or "calendar_event_id" in vals:
            reminders = self.crm_reminder_ids
            reminders._sync_calendar_alarms()
            # A moved deadline re-arms the reminders already delivered for the
            # old one, when their new time is still to come.
            now = fields.Datetime.now()
            reminders.filtered(lambda r: r.sent_date and r.date_due and r.date_due > now).sent_date = False
        return result
