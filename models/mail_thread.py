import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        """An email answering no thread and no alias, from the address of a
        known contact whose team logs such emails, goes to that contact's
        chatter instead of being refused; to the chatter of the contact's open
        deal when the subject holds that deal's reference or names it."""
        try:
            return super().message_route(
                message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
            )
        except ValueError:
            contact = self.env["res.partner"]._crm_known_sender(message_dict.get("email_from"))
            if not contact:
                raise
            message_dict.pop("parent_id", None)
            deal = contact._crm_open_deal_for_subject(message_dict.get("subject"))
            target = ("crm.lead", deal.id) if deal else ("res.partner", contact.id)
            route = self._routing_check_route(
                message, message_dict, (*target, {}, self.env.uid, None), raise_exception=True
            )
            _logger.info(
                "Routing mail from %s with Message-Id %s to the known contact %s (%s %s)",
                message_dict.get("email_from"),
                message_dict.get("message_id"),
                contact.id,
                *target,
            )
            return [route]
