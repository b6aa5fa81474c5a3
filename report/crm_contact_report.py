from odoo import fields, models
from odoo.tools import SQL

from ..models.res_partner import CLIENT_STATUSES, CLIENT_TYPES, ROLE_CATEGORIES


class CrmContactReport(models.Model):
    """One row per client or contact, for pivot and graph analysis."""

    _name = "crm.contact.report"
    _description = "Contact Analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "create_date desc"

    partner_id = fields.Many2one("res.partner", string="Client or Contact", readonly=True)
    kind = fields.Selection([("client", "Client"), ("contact", "Contact")], readonly=True)
    client_id = fields.Many2one("res.partner", readonly=True)
    client_type = fields.Selection(CLIENT_TYPES, readonly=True)
    client_status = fields.Selection(CLIENT_STATUSES, readonly=True)
    role_category = fields.Selection(ROLE_CATEGORIES, readonly=True)
    user_id = fields.Many2one("res.users", string="Owner", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    count = fields.Integer(readonly=True, aggregator="sum")
    missing_email = fields.Integer(readonly=True, aggregator="sum")
    missing_phone = fields.Integer(readonly=True, aggregator="sum")
    missing_email_rate = fields.Float(string="Missing Email (%)", readonly=True, aggregator="avg")
    missing_phone_rate = fields.Float(string="Missing Phone (%)", readonly=True, aggregator="avg")
    missing_any_rate = fields.Float(string="Missing Email or Phone (%)", readonly=True, aggregator="avg")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT p.id AS id,
                   p.id AS partner_id,
                   CASE WHEN p.is_company THEN 'client' ELSE 'contact' END AS kind,
                   COALESCE(p.commercial_partner_id, p.id) AS client_id,
                   c.crm_client_type AS client_type,
                   c.crm_client_status AS client_status,
                   p.crm_role_category AS role_category,
                   p.user_id AS user_id,
                   p.team_id AS team_id,
                   COALESCE(p.source_id, c.source_id) AS source_id,
                   p.country_id AS country_id,
                   p.company_id AS company_id,
                   p.create_date AS create_date,
                   1 AS count,
                   (COALESCE(p.email, '') = '')::int AS missing_email,
                   (COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = '')::int AS missing_phone,
                   CASE WHEN COALESCE(p.email, '') = '' THEN 100.0 ELSE 0.0 END AS missing_email_rate,
                   CASE WHEN COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = ''
                        THEN 100.0 ELSE 0.0 END AS missing_phone_rate,
                   CASE WHEN COALESCE(p.email, '') = ''
                          OR (COALESCE(p.phone, '') = '' AND COALESCE(p.mobile, '') = '')
                        THEN 100.0 ELSE 0.0 END AS missing_any_rate
              FROM res_partner p
         LEFT JOIN res_partner c ON c.id = COALESCE(p.commercial_partner_id, p.id)
             WHERE p.active
               AND (p.is_company OR p.parent_id IS NOT NULL)
            """
        )
