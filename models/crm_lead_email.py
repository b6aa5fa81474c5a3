from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if msg_vals.get("message_type") == "email" and message.author_id and not message.author_id.user_ids:
            message.author_id._crm_register_inbound_touch("email", message.date or fields.Datetime.now())
        return result
