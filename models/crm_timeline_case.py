from odoo import models
from odoo.tools import SQL


class CrmTimeline(models.AbstractModel):
    """After-sales cases in the client's and the contact's timeline."""

    _inherit = "crm.timeline"

    def _source_queries(self, partners, leads):
        queries = super()._source_queries(partners, leads)
        Case = self.env["crm.case"]
        if not Case.has_access("read"):
            return queries
        # Record rules decide which cases count, as for quotations and invoices.
        cases = Case.with_context(active_test=False)._search(
            ["|", ("partner_id", "in", partners), ("contact_id", "in", partners)]
        )
        queries.append(
            SQL(
                """
                SELECT 'ticket', 'crm.case', c.id, c.date_open, u.partner_id, 'res.partner',
                       COALESCE(c.contact_id, c.partner_id), c.name, c.name || ' ' || COALESCE(c.description::text, '')
                  FROM crm_case c
             LEFT JOIN res_users u ON u.id = c.user_id
                 WHERE c.id IN %(cases)s
                """,
                cases=cases.subselect(),
            )
        )
        return queries

    def _describe_crm_case(self, cases):
        types = dict(cases._fields["case_type"]._description_selection(self.env))
        stages = dict(cases._fields["stage"]._description_selection(self.env))
        return {
            case.id: (
                case.name,
                " · ".join(filter(None, [types.get(case.case_type), stages.get(case.stage)])),
                {"state": case.stage},
            )
            for case in cases
        }
