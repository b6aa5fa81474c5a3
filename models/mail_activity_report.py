from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    crm_activity_user_id = fields.Many2one(
        "res.users", string="Activity Assignee", readonly=True, index="btree_not_null", ondelete="set null"
    )
    crm_activity_assigner_id = fields.Many2one(
        "res.users", string="Activity Assigned By", readonly=True, ondelete="set null"
    )


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # Odoo posts one message per activity, in the order of
        # _classify_by_model(): remember who held and who assigned each.
        order = [
            (activity.user_id.id, activity.create_uid.id)
            for data in self._classify_by_model().values()
            for activity in data["activities"]
        ]
        messages, next_activities = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if len(order) == len(messages):
            by_people = {}
            for message, people in zip(messages, order, strict=True):
                by_people.setdefault(people, self.env["mail.message"])
                by_people[people] |= message
            for (user_id, assigner_id), group in by_people.items():
                group.sudo().write({"crm_activity_user_id": user_id, "crm_activity_assigner_id": assigner_id})
        return messages, next_activities
