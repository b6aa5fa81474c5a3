from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lead_analytics import ACQUISITION_FIELDS

# Columns of an acquisition row, in the order the fold writes them.
ACQUISITION_COLUMNS = (
    "client_id",
    "lead_id",
    "date_won",
    "month",
    "source_id",
    "team_id",
    "company_id",
    "churn_month",
)
# a won month carries its client's acquisition (month, source, team, company): the CAC report sums the
# revenue of each acquisition cohort without joining every client month to its client
WON_MONTH_COLUMNS = ("client_id", "month", "amount", "acquired_month", "source_id", "team_id", "company_id")


class CrmClientAcquisition(models.Model):
    """When and where each client was won: one row per client with a won deal.

    A client is acquired with its first won deal (by closing date, then id): the
    CAC report attributes it to the month, source, team and company of that deal,
    and counts it as churned from the month it became a Past Client. The rows of
    the clients concerned are folded again from their deals whenever a deal is
    won, lost, reopened, archived, deleted, or moved to another contact, source,
    team or company, when a contact moves to another client and when a client's
    Past Client date changes (``_refresh``): the CAC report reads one row per
    client instead of ranking all won deals at query time, and the won value per
    client and month (``crm.client.won.month``) instead of summing the deals.
    ``_fold_sql`` and ``_won_months_sql`` are the one definition, used for the
    upkeep and for a recompute from scratch.
    """

    _name = "crm.client.acquisition"
    _description = "Client Acquisition"
    _order = "month desc, client_id"
    _rec_name = "client_id"

    client_id = fields.Many2one("res.partner", required=True, ondelete="cascade", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="First Won Deal", required=True, ondelete="cascade", readonly=True)
    date_won = fields.Datetime(string="Won On", readonly=True)
    month = fields.Date(string="Acquired In", readonly=True, help="First day of the month of the first won deal.")
    source_id = fields.Many2one("utm.source", readonly=True, ondelete="set null")
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="set null")
    churn_month = fields.Date(
        string="Churned In", readonly=True, help="First day of the month the client became a Past Client."
    )

    _sql_constraints = [  # noqa: RUF012
        ("client_uniq", "UNIQUE(client_id)", "A client has one acquisition row."),
    ]

    @api.model
    def _init_acquisition(self):
        """Install and update: fold every client once, while a table is empty."""
        self.flush_model()
        self.env["crm.client.won.month"].flush_model()
        if not all(
            self.env.execute_query(SQL("SELECT 1 FROM %s LIMIT 1", SQL.identifier(table)))
            for table in ("crm_client_acquisition", "crm_client_won_month")
        ) or self.env.execute_query(SQL("SELECT 1 FROM crm_client_won_month WHERE acquired_month IS NULL LIMIT 1")):
            # empty, or won months kept before they carried their client's acquisition
            self._refresh()

    @api.model
    def _fold_sql(self, client_ids=None):
        """``SELECT`` of the acquisition rows of these clients (all if None), from their deals."""
        where = SQL("TRUE") if client_ids is None else SQL("p.commercial_partner_id = ANY(%s)", list(client_ids))
        return SQL(
            """
            SELECT DISTINCT ON (p.commercial_partner_id)
                   p.commercial_partner_id, l.id, l.date_closed, date_trunc('month', l.date_closed)::date,
                   l.source_id, l.team_id, l.company_id, date_trunc('month', cp.crm_date_past)::date
              FROM crm_lead l
              JOIN crm_stage stage ON stage.id = l.stage_id AND stage.is_won
              JOIN res_partner p ON p.id = l.partner_id
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE l.type = 'opportunity' AND l.active AND l.date_closed IS NOT NULL AND %s
          ORDER BY p.commercial_partner_id, l.date_closed, l.id
            """,
            where,
        )

    @api.model
    def _won_months_sql(self, client_ids=None):
        """``SELECT`` of the value of the won deals of these clients (all if None) per month, with the
        client's acquisition (``_fold_sql``: every client with a won deal has one)."""
        where = SQL("TRUE") if client_ids is None else SQL("p.commercial_partner_id = ANY(%s)", list(client_ids))
        return SQL(
            """
            SELECT won.client_id, won.month, won.amount, a.month, a.source_id, a.team_id, a.company_id
              FROM (SELECT p.commercial_partner_id AS client_id, date_trunc('month', l.date_closed)::date AS month,
                           SUM(COALESCE(l.expected_revenue, 0.0)) AS amount
                      FROM crm_lead l
                      JOIN crm_stage stage ON stage.id = l.stage_id AND stage.is_won
                      JOIN res_partner p ON p.id = l.partner_id
                     WHERE l.type = 'opportunity' AND l.active AND l.date_closed IS NOT NULL
                       AND p.commercial_partner_id IS NOT NULL AND %s
                  GROUP BY 1, 2) won
              JOIN (%s) AS a (client_id, lead_id, date_won, month, source_id, team_id, company_id, churn_month)
                ON a.client_id = won.client_id
            """,
            where,
            self._fold_sql(client_ids),
        )

    @api.model
    def _refresh(self, client_ids=None):
        """Fold again the rows of these clients (all if None), and their won value per month
        (crm.client.won.month): one DELETE and one INSERT each."""
        if client_ids is not None:
            client_ids = [client_id for client_id in client_ids if client_id]
            if not client_ids:
                return
        self.env["crm.lead"].flush_model(ACQUISITION_FIELDS)
        self.env["res.partner"].flush_model(["commercial_partner_id", "crm_date_past"])
        self.env["crm.stage"].flush_model(["is_won"])
        where = SQL("TRUE") if client_ids is None else SQL("client_id = ANY(%s)", client_ids)
        for table, columns, select in (
            ("crm_client_acquisition", ACQUISITION_COLUMNS, self._fold_sql(client_ids)),
            ("crm_client_won_month", WON_MONTH_COLUMNS, self._won_months_sql(client_ids)),
        ):
            self.env.cr.execute(SQL("DELETE FROM %s WHERE %s", SQL.identifier(table), where))
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO %s (%s, create_uid, create_date, write_uid, write_date)
                    SELECT f.*, %s, now() at time zone 'UTC', %s, now() at time zone 'UTC' FROM (%s) f
                    """,
                    SQL.identifier(table),
                    SQL(", ").join(SQL.identifier(column) for column in columns),
                    self.env.uid,
                    self.env.uid,
                    select,
                )
            )
        self.invalidate_model()
        self.env["crm.client.won.month"].invalidate_model()

    @api.model
    def _clients_of_won_deals(self, leads):
        """The clients whose acquisition these deals may decide: those of the deals in a won stage.
        Read in SQL: nothing enters the cache with more rights than the user has, before the
        user's own write checks the deals."""
        if not leads.ids:
            return set()
        leads.flush_recordset(["stage_id", "partner_id"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        return {
            client_id
            for (client_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT p.commercial_partner_id
                      FROM crm_lead l
                      JOIN crm_stage stage ON stage.id = l.stage_id AND stage.is_won
                      JOIN res_partner p ON p.id = l.partner_id
                     WHERE l.id = ANY(%s) AND p.commercial_partner_id IS NOT NULL
                    """,
                    leads.ids,
                )
            )
        }


class CrmClientWonMonth(models.Model):
    """The value of each client's won deals per closing month, in company currency: the client
    revenue of the CAC report for the clients not invoiced through Invoicing, with the month, source,
    team and company the client was acquired in. Kept with the client acquisitions
    (``crm.client.acquisition._refresh``)."""

    _name = "crm.client.won.month"
    _description = "Client Won Value per Month"
    _order = "month desc, client_id"
    _rec_name = "client_id"

    client_id = fields.Many2one("res.partner", required=True, ondelete="cascade", readonly=True)
    month = fields.Date(required=True, readonly=True)
    amount = fields.Float(string="Won Value", digits=0, readonly=True)
    # the client's acquisition (crm.client.acquisition), which its revenue counts for
    acquired_month = fields.Date(string="Acquired In", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True, ondelete="set null")
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="set null")

    _sql_constraints = [  # noqa: RUF012
        ("client_month_uniq", "UNIQUE(client_id, month)", "A client has one won value per month."),
    ]


class CrmStage(models.Model):
    _inherit = "crm.stage"

    def write(self, vals):
        res = super().write(vals)
        if "is_won" in vals:
            # a stage becoming won or not changes which deals are won: a rare setting, folded in full
            self.env["crm.client.acquisition"].sudo()._refresh()
        return res
