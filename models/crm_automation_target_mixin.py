from contextlib import contextmanager

from odoo import api, fields, models

# Key of the cursor's cache holding the pipeline batches open on the cursor:
# see ``_crm_automation_batch``.
BATCH_KEY = "crm_automation_batches"


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

    @contextmanager
    def _crm_automation_batch(self):
        """Check the exit conditions of the runs of these records once for
        the block, after it, for those of them that a ``write`` inside the
        block changed (one search of runs and dependents for the batch),
        instead of after each ``write``. If the block raises, nothing is
        checked (its changes are expected to roll back with it)."""
        batches = self.env.cr.cache.setdefault(BATCH_KEY, [])
        batch = (self._name, set(self._ids), set())
        batches.append(batch)
        try:
            yield
        finally:
            batches.remove(batch)
        if batch[2]:
            self.browse(sorted(batch[2]))._crm_automation_changed()

    def _crm_automation_changed(self):
        """These records changed in a way their runs may exit on: check them."""
        Run = self.env["crm.automation.run"]
        Run._on_records_changed(self)
        for records in self._crm_automation_dependents():
            Run._on_records_changed(records)

    def write(self, vals):
        res = super().write(vals)
        if self._crm_automation_exit_fields() & vals.keys():
            for model, ids, changed in self.env.cr.cache.get(BATCH_KEY, ()):
                if model == self._name and ids.issuperset(self._ids):
                    changed.update(self._ids)
                    break
            else:
                self._crm_automation_changed()
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
