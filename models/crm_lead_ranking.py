from odoo import api, fields, models
from odoo.tools import SQL

# The snapshot columns of a deal, each taken from one of its stage summary rows (crm.deal.stage.summary):
# ``stage`` the row of its current stage (who owned the deal when it first reached the stage it was won
# or lost in), ``entry`` the row of the stage it started in (who owned it when it was created).
SNAPSHOT_COLUMNS = {
    "crm_stage_user_id": ("stage", "user_id"),
    "crm_stage_team_id": ("stage", "team_id"),
    "crm_stage_company_id": ("stage", "company_id"),
    "crm_entry_user_id": ("entry", "user_id"),
    "crm_entry_team_id": ("entry", "team_id"),
    "crm_entry_company_id": ("entry", "company_id"),
    "crm_date_entry": ("entry", "date_first_in"),
}


class CrmLead(models.Model):
    """The stage summary's snapshots the salesperson ranking credits, kept on the deal.

    The ranking credits a won or lost deal to the salesperson who owned it when it reached the stage it
    was closed in, and a created deal to the one who owned it in its first stage. Both come from the
    stage summary; kept on the deal as it moves, the ranking reads the deals alone, by closing date or
    entry date, instead of joining every summary row at query time.
    """

    _inherit = "crm.lead"

    crm_stage_user_id = fields.Many2one(
        "res.users",
        string="Salesperson in Stage",
        readonly=True,
        copy=False,
        help="Salesperson of the deal when it first reached its current stage: the one credited with its "
        "win or loss in the salesperson ranking.",
    )
    crm_stage_team_id = fields.Many2one(
        "crm.team",
        string="Sales Team in Stage",
        readonly=True,
        copy=False,
        help="Team of the deal when it first reached its current stage.",
    )
    crm_stage_company_id = fields.Many2one("res.company", string="Company in Stage", readonly=True, copy=False)
    crm_entry_user_id = fields.Many2one(
        "res.users",
        string="Salesperson at Entry",
        readonly=True,
        copy=False,
        help="Salesperson of the deal in the stage it started in: the one credited with its creation in the "
        "salesperson ranking.",
    )
    crm_entry_team_id = fields.Many2one("crm.team", string="Sales Team at Entry", readonly=True, copy=False)
    crm_entry_company_id = fields.Many2one("res.company", string="Company at Entry", readonly=True, copy=False)
    crm_date_entry = fields.Datetime(
        string="Entered Pipeline On",
        readonly=True,
        copy=False,
        index=True,
        help="When the deal entered the stage it started in.",
    )

    @api.model
    def _snapshot_sql(self, lead_ids=None):
        """``(lead id, *SNAPSHOT_COLUMNS)`` of these deals (all if None), folded from their stage summary:
        the one definition the upkeep writes and the tests compare with."""
        where = SQL("TRUE") if lead_ids is None else SQL("l.id = ANY(%s)", list(lead_ids))
        return SQL(
            """
            SELECT l.id AS lead_id, %(columns)s
              FROM crm_lead l
         LEFT JOIN crm_deal_stage_summary stage ON stage.lead_id = l.id AND stage.stage_id = l.stage_id
         LEFT JOIN crm_deal_stage_summary entry ON entry.lead_id = l.id AND entry.is_entry
             WHERE %(where)s
            """,
            columns=SQL(", ").join(
                SQL("%s AS %s", SQL.identifier(row, column), SQL.identifier(name))
                for name, (row, column) in SNAPSHOT_COLUMNS.items()
            ),
            where=where,
        )

    @api.model
    def _sync_stage_snapshots(self, lead_ids=None):
        """Write the snapshot columns of these deals (all if None) where they differ from their summary.
        Returns the number of deals changed."""
        if lead_ids is not None and not lead_ids:
            return 0
        self.env["crm.deal.stage.summary"].flush_model()
        self.flush_model(["stage_id", *SNAPSHOT_COLUMNS])
        names = list(SNAPSHOT_COLUMNS)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead l SET %(sets)s
                  FROM (%(snapshot)s) s
                 WHERE s.lead_id = l.id AND (%(changed)s)
                """,
                sets=SQL(", ").join(SQL("%s = s.%s", SQL.identifier(n), SQL.identifier(n)) for n in names),
                snapshot=self._snapshot_sql(lead_ids),
                changed=SQL(" OR ").join(
                    SQL("l.%s IS DISTINCT FROM s.%s", SQL.identifier(n), SQL.identifier(n)) for n in names
                ),
            )
        )
        changed = self.env.cr.rowcount
        if changed:
            self.invalidate_model(names)
        return changed
