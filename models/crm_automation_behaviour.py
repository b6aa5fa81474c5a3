"""Enrolment triggers on the prospect's behaviour: an email of a pipeline
opened, a link clicked, a reply, a web form submitted."""

from odoo import api, fields, models
from odoo.tools.mail import validate_url

BEHAVIOUR_TRIGGERS = [
    ("opened", "Email opened"),
    ("clicked", "Link clicked"),
    ("replied", "Contact replied"),
    ("form", "Web form submitted"),
    ("not_opened", "Email not opened"),
    ("not_clicked", "Link not clicked"),
]


class CrmAutomation(models.Model):
    _inherit = "crm.automation"

    trigger_behaviour = fields.Selection(
        BEHAVIOUR_TRIGGERS,
        string="On Prospect Behaviour",
        tracking=True,
        help="Enrol the contact (or deal) when it opens an automation email, clicks one of its links, "
        "replies by email or submits the web form, or when it leaves an automation email unopened "
        "(or unclicked) for some days.",
    )
    trigger_source_automation_id = fields.Many2one(
        "crm.automation",
        string="Emails Of",
        help="Only opens and clicks of the emails of this pipeline. Empty: of any pipeline.",
    )
    trigger_url = fields.Char(string="Clicked Link", help="Only clicks on this address. Empty: any link.")

    def _crm_enrol_behaviour(self, records_by_model, reason):
        """Enrol, in each pipeline of ``self``, the records of its target model."""
        for automation in self:
            records = records_by_model.get(automation.target_model)
            if records:
                automation._enrol(records.sudo(), "behaviour", reason)

    @api.model
    def _crm_enrol_on_email_event(self, event):
        """An open or a click was recorded: enrol in the pipelines it triggers."""
        trigger = "opened" if event.kind == "open" else "clicked"
        automations = self.sudo().search([("trigger_behaviour", "=", trigger)])
        if not automations:
            return
        run = event.run_id
        record = run._get_records().exists()
        records_by_model = {"res.partner": event.partner_id}
        if record:
            records_by_model[record._name] = record
        url = event.link_id.url
        for automation in automations:
            if automation.trigger_source_automation_id and automation.trigger_source_automation_id != run.automation_id:
                continue
            if trigger == "clicked" and automation.trigger_url and validate_url(automation.trigger_url.strip()) != url:
                continue
            if automation == run.automation_id:
                continue
            reason = (
                self.env._("Opened %(pipeline)s's email", pipeline=run.automation_id.name)
                if trigger == "opened"
                else self.env._("Clicked %(url)s", url=url)
            )
            automation._crm_enrol_behaviour(records_by_model, reason)

    @api.model
    def _crm_on_reply(self, message):
        """An inbound email arrived: wake the runs waiting on the record and
        enrol in the pipelines triggered by a reply."""
        if message.message_type != "email" or not message.model or not message.res_id:
            return
        author = message.author_id.sudo()
        if author and author.user_ids.filtered(lambda user: not user.share):
            return
        Run = self.env["crm.automation.run"]
        records_by_model = {}
        if message.model in ("res.partner", "crm.lead"):
            record = self.env[message.model].browse(message.res_id)
            records_by_model[message.model] = record
            Run._crm_wake_records(record)
        if author and "res.partner" not in records_by_model:
            records_by_model["res.partner"] = author
        automations = self.sudo().search([("trigger_behaviour", "=", "replied")])
        automations._crm_enrol_behaviour(records_by_model, self.env._("Replied by email"))

    @api.model
    def _crm_on_web_form(self, events):
        """Web form acquisition events: wake the runs of their contacts and
        deals, and enrol in the pipelines triggered by a form."""
        events = events.filtered(lambda event: event.entry_point == "web_form")
        if not events:
            return
        Run = self.env["crm.automation.run"]
        partners, leads = events.partner_id, events.lead_id
        Run._crm_wake_records(partners)
        Run._crm_wake_records(leads)
        automations = self.sudo().search([("trigger_behaviour", "=", "form")])
        automations._crm_enrol_behaviour(
            {"res.partner": partners, "crm.lead": leads}, self.env._("Submitted the web form")
        )


class CrmAcquisitionEvent(models.Model):
    _inherit = "crm.acquisition.event"

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        self.env["crm.automation"]._crm_on_web_form(events)
        return events
