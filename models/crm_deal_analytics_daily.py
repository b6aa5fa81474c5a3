import datetime
import logging
import zlib
from collections import defaultdict

from psycopg2 import errors

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_automation import cron_commit

_logger = logging.getLogger(__name__)

# The key of a row: what the dashboard filters and groups on, and what the record rules read.
DAILY_KEYS = ("kind", "day", "stage_id", "user_id", "team_id", "company_id", "source_id", "deal_team_id", "value")
# The sums of a row; all of them zero means the row holds nothing and is deleted.
DAILY_MEASURES = (
    "deal_count",
    "won_count",
    "lost_count",
    "won_amount",
    "closed_amount",
    "cycle_seconds",
    "stayed_count",
    "advanced_count",
    "strict_count",
    "advanced_strict_count",
    "days_sum",
    "days_count",
    "open_count",
    "open_epoch_sum",
    "days_latest_sum",
    "days_latest_closed_sum",
    "days_stayed_sum",
    "pipeline_value",
    "weighted_value",
)
KEY_TYPES = {"kind": "varchar", "day": "date", "value": "numeric"}
MEASURE_TYPES = {
    "won_amount": "numeric",
    "closed_amount": "numeric",
    "cycle_seconds": "numeric",
    "days_sum": "numeric",
    "open_epoch_sum": "numeric",
    "days_latest_sum": "numeric",
    "days_latest_closed_sum": "numeric",
    "days_stayed_sum": "numeric",
    "pipeline_value": "numeric",
    "weighted_value": "numeric",
}
PENDING = "crm.deal.analytics.daily"
# The transaction-level advisory lock a fold of the pending differences holds: one folder at a time.
FOLD_LOCK = zlib.crc32(b"crm.deal.analytics.daily fold")
# The percentiles of the won deals' size and cycle the reports and the dashboard show.
PERCENTILES = (("cycle", 0.5), ("cycle", 0.9), ("size", 0.5))
# Folded at most this many pending rows at once (the cron folds again until none are left).
FOLD_BATCH = 50000


class CrmDealAnalyticsFiguresMixin(models.AbstractModel):
    """The columns of the dashboard's daily figures: the key of a row and its sums (see
    crm.deal.analytics.daily)."""

    _name = "crm.deal.analytics.figures.mixin"
    _description = "Daily Deal Figures Columns"

    kind = fields.Selection(
        [
            ("closed", "Closed"),
            ("open", "Open"),
            ("size", "Won Deal Size"),
            ("cycle", "Won Deal Cycle"),
            ("stage", "Stage Reached"),
            ("rank_closed", "Ranking: Closed"),
            ("rank_created", "Ranking: Created"),
        ],
        required=True,
        readonly=True,
    )
    day = fields.Date(readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True, ondelete="cascade")
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="cascade")
    source_id = fields.Many2one("utm.source", readonly=True, ondelete="cascade")
    deal_team_id = fields.Many2one("crm.team", string="Current Sales Team", readonly=True, ondelete="cascade")
    # numeric columns: the sums add and subtract exactly
    value = fields.Float(readonly=True, digits=(32, 6), help="Deal size, or seconds of sales cycle.")
    deal_count = fields.Integer(readonly=True)
    won_count = fields.Integer(readonly=True)
    lost_count = fields.Integer(readonly=True)
    won_amount = fields.Float(readonly=True, digits=(32, 6))
    closed_amount = fields.Float(readonly=True, digits=(32, 6))
    cycle_seconds = fields.Float(readonly=True, digits=(32, 6))
    stayed_count = fields.Integer(readonly=True)
    advanced_count = fields.Integer(readonly=True)
    strict_count = fields.Integer(readonly=True)
    advanced_strict_count = fields.Integer(readonly=True)
    days_sum = fields.Float(readonly=True, digits=(32, 6))
    days_count = fields.Integer(readonly=True)
    # the time in stage of the funnel report (crm.deal.funnel.report), open stays following the clock:
    # their count and the sum of their entry times (seconds since the epoch), the sum of the latest
    # finished stays (of the stages with one; of the stages stayed in and left), of all finished stays
    open_count = fields.Integer(string="Open Stays", readonly=True)
    open_epoch_sum = fields.Float(string="Entry Times of Open Stays", readonly=True, digits=(32, 6))
    days_latest_sum = fields.Float(string="Days of Latest Finished Stays", readonly=True, digits=(32, 6))
    days_latest_closed_sum = fields.Float(string="Days of Latest Stays, Stage Left", readonly=True, digits=(32, 6))
    days_stayed_sum = fields.Float(string="Days of Finished Stays", readonly=True, digits=(32, 6))
    pipeline_value = fields.Float(readonly=True, digits=(32, 6))
    weighted_value = fields.Float(readonly=True, digits=(32, 6))


class CrmDealAnalyticsDaily(models.Model):
    """The dashboard's figures summed per day: one row per kind of fact, day and keys.

    Kinds, each mirroring the report it stands for (same keys, so the same filters and rules apply):

    * ``closed``: deals by closing day (crm.deal.outcome.report): deals, won, lost, won and closed value,
      sales cycle of the won deals, by today's salesperson, team, company and source;
    * ``open``: open deals by expected closing day (crm.deal.outcome.report): pipeline value and weighted
      forecast;
    * ``size`` and ``cycle``: the won deals by closing day and exact ``value`` (deal size, seconds of sales
      cycle), so that medians and percentiles of any period follow exactly from the counts;
    * ``stage``: the stage summary by first-entry day and stage (crm.deal.funnel.report), by the
      salesperson, team and company the deal had when it reached the stage;
    * ``rank_closed`` and ``rank_created``: the salesperson ranking's closing and creating events
      (crm.salesperson.ranking.report), by the owners kept on the deal.

    ``deal_team_id`` is the deal's team today, the one Team Isolation follows in every report.

    Kept current as deals change, without a transaction ever updating a row another one may update:

    * the deals a transaction touches are noted, with their part of the sums before the change
      (``_note_leads``); at the end of the outermost create, write or unlink, before each dashboard read
      and at commit (``_fold``), their part after it minus the part before is APPENDED to
      crm.deal.analytics.pending, which nothing but the fold of the pending rows ever deletes from;
    * the dashboard reads the sums plus the pending differences (crm.deal.analytics.figures), so its
      figures are exact from any snapshot, whether the differences are folded yet or not;
    * ``_fold_pending`` (a cron, every few minutes) moves the pending differences into the sums in one
      grouped upsert, under a transaction-level advisory lock it only tries to take: one folder at a
      time, and never a wait on writers, whose pending rows it does not see until they commit.

    ``_daily_facts_sql`` is the one definition the upkeep uses, and the full fill (``_fill``, on install,
    upgrade and rebuild) groups it over every deal.
    """

    _name = "crm.deal.analytics.daily"
    _inherit = ["crm.deal.analytics.figures.mixin"]  # noqa: RUF012
    _description = "Daily Deal Figures"
    _order = "day desc, id desc"
    _log_access = False

    def init(self):
        # the upsert's conflict target; NULL keys (no team, no day ...) are equal keys
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crm_deal_analytics_daily_key_uniq ON crm_deal_analytics_daily "
                "(kind, day, stage_id, user_id, team_id, company_id, source_id, deal_team_id, value) NULLS NOT DISTINCT"
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_deal_analytics_daily_kind_day_idx "
                "ON crm_deal_analytics_daily (kind, day)"
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_deal_analytics_daily_empty_idx "
                "ON crm_deal_analytics_daily (id) WHERE deal_count = 0"
            )
        )

    # ------------------------------------------------------------------
    # The one definition
    # ------------------------------------------------------------------

    @api.model
    def _daily_facts_sql(self, lead_ids=None):
        """``(*DAILY_KEYS, *DAILY_MEASURES)`` summed per key over these deals (all if None), from the deals,
        their stages, their companies' cycle setting and their stage summary."""
        lead_where = SQL("TRUE") if lead_ids is None else SQL("l.id = ANY(%s)", list(lead_ids))
        summary_where = SQL("TRUE") if lead_ids is None else SQL("s.lead_id = ANY(%s)", list(lead_ids))
        zero = {measure: SQL("0") for measure in DAILY_MEASURES}

        def part(kind, day, keys, measures, source, where):
            values = {**zero, **measures}
            return SQL(
                "SELECT %s::varchar AS kind, %s::date AS day, %s, %s FROM %s WHERE %s",
                kind,
                day,
                SQL(", ").join(
                    SQL("%s::%s AS %s", keys.get(key, SQL("NULL")), SQL(KEY_TYPES.get(key, "int4")), SQL(key))
                    for key in DAILY_KEYS[2:]
                ),
                SQL(", ").join(
                    SQL("%s::%s AS %s", values[measure], SQL(MEASURE_TYPES.get(measure, "int4")), SQL(measure))
                    for measure in DAILY_MEASURES
                ),
                source,
                where,
            )

        deal_keys = {
            "user_id": SQL("d.user_id"),
            "team_id": SQL("d.team_id"),
            "company_id": SQL("d.company_id"),
            "source_id": SQL("d.source_id"),
            "deal_team_id": SQL("d.team_id"),
        }
        won = SQL("(d.outcome = 'won')")
        parts = [
            part(
                "closed",
                SQL("d.date_closed"),
                deal_keys,
                {
                    "deal_count": SQL("1"),
                    "won_count": SQL("%s::int", won),
                    "lost_count": SQL("(d.outcome = 'lost')::int"),
                    "won_amount": SQL("CASE WHEN %s THEN d.amount ELSE 0 END", won),
                    "closed_amount": SQL("CASE WHEN d.outcome <> 'open' THEN d.amount ELSE 0 END"),
                    "cycle_seconds": SQL("CASE WHEN %s THEN d.cycle ELSE 0 END", won),
                },
                SQL("deal d"),
                SQL("d.date_closed IS NOT NULL"),
            ),
            part(
                "open",
                SQL("d.date_deadline"),
                deal_keys,
                {
                    "deal_count": SQL("1"),
                    "pipeline_value": SQL("d.amount"),
                    "weighted_value": SQL("d.amount * COALESCE(d.probability, 0)::numeric / 100"),
                },
                SQL("deal d"),
                SQL("d.outcome = 'open'"),
            ),
            part(
                "size",
                SQL("d.date_closed"),
                {**deal_keys, "value": SQL("d.amount")},
                {"deal_count": SQL("1")},
                SQL("deal d"),
                SQL("%s AND d.date_closed IS NOT NULL", won),
            ),
            part(
                "cycle",
                SQL("d.date_closed"),
                {**deal_keys, "value": SQL("d.cycle")},
                {"deal_count": SQL("1")},
                SQL("deal d"),
                SQL("%s AND d.date_closed IS NOT NULL", won),
            ),
            part(
                "rank_closed",
                SQL("d.date_closed"),
                {
                    "user_id": SQL("d.crm_stage_user_id"),
                    "team_id": SQL("d.crm_stage_team_id"),
                    "company_id": SQL("d.crm_stage_company_id"),
                    "deal_team_id": SQL("d.team_id"),
                },
                {
                    "deal_count": SQL("1"),
                    "won_count": SQL("d.rank_won::int"),
                    "lost_count": SQL("(NOT d.rank_won)::int"),
                    "won_amount": SQL("CASE WHEN d.rank_won THEN d.amount ELSE 0 END"),
                    "cycle_seconds": SQL("CASE WHEN d.rank_won THEN d.rank_cycle ELSE 0 END"),
                },
                SQL("deal d"),
                SQL("d.rank_closed AND d.date_closed IS NOT NULL"),
            ),
            part(
                "rank_created",
                SQL("d.crm_date_entry"),
                {
                    "user_id": SQL("d.crm_entry_user_id"),
                    "team_id": SQL("d.crm_entry_team_id"),
                    "company_id": SQL("d.crm_entry_company_id"),
                    "deal_team_id": SQL("d.team_id"),
                },
                {"deal_count": SQL("1")},
                SQL("deal d"),
                SQL("d.crm_date_entry IS NOT NULL"),
            ),
            part(
                "stage",
                SQL("s.date_first_in"),
                {
                    "stage_id": SQL("s.stage_id"),
                    "user_id": SQL("s.user_id"),
                    "team_id": SQL("s.team_id"),
                    "company_id": SQL("s.company_id"),
                    "source_id": SQL("l.source_id"),
                    "deal_team_id": SQL("l.team_id"),
                },
                {
                    "deal_count": SQL("1"),
                    "stayed_count": SQL("(s.stay_count > 0)::int"),
                    "advanced_count": SQL("COALESCE(s.advanced, FALSE)::int"),
                    "strict_count": SQL("COALESCE(s.is_strict, FALSE)::int"),
                    "advanced_strict_count": SQL("COALESCE(s.is_strict AND s.advanced_strict, FALSE)::int"),
                    "days_sum": SQL("CASE WHEN %s THEN s.days_total::numeric ELSE 0 END", SQL("s.closed_stay")),
                    "days_count": SQL("s.closed_stay::int"),
                    "open_count": SQL("(s.date_open_in IS NOT NULL)::int"),
                    "open_epoch_sum": SQL("COALESCE(date_part('epoch', s.date_open_in)::numeric, 0)"),
                    "days_latest_sum": SQL("CASE WHEN s.closed_stay THEN s.days_latest::numeric ELSE 0 END"),
                    "days_latest_closed_sum": SQL(
                        "CASE WHEN s.stay_count > 0 AND s.date_open_in IS NULL THEN s.days_latest::numeric ELSE 0 END"
                    ),
                    "days_stayed_sum": SQL("CASE WHEN s.stay_count > 0 THEN s.days_total::numeric ELSE 0 END"),
                },
                # the funnel's time in stage (days_cumulative) counts the stages with a finished stay
                SQL(
                    """(SELECT s.*, COALESCE(s.stay_count > 1 OR (s.stay_count = 1 AND s.date_open_in IS NULL),
                                             FALSE) AS closed_stay
                          FROM crm_deal_stage_summary s WHERE %s) s
                       LEFT JOIN crm_lead l ON l.id = s.lead_id""",
                    summary_where,
                ),
                SQL("TRUE"),
            ),
        ]
        return SQL(
            """
            WITH deal AS (
                -- the outcome and the cycle as the outcome and ranking reports define them
                SELECT l.id, l.user_id, l.team_id, l.company_id, l.source_id, l.date_closed, l.date_deadline,
                       l.probability,
                       l.crm_stage_user_id, l.crm_stage_team_id, l.crm_stage_company_id,
                       l.crm_entry_user_id, l.crm_entry_team_id, l.crm_entry_company_id, l.crm_date_entry,
                       COALESCE(l.expected_revenue, 0)::numeric AS amount,
                       CASE WHEN NOT l.active OR stage.is_lost THEN 'lost'
                            WHEN stage.is_won THEN 'won'
                            ELSE 'open' END AS outcome,
                       EXTRACT(EPOCH FROM (l.date_closed - CASE WHEN company.crm_cycle_start = 'conversion'
                                                              THEN COALESCE(l.date_conversion, l.create_date)
                                                              ELSE l.create_date END)) AS cycle,
                       stage.id IS NOT NULL AND COALESCE(l.active AND stage.is_won, FALSE) AS rank_won,
                       stage.id IS NOT NULL
                           AND COALESCE((l.active AND stage.is_won) OR NOT l.active OR stage.is_lost, FALSE)
                           AS rank_closed,
                       EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) AS rank_cycle
                  FROM crm_lead l
             LEFT JOIN crm_stage stage ON stage.id = l.stage_id
             LEFT JOIN res_company company ON company.id = l.company_id
                 WHERE l.type = 'opportunity' AND %(lead_where)s
            )
            SELECT %(keys)s, %(sums)s FROM (%(parts)s) f GROUP BY %(keys)s
            """,
            lead_where=lead_where,
            keys=SQL(", ").join(SQL.identifier(key) for key in DAILY_KEYS),
            sums=SQL(", ").join(SQL("SUM(%s) AS %s", SQL.identifier(m), SQL.identifier(m)) for m in DAILY_MEASURES),
            parts=SQL(" UNION ALL ").join(parts),
        )

    @api.model
    def _flush_sources(self):
        for model in ("crm.lead", "crm.stage", "res.company", "crm.deal.stage.summary"):
            self.env[model].flush_model()

    @api.model
    def _daily_facts(self, lead_ids):
        """``{key: [measures]}`` of these deals, read now."""
        if not lead_ids:
            return {}
        self._flush_sources()
        keys = len(DAILY_KEYS)
        return {
            tuple(row[:keys]): list(row[keys:])
            for row in self.env.execute_query(self._daily_facts_sql(sorted(lead_ids)))
        }

    # ------------------------------------------------------------------
    # Incremental upkeep
    # ------------------------------------------------------------------

    def _pending(self):
        """The deals this transaction changed since the last fold, and their part of the sums before."""
        data = self.env.cr.precommit.data
        if PENDING not in data:
            data[PENDING] = {"leads": set(), "before": {}, "depth": 0}
            self.env.cr.precommit.add(self.sudo()._fold)
        return data[PENDING]

    @api.model
    def _note_leads(self, lead_ids, new=False):
        """These deals are about to change (``new``: were just inserted, so had no part before)."""
        if self.env.context.get("crm_daily_skip"):
            return
        pending = self._pending()
        # records not in the database yet (NewId) have nothing to note
        fresh = {lead_id for lead_id in lead_ids if isinstance(lead_id, int)} - pending["leads"]
        if not fresh:
            return
        pending["leads"] |= fresh
        if new:
            return
        before = pending["before"]
        for key, measures in self._daily_facts(fresh).items():
            known = before.setdefault(key, [0] * len(DAILY_MEASURES))
            for index, measure in enumerate(measures):
                known[index] += measure

    @api.model
    def _fold(self):
        """Append the change of the noted deals to the pending differences: after minus before, grouped,
        in one INSERT (no row of the sums is touched, so no other transaction waits on this one)."""
        data = self.env.cr.precommit.data
        pending = data.get(PENDING)
        if not pending or not pending["leads"]:
            return
        delta = defaultdict(lambda: [0] * len(DAILY_MEASURES))
        for key, measures in pending["before"].items():
            delta[key] = [-measure for measure in measures]
        for key, measures in self._daily_facts(pending["leads"]).items():
            row = delta[key]
            for index, measure in enumerate(measures):
                row[index] += measure
        pending["leads"] = set()
        pending["before"] = {}
        self._append_pending({key: row for key, row in delta.items() if any(row)})

    @api.model
    def _append_pending(self, delta):
        if not delta:
            return
        columns = list(zip(*((*key, *row) for key, row in delta.items()), strict=True))
        types = [KEY_TYPES.get(key, "int4") for key in DAILY_KEYS]
        types += [MEASURE_TYPES.get(measure, "int4") for measure in DAILY_MEASURES]
        arrays = SQL(", ").join(
            SQL("%s::%s[]", list(values), SQL(kind)) for values, kind in zip(columns, types, strict=True)
        )
        self.env.cr.execute(
            SQL(
                "INSERT INTO crm_deal_analytics_pending (%s) SELECT * FROM unnest(%s)",
                SQL(", ").join(SQL.identifier(name) for name in (*DAILY_KEYS, *DAILY_MEASURES)),
                arrays,
            )
        )
        self.env["crm.deal.analytics.pending"].invalidate_model()

    @api.model
    def _run_noted(self, lead_ids, function, *args, **kwargs):
        """Run ``function`` on these deals, noted first, and fold at the end of the outermost such call."""
        if self.env.context.get("crm_daily_skip"):
            return function(*args, **kwargs)
        pending = self._pending()
        self._note_leads(lead_ids)
        pending["depth"] += 1
        try:
            result = function(*args, **kwargs)
        finally:
            pending["depth"] -= 1
        if not pending["depth"]:
            self._fold()
        return result

    @api.model
    def _fold_pending(self, limit=FOLD_BATCH):
        """Move up to ``limit`` pending differences, committed or this transaction's own, into the sums:
        one DELETE ... RETURNING, grouped by key, added by one upsert. Returns how many were folded,
        or None when another transaction is folding (its advisory lock is held), or when it folded
        since this transaction's snapshot (REPEATABLE READ): the rows are left for the next fold, and
        the figures read meanwhile are the same (sums plus pending)."""
        self._fold()
        if not self.env.execute_query(SQL("SELECT pg_try_advisory_xact_lock(%s)", FOLD_LOCK))[0][0]:
            return None
        keys = SQL(", ").join(SQL.identifier(key) for key in DAILY_KEYS)
        measures = SQL(", ").join(SQL.identifier(measure) for measure in DAILY_MEASURES)
        try:
            with self.env.cr.savepoint():
                [(count,)] = self.env.execute_query(
                    SQL(
                        """
                        WITH moved AS (
                            DELETE FROM crm_deal_analytics_pending
                             WHERE id IN (SELECT id FROM crm_deal_analytics_pending ORDER BY id LIMIT %(limit)s)
                         RETURNING %(keys)s, %(measures)s
                        ),
                        grouped AS (
                            SELECT %(keys)s, %(sums)s FROM moved GROUP BY %(keys)s
                        ),
                        added AS (
                            INSERT INTO crm_deal_analytics_daily AS d (%(keys)s, %(measures)s)
                            SELECT * FROM grouped WHERE %(any)s
                            ON CONFLICT (kind, day, stage_id, user_id, team_id, company_id, source_id,
                                         deal_team_id, value)
                            DO UPDATE SET %(adds)s
                        )
                        SELECT count(*) FROM moved
                        """,
                        limit=limit,
                        keys=keys,
                        measures=measures,
                        sums=SQL(", ").join(
                            SQL("SUM(%s) AS %s", SQL.identifier(m), SQL.identifier(m)) for m in DAILY_MEASURES
                        ),
                        any=SQL(" OR ").join(SQL("%s <> 0", SQL.identifier(m)) for m in DAILY_MEASURES),
                        adds=SQL(", ").join(
                            SQL("%s = d.%s + EXCLUDED.%s", SQL.identifier(m), SQL.identifier(m), SQL.identifier(m))
                            for m in DAILY_MEASURES
                        ),
                    )
                )
                # every fact counts one deal: a key whose deals all left it holds nothing (a partial index)
                self.env.cr.execute(SQL("DELETE FROM crm_deal_analytics_daily WHERE deal_count = 0"))
        except errors.SerializationFailure:
            _logger.info("Daily deal figures: folded by another transaction meanwhile, left for the next fold")
            return None
        self.invalidate_model()
        self.env["crm.deal.analytics.pending"].invalidate_model()
        return count

    @api.model
    def _cron_fold_pending(self):
        """Fold every pending difference, a batch per transaction."""
        while True:
            count = self._fold_pending()
            if not count or count < FOLD_BATCH or not cron_commit(self.env):
                return

    # ------------------------------------------------------------------
    # From scratch
    # ------------------------------------------------------------------

    @api.model
    def _fill(self, kinds=None):
        """Replace the rows (of these kinds, all if None) by the sums of every deal, in SQL (install,
        upgrade, rebuild, a change of stages or of the cycle setting)."""
        self._fold()
        self._flush_sources()
        # no fold of the pending differences meanwhile: those this snapshot sees are in the recompute
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", FOLD_LOCK))
        names = SQL(", ").join(SQL.identifier(name) for name in (*DAILY_KEYS, *DAILY_MEASURES))
        where = SQL("TRUE") if kinds is None else SQL("kind = ANY(%s)", list(kinds))
        self.env.cr.execute(SQL("DELETE FROM crm_deal_analytics_pending WHERE %s", where))
        self.env.cr.execute(SQL("DELETE FROM crm_deal_analytics_daily WHERE %s", where))
        self.env.cr.execute(
            SQL(
                "INSERT INTO crm_deal_analytics_daily (%s) SELECT * FROM (%s) f WHERE %s",
                names,
                self._daily_facts_sql(),
                where,
            )
        )
        self.invalidate_model()
        self.env["crm.deal.analytics.pending"].invalidate_model()

    @api.model
    def _fill_new_measures(self):
        """Upgrade: the measures added since the rows were filled are NULL; they are zero in the kinds that do
        not sum them, and the stage kind, which does, is filled again."""
        missing = [
            measure
            for measure in DAILY_MEASURES
            if self.env.execute_query(
                SQL(
                    "SELECT 1 FROM crm_deal_analytics_daily WHERE %s IS NULL LIMIT 1",
                    SQL.identifier(measure),
                )
            )
        ]
        if not missing:
            return
        for table in ("crm_deal_analytics_daily", "crm_deal_analytics_pending"):
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE %s",
                    SQL.identifier(table),
                    SQL(", ").join(SQL("%s = COALESCE(%s, 0)", SQL.identifier(m), SQL.identifier(m)) for m in missing),
                    SQL(" OR ").join(SQL("%s IS NULL", SQL.identifier(m)) for m in missing),
                )
            )
        self._fill(kinds=["stage"])

    @api.model
    def _is_empty(self):
        self.env.cr.execute(SQL("SELECT 1 FROM crm_deal_analytics_daily LIMIT 1"))
        return not self.env.cr.fetchone()

    @api.model
    def _rows(self, folded_only=False):
        """``{key: [measures]}`` of the figures the dashboard reads, the sums plus the pending differences
        (or the folded sums alone), keys holding nothing left out: what the tests compare with a recompute."""
        self._fold()
        keys = SQL(", ").join(SQL.identifier(key) for key in DAILY_KEYS)
        table = SQL.identifier("crm_deal_analytics_daily")
        if not folded_only:
            table = self.env["crm.deal.analytics.figures"]._table_sql
        rows = self.env.execute_query(
            SQL(
                "SELECT %s, %s FROM %s f GROUP BY %s",
                keys,
                SQL(", ").join(SQL("SUM(%s)", SQL.identifier(m)) for m in DAILY_MEASURES),
                table,
                keys,
            )
        )
        count = len(DAILY_KEYS)
        return {tuple(row[:count]): list(row[count:]) for row in rows if any(row[count:])}

    @api.model
    def _recompute(self):
        """``{key: [measures]}`` of every deal, from scratch, without writing anything."""
        self._fold()
        self._flush_sources()
        keys = len(DAILY_KEYS)
        return {tuple(row[:keys]): list(row[keys:]) for row in self.env.execute_query(self._daily_facts_sql())}


class CrmDealAnalyticsPending(models.Model):
    """Differences of the daily deal figures not folded into crm.deal.analytics.daily yet: only ever
    inserted into by the transactions that change deals, and deleted by the fold (``_fold_pending``)."""

    _name = "crm.deal.analytics.pending"
    _inherit = ["crm.deal.analytics.figures.mixin"]  # noqa: RUF012
    _description = "Daily Deal Figures to Fold"
    _log_access = False


class CrmDealAnalyticsFigures(models.Model):
    """The daily deal figures as the dashboard reads them: the folded sums and the pending differences
    (sum them per key). The reports' access rules apply to it."""

    _name = "crm.deal.analytics.figures"
    _inherit = ["crm.deal.analytics.figures.mixin"]  # noqa: RUF012
    _description = "Daily Deal Figures (Read)"
    _auto = False
    _depends = {  # noqa: RUF012
        "crm.deal.analytics.daily": [*DAILY_KEYS, *DAILY_MEASURES],
        "crm.deal.analytics.pending": [*DAILY_KEYS, *DAILY_MEASURES],
    }

    @property
    def _table_query(self):
        names = SQL(", ").join(SQL.identifier(name) for name in (*DAILY_KEYS, *DAILY_MEASURES))
        # the pending rows after the sums, with ids of their own
        return SQL(
            "SELECT id, %(names)s FROM crm_deal_analytics_daily UNION ALL "
            "SELECT -id, %(names)s FROM crm_deal_analytics_pending",
            names=names,
        )

    @api.model
    def _percentiles(self, domain, groupby=(), fractions=PERCENTILES):
        """``{group key: {(kind, fraction): value}}``: the exact ``percentile_cont`` of the won deals' size and
        cycle (seconds) of each group of ``groupby`` (figures groupings), from their counts per value (the
        ``size`` and ``cycle`` rows in ``domain``), read as the current user. A group key holds the groups'
        values as ``_group_key`` gives them."""
        fractions = list(fractions)
        kinds = sorted({kind for kind, _fraction in fractions})
        query = self._search([("kind", "in", kinds), *domain])
        groups = [
            SQL("%s AS %s", self._read_group_groupby(spec, query), SQL.identifier(f"g{index}"))
            for index, spec in enumerate(groupby)
        ]
        names = [SQL.identifier(f"g{index}") for index in range(len(groupby))]
        partition = SQL(", ").join([SQL("kind"), *names])
        rows = self.env.execute_query(
            SQL(
                """
                WITH d AS (SELECT kind, %(groups)s value, SUM(deal_count) AS n FROM %(from)s WHERE %(where)s
                            GROUP BY %(partition)s, value HAVING SUM(deal_count) <> 0),
                     -- each value spans the positions [first, last) of its group's sorted deals
                     r AS (SELECT d.*, SUM(n) OVER w - n AS first, SUM(n) OVER w AS last,
                                  SUM(n) OVER (PARTITION BY %(partition)s) AS total, lead(value) OVER w AS next
                             FROM d WINDOW w AS (PARTITION BY %(partition)s ORDER BY value)),
                     p AS (SELECT r.*, f.fraction, f.fraction * (total - 1) AS pos
                             FROM r JOIN unnest(%(kinds)s::varchar[], %(fractions)s::numeric[]) f(kind, fraction)
                               ON f.kind = r.kind)
                SELECT %(partition)s, fraction,
                       value + (pos - floor(pos)) * (CASE WHEN ceil(pos) < last THEN value ELSE next END - value)
                  FROM p WHERE first <= floor(pos) AND floor(pos) < last
                """,
                groups=SQL().join(SQL("%s, ", group) for group in groups),
                partition=partition,
                kinds=[kind for kind, _fraction in fractions],
                fractions=[fraction for _kind, fraction in fractions],
                **{"from": query.from_clause, "where": query.where_clause or SQL("TRUE")},
            )
        )
        result = {}
        for kind, *keys, fraction, value in rows:
            group = tuple(self._group_key(key) for key in keys)
            result.setdefault(group, {})[(kind, float(fraction))] = float(value)
        return result

    @api.model
    def _group_key(self, value):
        """A grouping's value, from ``_read_group`` or from SQL, as one comparable key: ids, dates."""
        if isinstance(value, models.BaseModel):
            return value.id
        if isinstance(value, datetime.datetime):
            return value.date()
        return value if value is not None else False
