from odoo import api, models
from odoo.tools import SQL


class CrmAnalyticsReportMixin(models.AbstractModel):
    """Ratios, medians and percentiles as pivot and graph measures.

    A measure listed in ``_custom_aggregates`` is read with its own SQL
    aggregate (``percentile_cont``, a ratio of sums ...) instead of the plain
    aggregator of its field, wherever ``_read_group`` reads it: pivot, graph,
    list group totals and the dashboard. ``_read_group`` keeps the requested
    groupings at hand for the measures relative to a group (cumulative
    conversion: a share of the stage's first row in the same other groupings).
    """

    _name = "crm.analytics.report.mixin"
    _description = "Sales Analytics Report"

    def _custom_aggregates(self):
        """``{field name: function(column, groupby_sql) -> SQL}``; ``column(name)`` is the SQL of a
        view column, ``groupby_sql`` the SQL of the groupings other than the stage."""
        return {}

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        self = self.with_context(crm_analytics_groupby=tuple(groupby))
        return super()._read_group(domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order)

    def _read_group_select(self, aggregate_spec, query):
        fname = aggregate_spec.split(":")[0]
        custom = self._custom_aggregates().get(fname)
        if not custom:
            return super()._read_group_select(aggregate_spec, query)
        self._field_to_sql(self._table, fname, query)  # checks the field may be read

        def column(name):
            return SQL.identifier(self._table, name)

        others = [
            self._read_group_groupby(spec, query)
            for spec in self.env.context.get("crm_analytics_groupby", ())
            if spec.split(":")[0] != "stage_id"
        ]
        return custom(column, SQL(", ").join(others) if others else None)
