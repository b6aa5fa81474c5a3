from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmBillingRate(models.Model):
    """An hourly price for the time spent on a client.

    A rate applies to a client, optionally narrowed to one of its projects,
    one employee, or both; the most specific match wins (see ``_resolve``).
    """

    _name = "crm.billing.rate"
    _description = "Client Billing Rate"
    _order = "partner_id, project_id, employee_id, id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('is_company', '=', True)]",
    )
    project_id = fields.Many2one(
        "project.project",
        ondelete="cascade",
        domain="[('partner_id', '=', partner_id)]",
        help="Leave empty for every project of the client.",
    )
    employee_id = fields.Many2one(
        "hr.employee",
        ondelete="cascade",
        help="Leave empty for every employee.",
    )
    price = fields.Monetary(string="Hourly Price", required=True, currency_field="currency_id")
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    _sql_constraints = [  # noqa: RUF012
        (
            "crm_billing_rate_unique",
            "UNIQUE NULLS NOT DISTINCT (partner_id, project_id, employee_id)",
            "A client has one rate per project and employee: edit the existing rate instead.",
        ),
    ]

    @api.constrains("project_id", "partner_id")
    def _check_project_client(self):
        for rate in self:
            if rate.project_id and rate.project_id.partner_id.commercial_partner_id != rate.partner_id:
                raise ValidationError(
                    self.env._(
                        "The project %(project)s does not belong to the client %(client)s.",
                        project=rate.project_id.display_name,
                        client=rate.partner_id.display_name,
                    )
                )

    @api.model
    def _resolve(self, keys):
        """The rate that applies to each ``(client_id, project_id, employee_id)``
        of ``keys``: a dict key -> rate record, or no entry when the client has
        no rate (its time is then priced at the product's price).

        One search for all keys; then, per key, the most specific rate:
        client+project+employee, client+project, client+employee, client.
        """
        keys = set(keys)
        if not keys:
            return {}
        rates = self.sudo().search([("partner_id", "in", list({key[0] for key in keys}))])
        by_key = {(rate.partner_id.id, rate.project_id.id, rate.employee_id.id): rate for rate in rates}
        resolved = {}
        for client_id, project_id, employee_id in keys:
            for candidate in (
                (client_id, project_id, employee_id),
                (client_id, project_id, False),
                (client_id, False, employee_id),
                (client_id, False, False),
            ):
                rate = by_key.get(candidate)
                if rate:
                    resolved[client_id, project_id, employee_id] = rate
                    break
        return resolved
