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
        deal when the subject holds that deal's reference or names it.

        An email of such a contact to an alias that creates deals, holding the
        reference of one of the contact's open deals, goes to that deal
        instead of creating another."""
        try:
            routes = super().message_route(
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
            self._crm_log_route(message_dict, contact, target)
            return [route]
        return [self._crm_route_to_referenced_deal(message, message_dict, route) for route in routes]

    @api.model
    def _crm_route_to_referenced_deal(self, message, message_dict, route):
        """``route`` to a new deal, turned to the sender's open deal whose
        reference the subject holds; ``route`` itself otherwise."""
        if route[0] != "crm.lead" or route[1]:
            return route
        contact = self.env["res.partner"]._crm_known_sender(message_dict.get("email_from"))
        deal = contact and contact._crm_open_deal_by_reference(message_dict.get("subject"))
        if not deal:
            return route
        to_deal = self.env["crm.lead"]._routing_check_route(
            message, message_dict, ("crm.lead", deal.id, *route[2:]), raise_exception=False
        )
        if not to_deal:
            return route
        self._crm_log_route(message_dict, contact, ("crm.lead", deal.id))
        return to_deal

    @api.model
    def _crm_log_route(self, message_dict, contact, target):
        _logger.info(
            "Routing mail from %s with Message-Id %s to the known contact %s (%s %s)",
            message_dict.get("email_from"),
            message_dict.get("message_id"),
            contact.id,
            *target,
        )
