import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        """An email answering no thread and no alias, from the address of a
        known contact whose team logs such emails, goes to that contact's
        chatter instead of being refused."""
        try:
            return super().message_route(
                message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
            )
        except ValueError:
            contact = self.env["res.partner"]._crm_known_sender(message_dict.get("email_from"))
            if not contact:
                raise
            message_dict.pop("parent_id", None)
            route = self._routing_check_route(
                message, message_dict, ("res.partner", contact.id, {}, self.env.uid, None), raise_exception=True
            )
            _logger.info(
                "Routing mail from %s with Message-Id %s to the known contact %s",
                message_dict.get("email_from"),
                message_dict.get("message_id"),
                contact.id,
            )
            return [route]
