from odoo import api, models
from odoo.tools import SQL


class CrmTimeline(models.AbstractModel):
    """Opens and clicks of automation emails in the timeline, authored by the contact."""

    _inherit = "crm.timeline"

    @api.model
    def get_entry_types(self):
        return [*super().get_entry_types(), ("email_tracking", self.env._("Email Opened or Clicked"))]

    def _source_queries(self, partners, leads):
        queries = super()._source_queries(partners, leads)
        queries.append(
            SQL(
                """
                SELECT 'email_tracking', 'crm.automation.email.event', e.id, e.date, e.partner_id,
                       r.res_model, r.res_id, COALESCE(m.subject, ''),
                       COALESCE(m.subject, '') || ' ' || COALESCE(l.url, '')
                  FROM crm_automation_email_event e
                  JOIN crm_automation_run r ON r.id = e.run_id
                  JOIN (%(documents)s) d ON d.model = r.res_model AND d.id = r.res_id
             LEFT JOIN mail_message m ON m.id = e.message_id
             LEFT JOIN link_tracker l ON l.id = e.link_id
                """,
                documents=self._documents_sql(partners, leads),
            )
        )
        return queries

    def _describe_crm_automation_email_event(self, events):
        result = {}
        for event in events:
            subject = event.message_id.subject or event.run_id.automation_id.name
            if event.kind == "open":
                title = self.env._("Opened %(email)s", email=subject)
                body = event.run_id.automation_id.name
            else:
                title = self.env._("Clicked a link of %(email)s", email=subject)
                body = event.link_id.url or ""
            result[event.id] = (title, body, {"open_model": "crm.automation.run", "open_id": event.run_id.id})
        return result
