from odoo import api, fields, models


class CrmAutomationTargetMixin(models.AbstractModel):
    """What automation pipelines observe on the records they move along:
    res.partner (contacts and clients) and crm.lead (deals).

    Creating a record enrols it (the observer), changing or deleting it checks
    the exit conditions of its runs, an inbound email exits on reply. Each
    model says which of its fields matter and which exit rules it adds.

    Models list it *before* their own name in ``_inherit`` so that its
    ``_message_post_after_hook`` runs inside mail.thread's, which ends the
    chain without calling super().
    """

    _name = "crm.automation.target.mixin"
    _description = "Automation Pipeline Target"

    crm_automation_run_count = fields.Integer(string="Automation", compute="_compute_crm_automation_run_count")

    def _compute_crm_automation_run_count(self):
        counts = dict(
            self.env["crm.automation.run"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)], ["res_id"], ["__count"]
            )
        )
        for record in self:
            record.crm_automation_run_count = counts.get(record.id, 0)

    # Seams of the observed models ------------------------------------------------

    def _crm_automation_exit_fields(self):
        """Fields whose change may meet an exit condition of the record's runs."""
        return {"active"}

    def _crm_automation_dependents(self):
        """Records of other target models whose exit conditions read these ones."""
        return []

    def _crm_automation_contact(self):
        """The person the steps reach out to for this record."""
        raise NotImplementedError

    def _crm_automation_exit_reason(self, pipeline, replied):
        """Why a run of ``pipeline`` on this record exits now (an exit_reason key), or False.

        ``replied``: the contact answered by email since the run started.
        """
        self.ensure_one()
        if not self.active:
            return "archived"
        if pipeline.exit_on_reply and replied:
            return "replied"
        contact = self._crm_automation_contact()
        if pipeline.exit_on_optout and contact and (contact.crm_no_email or contact.is_blacklisted):
            return "optout"
        return False

    # ORM hooks -------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["crm.automation"]._enrol_created(records)
        return records

    def write(self, vals):
        res = super().write(vals)
        if self._crm_automation_exit_fields() & vals.keys():
            Run = self.env["crm.automation.run"]
            Run._on_records_changed(self)
            for records in self._crm_automation_dependents():
                Run._on_records_changed(records)
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
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_client_suite.action_crm_automation_run")
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {}
        return action
