from odoo import models


class MailActivity(models.Model):
    """Planned activities are timeline entries: the open timelines of their
    records reload when one is scheduled, edited, done or cancelled."""

    _name = "mail.activity"
    _inherit = ["mail.activity", "crm.timeline.live.mixin"]  # noqa: RUF012

    _crm_live_fields = (
        "summary",
        "note",
        "date_deadline",
        "activity_type_id",
        "user_id",
        "active",
        "res_model",
        "res_id",
    )

    def _crm_live_documents(self):
        return [(activity.res_model, activity.res_id) for activity in self]
