from odoo import api, models


class CrmAutomationEmailEvent(models.Model):
    """An open or a click of an automation email is a timeline entry of the
    run's record (events are written in SQL, hence no mixin)."""

    _inherit = "crm.automation.email.event"

    @api.model
    def _crm_record_event(self, kind, run_id, step_id, message_id, token, link=None):
        event = super()._crm_record_event(kind, run_id, step_id, message_id, token, link=link)
        if event:
            run = event.sudo().run_id
            self.env["crm.timeline"]._crm_live_changed([(run.res_model, run.res_id)])
        return event
