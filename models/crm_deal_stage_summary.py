from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

# Columns of a summary row, in the order the upsert writes them.
SUMMARY_COLUMNS = (
    "lead_id",
    "stage_id",
    "company_id",
    "team_id",
    "user_id",
    "date_first_in",
    "date_last_in",
    "date_open_in",
    "stay_count",
    "days_total",
    "days_latest",
    "is_entry",
    "is_first_stage",
    "is_strict",
    "advanced",
    "advanced_strict",
)


class CrmDealStageSummary(models.Model):
    """What each deal did in each stage: one row per deal and stage reached.

    Derived from ``crm.deal.stage.history`` when a deal moves, so that the
    analytics read plain columns instead of ranking the history at query time:

    * first and latest entry, number of stays, the open stay's entry;
    * cumulative and latest time of the closed stays;
    * whether the deal later reached a stage after this one or was won
      (``advanced``), and the strict variants: ``is_strict`` (every earlier
      stage of the pipeline had a stay before this one) and ``advanced_strict``
      (the deal then stayed in the very next stage);
    * stages the deal jumped over get a row without stay (``stay_count`` 0),
      so that the any-stage funnel counts them as passed.

    The pipeline order is the order of the stages (sequence, then id) that the
    deal's team uses, lost stages excluded, at the time of the move. The same
    fold builds the rows incrementally on every move and from scratch out of the
    history (``_recompute_from_history``).
    """

    _name = "crm.deal.stage.summary"
    _description = "Deal Stage Summary"
    _order = "lead_id, date_first_in, id"
    _rec_name = "stage_id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", readonly=True)
    stage_id = fields.Many2one("crm.stage", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", readonly=True, help="Team of the deal when it reached the stage."
    )
    user_id = fields.Many2one(
        "res.users", string="Salesperson", readonly=True, help="Salesperson of the deal when it reached the stage."
    )
    date_first_in = fields.Datetime(string="First Entered", required=True, readonly=True)
    date_last_in = fields.Datetime(string="Last Entered", readonly=True)
    date_open_in = fields.Datetime(
        string="In Stage Since", readonly=True, help="Entry of the open stay; empty once the deal left the stage."
    )
    stay_count = fields.Integer(string="Stays", readonly=True, help="0 for a stage the deal jumped over.")
    days_total = fields.Float(string="Cumulative Days", readonly=True, help="Days of all closed stays in the stage.")
    days_latest = fields.Float(string="Latest Days", readonly=True, help="Days of the latest closed stay in the stage.")
    is_entry = fields.Boolean(string="Entry Stage", readonly=True, help="The stage the deal started in.")
    is_first_stage = fields.Boolean(readonly=True, help="The first stage of the deal's pipeline.")
    is_strict = fields.Boolean(
        string="Reached Strictly",
        readonly=True,
        help="The deal stayed in every earlier stage of its pipeline before this one.",
    )
    advanced = fields.Boolean(readonly=True, help="The deal later reached a stage after this one, or was won.")
    advanced_strict = fields.Boolean(
        string="Advanced Strictly",
        readonly=True,
        help="The deal reached this stage strictly, then stayed in the very next stage.",
    )

    _sql_constraints = [  # noqa: RUF012
        ("lead_stage_uniq", "UNIQUE(lead_id, stage_id)", "A deal has one summary row per stage."),
    ]

    def init(self):
        # The funnel reads the stage's entries of a period.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_deal_stage_summary_stage_date_idx "
                "ON crm_deal_stage_summary (stage_id, date_first_in)"
            )
        )
        # The ranking reads the deals created in a period (their entry stage).
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_deal_stage_summary_entry_idx "
                "ON crm_deal_stage_summary (date_first_in) WHERE is_entry"
            )
        )

    # ------------------------------------------------------------------
    # The fold: one pure function of (rows of a deal, move)
    # ------------------------------------------------------------------

    @api.model
    def _pipeline_orders(self, team_ids):
        """``{team_id: {stage_id: rank}}``: the open and won stages each team uses, in order."""
        stages = (
            self.env["crm.stage"]
            .sudo()
            .with_context(active_test=False)
            .search([("is_lost", "=", False)], order="sequence, id")
        )
        orders = {}
        for team_id in set(team_ids):
            ranked = [s.id for s in stages if not s.team_id or s.team_id.id == team_id]
            orders[team_id] = {stage_id: rank for rank, stage_id in enumerate(ranked)}
        return orders

    @staticmethod
    def _fold_exit(rows, when):
        """The deal leaves its open stay at ``when``. Returns the stage it left, if any."""
        for row in rows.values():
            if row["date_open_in"]:
                days = (when - row["date_open_in"]).total_seconds() / 86400.0
                row["days_total"] += days
                row["days_latest"] = days
                row["date_open_in"] = None
                row["dirty"] = True
                return row["stage_id"]
        return None

    @staticmethod
    def _fold_entry(rows, order, stage_id, when, lead):
        """The deal enters ``stage_id`` at ``when``; ``lead`` gives company, team and user."""

        def new_row(stage):
            rows[stage] = {
                "stage_id": stage,
                "company_id": lead["company_id"],
                "team_id": lead["team_id"],
                "user_id": lead["user_id"],
                "date_first_in": when,
                "date_last_in": None,
                "date_open_in": None,
                "stay_count": 0,
                "days_total": 0.0,
                "days_latest": 0.0,
                "is_entry": False,
                "is_first_stage": order.get(stage) == 0,
                "is_strict": False,
                "advanced": False,
                "advanced_strict": False,
                "dirty": True,
            }
            return rows[stage]

        is_entry = not rows
        rank = order.get(stage_id)
        if rank is not None:
            reached = [order[s] for s in rows if s in order]
            top = max(reached) if reached else -1
            for other, row in rows.items():
                if other in order and order[other] < rank and not row["advanced"]:
                    row["advanced"] = row["dirty"] = True
            if rank > top:
                for skipped, skipped_rank in order.items():
                    if top < skipped_rank < rank and skipped not in rows:
                        new_row(skipped)["advanced"] = True
        row = rows.get(stage_id) or new_row(stage_id)
        if row["stay_count"] == 0 and rank is not None:
            # first stay: strict if every earlier stage had a stay before
            row["is_strict"] = all(
                rows.get(other, {}).get("stay_count") for other, other_rank in order.items() if other_rank < rank
            )
            if row["is_strict"] and rank > 0:
                previous = next(other for other, other_rank in order.items() if other_rank == rank - 1)
                rows[previous]["advanced_strict"] = rows[previous]["dirty"] = True
        row["is_entry"] = row["is_entry"] or is_entry
        row["stay_count"] += 1
        row["date_last_in"] = when
        row["date_open_in"] = when
        row["dirty"] = True

    # ------------------------------------------------------------------
    # Incremental upkeep (called by crm.lead when deals move)
    # ------------------------------------------------------------------

    def _read_rows(self, lead_ids):
        """Current summary rows of these deals: ``{lead_id: {stage_id: row}}``."""
        self.flush_model()
        rows = defaultdict(dict)
        if not lead_ids:
            return rows
        names = SQL(", ").join(SQL.identifier(column) for column in SUMMARY_COLUMNS)
        for values in self.env.execute_query(
            SQL("SELECT %s FROM crm_deal_stage_summary WHERE lead_id = ANY(%s)", names, list(lead_ids))
        ):
            row = dict(zip(SUMMARY_COLUMNS, values, strict=True))
            row["dirty"] = False
            row["days_total"] = row["days_total"] or 0.0
            row["days_latest"] = row["days_latest"] or 0.0
            rows[row["lead_id"]][row["stage_id"]] = row
        return rows

    def _write_rows(self, rows):
        """Upsert the changed rows of ``{lead_id: {stage_id: row}}`` in one statement."""
        changed = [(lead_id, row) for lead_id, lead_rows in rows.items() for row in lead_rows.values() if row["dirty"]]
        if not changed:
            return
        columns = {column: [] for column in SUMMARY_COLUMNS}
        for lead_id, row in changed:
            row["lead_id"] = lead_id
            for column in SUMMARY_COLUMNS:
                columns[column].append(row[column])
            row["dirty"] = False
        types = {
            "date_first_in": "timestamp",
            "date_last_in": "timestamp",
            "date_open_in": "timestamp",
            "days_total": "float8",
            "days_latest": "float8",
            "is_entry": "bool",
            "is_first_stage": "bool",
            "is_strict": "bool",
            "advanced": "bool",
            "advanced_strict": "bool",
        }
        names = SQL(", ").join(SQL.identifier(column) for column in SUMMARY_COLUMNS)
        arrays = SQL(", ").join(
            SQL("%s::%s[]", columns[column], SQL(types.get(column, "int4"))) for column in SUMMARY_COLUMNS
        )
        updates = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(column), SQL.identifier(column)) for column in SUMMARY_COLUMNS[2:]
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_deal_stage_summary (%(names)s, create_uid, create_date, write_uid, write_date)
                SELECT *, %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM unnest(%(arrays)s)
                ON CONFLICT (lead_id, stage_id) DO UPDATE SET %(updates)s,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                """,
                names=names,
                arrays=arrays,
                updates=updates,
                uid=self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def _on_moves(self, leads, when, exit_stage=None, enter=True):
        """``leads`` left their open stay (``exit_stage`` given: the stage they move to, maybe
        empty) and/or entered their current stage at ``when``. Returns ``{lead_id: stage left}``."""
        rows = self._read_rows(leads.ids)
        orders = self._pipeline_orders(leads.team_id.ids + [False])
        left = {}
        for lead in leads:
            lead_rows = rows[lead.id]
            if exit_stage is not None:
                left[lead.id] = self._fold_exit(lead_rows, when)
            if enter and lead.stage_id:
                snapshot = {
                    "company_id": lead.company_id.id or None,
                    "team_id": lead.team_id.id or None,
                    "user_id": lead.user_id.id or None,
                }
                self._fold_entry(lead_rows, orders[lead.team_id.id], lead.stage_id.id, when, snapshot)
        self._write_rows(rows)
        self.env["crm.lead"].sudo()._sync_stage_snapshots(leads.ids)
        return left

    # ------------------------------------------------------------------
    # From scratch
    # ------------------------------------------------------------------

    @api.model
    def _recompute_from_history(self, lead_ids=None):
        """The summary rows of these deals (all deals if None) folded from their whole history,
        ``{lead_id: {stage_id: row}}``, without writing anything."""
        self.env["crm.deal.stage.history"].flush_model()
        where = SQL("TRUE") if lead_ids is None else SQL("h.lead_id = ANY(%s)", list(lead_ids))
        stays = self.env.execute_query(
            SQL(
                """
                SELECT h.lead_id, h.stage_id, h.date_in, h.date_out, h.company_id, h.team_id, h.user_id
                  FROM crm_deal_stage_history h
                 WHERE h.stage_id IS NOT NULL AND %s
              ORDER BY h.lead_id, h.date_in, h.id
                """,
                where,
            )
        )
        orders = self._pipeline_orders([stay[5] or False for stay in stays] + [False])
        rows = defaultdict(dict)
        for lead_id, stage_id, date_in, date_out, company_id, team_id, user_id in stays:
            lead_rows = rows[lead_id]
            self._fold_exit(lead_rows, date_in)
            self._fold_entry(
                lead_rows,
                orders[team_id or False],
                stage_id,
                date_in,
                {"company_id": company_id, "team_id": team_id, "user_id": user_id},
            )
            if date_out:
                self._fold_exit(lead_rows, date_out)
        return rows

    @api.model
    def _rebuild(self, lead_ids=None):
        """Replace the summary rows of these deals (all if None) by the fold of their history."""
        rows = self._recompute_from_history(lead_ids)
        where = SQL("TRUE") if lead_ids is None else SQL("lead_id = ANY(%s)", list(lead_ids))
        self.env.cr.execute(SQL("DELETE FROM crm_deal_stage_summary WHERE %s", where))
        self._write_rows(rows)
        self.env["crm.lead"].sudo()._sync_stage_snapshots(lead_ids)

    @api.model
    def _init_summary(self):
        """Install and update: fold the history of the deals that have none yet."""
        self.flush_model()
        missing = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT h.lead_id FROM crm_deal_stage_history h
                     WHERE NOT EXISTS (SELECT 1 FROM crm_deal_stage_summary s WHERE s.lead_id = h.lead_id)
                    """
                )
            )
        ]
        for start in range(0, len(missing), 10000):
            self._rebuild(missing[start : start + 10000])
        # the deals' snapshots of their summary, filled in SQL on the databases that had none
        self.env["crm.lead"].sudo()._sync_stage_snapshots()
