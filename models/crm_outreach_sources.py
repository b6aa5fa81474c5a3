"""Outreach that the add-on logs by itself: emails in and out and messages
on contacts, clients and deals, and done activities.

Each event is keyed by its message (``mail.message:<id>``): the automation
steps that send an email give the same key, so that the email is counted
once (crm.outreach.create).
"""

from odoo import api, models

# Models whose messages are outreach: their contact is the record itself, or
# the deal's contact.
OUTREACH_THREADS = ("res.partner", "crm.lead")
OUTREACH_MESSAGE_TYPES = ("email", "email_outgoing", "comment")


def message_event_key(message):
    return f"mail.message:{message.id}"


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        messages._crm_log_outreach()
        return messages

    def _crm_outreach_channel(self):
        """Email, or platform for a message posted by a portal user."""
        self.ensure_one()
        if self.message_type == "comment" and self.author_id.user_ids and self.author_id.partner_share:
            return "platform"
        return "email"

    def _crm_log_outreach(self):
        """Outreach for the emails and the messages (not the internal notes)
        of contacts, clients and deals in self, created in one batch."""
        comment = self.env.ref("mail.mt_comment", raise_if_not_found=False)
        note = self.env.ref("mail.mt_note", raise_if_not_found=False)
        messages = self.filtered(
            lambda m: m.model in OUTREACH_THREADS
            and m.res_id
            and m.message_type in OUTREACH_MESSAGE_TYPES
            # A message, not an internal note; an incoming email creating a
            # record has the record's creation subtype.
            and (m.subtype_id == comment or (m.message_type == "email" and m.subtype_id != note))
        ).sudo()
        if not messages:
            return
        records = {
            model: self.env[model]
            .sudo()
            # Several messages of one batch may be on the same record.
            .browse(set(messages.filtered(lambda m, model=model: m.model == model).mapped("res_id")))
            .exists()
            for model in OUTREACH_THREADS
        }
        leads = {lead.id: lead for lead in records["crm.lead"]}
        partners = {partner.id: partner for partner in records["res.partner"]}
        vals_list = []
        for message in messages:
            if message.model == "crm.lead":
                lead = leads.get(message.res_id, self.env["crm.lead"])
                partner = lead.partner_id
            else:
                lead = self.env["crm.lead"]
                partner = partners.get(message.res_id, self.env["res.partner"])
            if not partner:
                continue
            author = message.author_id
            inbound = not author or author.partner_share
            if inbound and author and author.commercial_partner_id == partner.commercial_partner_id:
                # A colleague of the deal's contact wrote: the touch is theirs.
                partner = author
            internal_users = author.user_ids.filtered(lambda user: not user.share)
            vals_list.append(
                {
                    "event_key": message_event_key(message),
                    "date": message.date,
                    "channel": message._crm_outreach_channel(),
                    "direction": "inbound" if inbound else "outbound",
                    "outcome": "done",
                    "summary": message.subject or message.record_name or partner.display_name,
                    "partner_id": partner.id,
                    "lead_id": lead.id,
                    "user_id": (internal_users[:1] or lead.user_id or partner.user_id).id,
                    "campaign_id": lead.campaign_id.id,
                    "source_id": lead.source_id.id,
                    "medium_id": lead.medium_id.id,
                    "company_id": (lead.company_id or partner.company_id or self.env.company).id,
                }
            )
        self.env["crm.outreach"].sudo().create(vals_list)


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _crm_outreach_channel(self):
        """The outreach channel of this activity's type, if it is one."""
        self.ensure_one()
        activity_type = self.activity_type_id
        if activity_type.category == "phonecall":
            return "call"
        if activity_type.category == "meeting":
            return "meeting"
        by_xmlid = {
            "mail.mail_activity_data_email": "email",
            # A chat happens on a messenger; a ticket on the client's support platform.
            "crm_client_suite.mail_activity_type_chat": "messenger",
            "crm_client_suite.mail_activity_type_ticket": "platform",
        }
        for xmlid, channel in by_xmlid.items():
            if activity_type == self.env.ref(xmlid, raise_if_not_found=False):
                return channel
        return False

    def _action_done(self, feedback=False, attachment_ids=None):
        outreach = []
        for activity in self.filtered(lambda a: a.res_model in OUTREACH_THREADS and a.res_id):
            channel = activity._crm_outreach_channel()
            if channel:
                outreach.append(
                    (
                        activity.res_model,
                        activity.res_id,
                        channel,
                        activity.summary or activity.activity_type_id.name,
                        activity.user_id,
                    )
                )
        messages, next_activities = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if outreach:
            self._crm_log_done_outreach(outreach, messages)
        return messages, next_activities

    def _crm_log_done_outreach(self, outreach, messages):
        """One done outreach per done activity of a contact, client or deal,
        keyed by the message that records the activity done."""
        by_record = {}
        for message in messages:
            by_record.setdefault((message.model, message.res_id), []).append(message)
        vals_list = []
        for model, res_id, channel, summary, user in outreach:
            record = self.env[model].sudo().browse(res_id).exists()
            queue = by_record.get((model, res_id))
            if not record or not queue:
                continue
            message = queue.pop(0)
            lead = record if model == "crm.lead" else self.env["crm.lead"]
            partner = record.partner_id if model == "crm.lead" else record
            if not partner:
                continue
            vals_list.append(
                {
                    "event_key": message_event_key(message),
                    "date": message.date,
                    "channel": channel,
                    "direction": "outbound",
                    "outcome": "done",
                    "summary": summary,
                    "partner_id": partner.id,
                    "lead_id": lead.id,
                    "user_id": (user or self.env.user).id,
                    "campaign_id": lead.campaign_id.id,
                    "source_id": lead.source_id.id,
                    "medium_id": lead.medium_id.id,
                    "company_id": (lead.company_id or partner.company_id or self.env.company).id,
                }
            )
        self.env["crm.outreach"].sudo().create(vals_list)
