from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    crm_automation_run_ids = fields.One2many(
        "crm.automation.run", "lead_id", string="Automation Runs"
    )
    crm_automation_run_count = fields.Integer(
        string="Automation", compute="_compute_crm_automation_run_count"
    )
    crm_outreach_ids = fields.One2many("crm.outreach", "lead_id", string="Outreach")

    def _compute_crm_automation_run_count(self):
        counts = dict(
            self.env["crm.automation.run"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.crm_automation_run_count = counts.get(lead, 0)

    # Automation pipelines: observer, stage trigger and exit events -------

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        Automation = self.env["crm.automation"]
        Automation._enrol_created(leads)
        for stage, group in leads.grouped("stage_id").items():
            Automation._enrol_stage_entered(group, stage)
        return leads

    def write(self, vals):
        res = super().write(vals)
        if {"stage_id", "active", "probability", "partner_id"} & vals.keys():
            self.env["crm.automation.run"]._on_records_changed(self)
        if vals.get("stage_id"):
            self.env["crm.automation"]._enrol_stage_entered(
                self, self.env["crm.stage"].browse(vals["stage_id"])
            )
        return res

    def unlink(self):
        self.env["crm.automation.run"]._on_records_deleted(self)
        return super().unlink()

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        self.env["crm.automation.run"]._on_inbound_email(message)
        return res

    def action_crm_automation_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_client_suite.action_crm_automation_run"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {}
        return action
