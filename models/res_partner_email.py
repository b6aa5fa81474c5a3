from odoo import api, fields, models
from odoo.tools import email_normalize

# A deal's name shorter than this never matches a subject ("Obra" in any email).
MIN_DEAL_NAME = 4


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

    def write(self, vals):
        """A new address is a fresh start: its bounces are the old one's."""
        fixed = self.browse()
        if "email" in vals and "message_bounce" not in vals:
            new = email_normalize(vals["email"] or "")
            fixed = self.filtered(lambda partner: partner.message_bounce and partner.email_normalized != new)
        result = super().write(vals)
        if fixed:
            fixed.write({"message_bounce": 0})
        return result

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

    def _crm_open_deals(self):
        """The open deals of this contact and of its client, in the company
        of the team that logs the contact's emails (or the contact's own)."""
        self.ensure_one()
        domain = [
            ("partner_id", "in", (self | self.commercial_partner_id).ids),
            ("type", "=", "opportunity"),
            ("stage_id.is_won", "=", False),
        ]
        company = (self.team_id or self.commercial_partner_id.team_id).company_id or self.company_id
        if company:
            domain.append(("company_id", "in", [company.id, False]))
        return self.env["crm.lead"].sudo().search(domain, order="write_date desc, id desc")

    def _crm_open_deal_for_subject(self, subject):
        """The open deal an email ``subject`` is about: the one whose
        reference it holds; else, when it holds no reference of an open deal,
        the one whose name it contains, the longest name first. None when the
        subject names no deal, or holds the references of several."""
        self.ensure_one()
        deals = self._crm_open_deals()
        by_reference = self._crm_open_deal_by_reference(subject, deals, ambiguous=True)
        if by_reference:
            return by_reference if len(by_reference) == 1 else deals.browse()
        return self._crm_open_deal_named_in(subject, deals)

    def _crm_open_deal_by_reference(self, subject, deals=None, ambiguous=False):
        """The open deal of this contact whose reference ``subject`` holds;
        none when it holds the references of several (all of them, with
        ``ambiguous``)."""
        self.ensure_one()
        references = set(self.env["crm.lead"]._crm_references_in(subject))
        if not references:
            return self.env["crm.lead"]
        deals = self._crm_open_deals() if deals is None else deals
        found = deals.filtered(lambda d: d.crm_reference in references)
        return found if ambiguous or len(found) == 1 else deals.browse()

    def _crm_open_deal_named_in(self, subject, deals):
        """The deal of ``deals`` whose name the email ``subject`` contains, one
        of the contact itself before one of its client, then the longest name."""
        subject = (subject or "").casefold()
        if not subject:
            return deals.browse()
        named = deals.filtered(lambda d: len(d.name or "") >= MIN_DEAL_NAME and d.name.casefold() in subject)
        return named.sorted(lambda d: (d.partner_id != self, -len(d.name)))[:1]
