from odoo import api, models, tools

# The deal fields the daily figures read (crm.deal.analytics.daily._daily_facts_sql); the snapshot columns
# of the stage summary are written in SQL by the moves, inside the write that moves the deal.
DAILY_FIELDS = (
    "type",
    "active",
    "stage_id",
    "user_id",
    "team_id",
    "company_id",
    "source_id",
    "expected_revenue",
    "probability",
    "date_closed",
    "date_deadline",
    "create_date",
    "date_conversion",
)


class CrmLead(models.Model):
    """Deals keep the dashboard's daily figures (crm.deal.analytics.daily) current: every create, write
    and unlink notes the deals it changes and appends their change to the pending figures at the end of
    the outermost call (crm.deal.analytics.pending, folded into the sums by a cron)."""

    _inherit = "crm.lead"

    @api.model
    def _create(self, data_list):
        records = super()._create(data_list)
        # just inserted: no part in the sums before
        self.env["crm.deal.analytics.daily"].sudo()._note_leads(records.ids, new=True)
        return records

    @api.model_create_multi
    def create(self, vals_list):
        return self.env["crm.deal.analytics.daily"].sudo()._run_noted([], super().create, vals_list)

    def write(self, vals):
        if not self._daily_trigger_fields().intersection(vals):
            return super().write(vals)
        return self.env["crm.deal.analytics.daily"].sudo()._run_noted(self.ids, super().write, vals)

    @api.model
    @tools.ormcache()
    def _daily_trigger_fields(self):
        """The fields whose write may change the daily figures: those they read, and those these are
        computed from (the amount from the deal's currency, the probability from the scoring fields)."""
        read = {self._fields[name] for name in DAILY_FIELDS}
        return frozenset(
            name
            for name, field in self._fields.items()
            if field in read or any(dependent in read for dependent in self.pool.get_dependent_fields(field))
        )

    def unlink(self):
        return self.env["crm.deal.analytics.daily"].sudo()._run_noted(self.ids, super().unlink)

    @api.model
    def _sync_stage_snapshots(self, lead_ids=None):
        changed = super()._sync_stage_snapshots(lead_ids)
        # the deals given are noted by the write or rebuild that moved them; a sweep of all of them that
        # changed some (data repaired in SQL) refills the figures
        if lead_ids is None and changed and not self.env.context.get("crm_daily_skip"):
            self.env["crm.deal.analytics.daily"].sudo()._fill()
        return changed

    @api.model
    def _cron_update_automated_probabilities(self):
        # stock rewrites the probabilities in SQL: the weighted forecast of the open deals follows
        res = super()._cron_update_automated_probabilities()
        self.env["crm.deal.analytics.daily"].sudo()._fill(kinds=["open"])
        return res
