from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

# The stock stages of crm that the suite's six default stages replace at
# install time, with the suite stage that takes over their deals.
STOCK_STAGE_REPLACEMENTS = {
    "crm.stage_lead1": "crm_client_suite.stage_lead",
    "crm.stage_lead2": "crm_client_suite.stage_qualified",
    "crm.stage_lead3": "crm_client_suite.stage_proposal",
    "crm.stage_lead4": "crm_client_suite.stage_closed_won",
}


class CrmStage(models.Model):
    _inherit = "crm.stage"

    is_lost = fields.Boolean(
        string="Is Lost Stage?",
        help="Deals dropped in this stage are marked lost the Odoo way: a lost reason is asked and the "
        "deal is archived. Restoring a lost deal moves it back to the stage it was lost from.",
    )
    probability = fields.Float(
        string="Default Probability",
        digits=(16, 2),
        help="Probability (%) given to deals entering this stage, unless a salesperson set it by hand. "
        "Leave 0 to let Odoo's predictive lead scoring decide.",
    )
    rotting_threshold_days = fields.Integer(
        string="Rotting Threshold (days)",
        help="A deal that stays this many days in the stage without any activity is stalled: it is "
        "flagged on the pipeline and its salesperson is notified. 0 disables the alert.",
    )

    _sql_constraints = (
        (
            "probability_range",
            "CHECK(probability >= 0 AND probability <= 100)",
            "The default probability of a stage must be between 0 and 100.",
        ),
        (
            "rotting_threshold_positive",
            "CHECK(rotting_threshold_days >= 0)",
            "The rotting threshold cannot be negative.",
        ),
    )

    @api.constrains("is_won", "is_lost")
    def _check_won_lost(self):
        if any(stage.is_won and stage.is_lost for stage in self):
            raise ValidationError(self.env._("A stage cannot be both won and lost: untick one of the two boxes."))

    @api.model
    def _replace_stock_stages(self):
        """Give a fresh install the suite's six default columns.

        crm.stage has no ``active`` field, so crm's four stock stages cannot be
        archived. At install (this runs from a noupdate data file, once), each
        stock stage that is still shared by all teams hands its deals over to
        the suite stage playing the same part (New -> Lead, Proposition ->
        Proposal, Won -> Closed Won) and is deleted; its xmlid goes with it and
        crm never recreates it (``forcecreate="False"``). Team-specific stock
        stages are left alone: an admin customised them.
        """
        for stock_xmlid, suite_xmlid in STOCK_STAGE_REPLACEMENTS.items():
            stock = self.env.ref(stock_xmlid, raise_if_not_found=False)
            suite = self.env.ref(suite_xmlid, raise_if_not_found=False)
            if not stock or not suite or stock.team_id or stock == suite:
                continue
            self.env["crm.lead"].flush_model(["stage_id"])
            self.env.cr.execute(SQL("UPDATE crm_lead SET stage_id = %s WHERE stage_id = %s", suite.id, stock.id))
            self.env.cr.execute(
                SQL(
                    "UPDATE crm_lead_scoring_frequency SET value = %s WHERE variable = 'stage_id' AND value = %s",
                    str(suite.id),
                    str(stock.id),
                )
            )
            self.env["crm.lead"].invalidate_model(["stage_id"])
            stock.unlink()
