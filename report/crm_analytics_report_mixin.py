from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import table_exists

# How a custom field's storage (ir.model.fields ttype) shows in the reports:
# numbers are measures (summed), the others groupings. Tags (many2many) cannot
# be a column of a one-row-per-deal report and are left out.
CUSTOM_FIELD_COLUMNS = {
    "char": (fields.Char, {}),
    "text": (fields.Char, {}),
    "integer": (fields.Integer, {"aggregator": "sum"}),
    "float": (fields.Float, {"aggregator": "sum"}),
    "monetary": (fields.Float, {"aggregator": "sum"}),
    "date": (fields.Date, {}),
    "datetime": (fields.Datetime, {}),
    "boolean": (fields.Boolean, {}),
    "many2one": (fields.Many2one, {}),
}


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
    # Reports whose query joins the deal as ``l``, its contact as ``partner``
    # and its client as ``client`` set this: every stored custom field
    # (crm.custom.field) of deals, clients and contacts becomes a column.
    _crm_custom_field_columns = False
    _crm_custom_field_sources = {}  # noqa: RUF012

    # Custom fields ------------------------------------------------------------

    @api.model
    def _crm_custom_field_specs(self):
        """``[(report field, SQL alias, source model, source field, role, field data)]`` of the
        stored custom fields, read from the database while the registry is set up."""
        cr = self.env.cr
        if not table_exists(cr, "crm_custom_field"):
            return []
        cr.execute("SELECT model, key, applies_to FROM crm_custom_field WHERE active ORDER BY model, sequence, id")
        specs = []
        for model, key, applies_to in cr.fetchall():
            data = self.env["ir.model.fields"]._get_manual_field_data(model).get(f"x_{key}")
            if not data or not data["store"] or data["ttype"] not in CUSTOM_FIELD_COLUMNS:
                continue
            if model == "crm.lead":
                places = [("deal", "l")]
            else:
                places = [("client", "client")] if applies_to in ("clients", "both") else []
                places += [("contact", "partner")] if applies_to in ("contacts", "both") else []
            specs.extend((f"x_{role}_{key}", alias, model, f"x_{key}", role, data) for role, alias in places)
        return specs

    @api.model
    def _setup_base(self):
        super()._setup_base()
        cls = type(self)
        cls._crm_custom_field_sources = {}
        if not self._crm_custom_field_columns or not self.pool._init_modules:
            return
        for name, alias, model, source, role, data in self._crm_custom_field_specs():
            if name in self._fields:
                continue
            Field, attrs = CUSTOM_FIELD_COLUMNS[data["ttype"]]
            if data["ttype"] == "many2one":
                attrs = {"comodel_name": data["relation"]}
            self._add_field(name, Field(string=data["field_description"], help=data["help"], readonly=True, **attrs))
            cls._crm_custom_field_sources[name] = (alias, model, source, role)

    @api.model
    def _crm_custom_field_select(self):
        """The SQL columns of the custom fields, each preceded by a comma."""
        return SQL().join(
            SQL(", %s AS %s", SQL.identifier(alias, source), SQL.identifier(name))
            for name, (alias, _model, source, _role) in self._crm_custom_field_sources.items()
        )

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        res = super().fields_get(allfields, attributes)
        roles = {
            "deal": lambda label: self.env._("%(field)s (Deal)", field=label),
            "client": lambda label: self.env._("%(field)s (Client)", field=label),
            "contact": lambda label: self.env._("%(field)s (Contact)", field=label),
        }
        for name, (_alias, model, source, role) in self._crm_custom_field_sources.items():
            if name in res and "string" in res[name]:
                label = self.env["ir.model.fields"].get_field_string(model).get(source) or res[name]["string"]
                res[name]["string"] = roles[role](label)
        return res

    def _custom_aggregates(self):
        """``{field name: function(column, groupby_sql) -> SQL}``; ``column(name)`` is the SQL of a
        view column, ``groupby_sql`` the SQL of the groupings other than the stage."""
        return {}

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        # the fields the read names, for the reports that build only the parts of their query it needs
        named = {spec.split(":")[0].split(".")[0] for spec in (*groupby, *aggregates)}
        leaves = (leaf for leaf in (*domain, *having) if isinstance(leaf, list | tuple))
        named.update(str(leaf[0]).split(":")[0].split(".")[0] for leaf in leaves)
        named.update(part.split()[0].split(":")[0] for part in (order or "").split(",") if part.strip())
        self = self.with_context(crm_analytics_groupby=tuple(groupby), crm_analytics_fields=frozenset(named))
        return super()._read_group(domain, groupby, aggregates, having=having, offset=offset, limit=limit, order=order)

    def _analytics_fields_read(self):
        """The fields the current ``_read_group`` names (grouping, measure, filter, order), or None outside
        one (search, read): all of them may be needed."""
        return self.env.context.get("crm_analytics_fields")

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
