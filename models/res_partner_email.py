from odoo import api, fields, models
from odoo.tools import email_normalize


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_email_bounced = fields.Boolean(
        string="Email Bounced",
        compute="_compute_crm_email_bounced",
        store=True,
        help="An email to this address bounced; fix the address before writing again.",
    )

    @api.depends("message_bounce")
    def _compute_crm_email_bounced(self):
        for partner in self:
            partner.crm_email_bounced = partner.message_bounce > 0

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if msg_vals.get("message_type") == "email" and message.author_id == self:
            self._crm_register_inbound_touch("email", message.date or fields.Datetime.now())
        return result

    @api.model
    def _crm_known_sender(self, email_from):
        """The contact whose address sent ``email_from``, when their sales
        team logs emails from known contacts."""
        email = email_normalize(email_from or "")
        if not email:
            return self.browse()
        candidates = self.sudo().search([("email_normalized", "=", email), ("is_company", "=", False)], limit=10)
        return candidates.filtered(lambda p: (p.team_id or p.commercial_partner_id.team_id).crm_log_known_senders)[:1]
