import datetime
from typing import NamedTuple

import pytz

from odoo import api, fields, models
from odoo.osv import expression
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
# The aliases of the deal's contact and client in the reports' queries.
CLIENT_ALIASES = ("partner", "client")
DAY_GRANULARITIES = frozenset(("day", "week", "month", "quarter", "year"))


def top_level_leaves(domain):
    """The leaves a normalized domain ANDs at its top: conditions every row it selects meets."""
    leaves, position = [], 0

    def skip(index):
        """The index after the sub-domain starting at ``index``."""
        token = domain[index]
        if token == expression.NOT_OPERATOR:
            return skip(index + 1)
        if token in (expression.AND_OPERATOR, expression.OR_OPERATOR):
            return skip(skip(index + 1))
        return index + 1

    pending = 1  # sub-domains still to read at the top level
    while pending and position < len(domain):
        token = domain[position]
        if token == expression.AND_OPERATOR:
            pending += 1
            position += 1
        elif token in (expression.OR_OPERATOR, expression.NOT_OPERATOR):
            position = skip(position)
            pending -= 1
        else:
            leaves.append(token)
            position += 1
            pending -= 1
    return leaves


class DailyRoute(NamedTuple):
    """Grouped reads of a report that the dashboard's daily figures answer (``_daily_routes``).

    ``kind``: the figures' kind holding the report's rows; ``groupings``: the report fields that are keys
    of the figures under the same name; ``aggregates``: ``{measure spec: names it is computed from}``, the
    figures' sums, or ``(kind, fraction)`` for an exact percentile of the won deals' ``size`` or ``cycle``;
    ``date_field``: the report field the figures' day stands for; ``required``: leaves the domain must
    hold (the rows of the kind); ``bounded``: a bound on the date must be among the domain's conditions
    (the kind holds only the rows with a date).
    """

    kind: str
    groupings: frozenset
    aggregates: dict
    date_field: str | None = None
    required: tuple = ()
    bounded: bool = False


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
    def _crm_custom_field_select(self, client_joined=True):
        """The SQL columns of the custom fields, each preceded by a comma; those of the deal's contact
        and client NULL when the query does not join them (``client_joined``)."""
        return SQL().join(
            SQL(
                ", %s AS %s",
                SQL.identifier(alias, source) if client_joined or alias not in CLIENT_ALIASES else SQL("NULL"),
                SQL.identifier(name),
            )
            for name, (alias, _model, source, _role) in self._crm_custom_field_sources.items()
        )

    def _crm_client_joined(self):
        """Whether the current read needs the deal's contact and client (``partner`` and ``client`` in the
        reports' queries): outside a ``_read_group`` always, in one when it names the client type or one
        of their custom fields. PostgreSQL drops the unread joins, but still reads the deal's contact for
        them, which keeps it from answering from a narrow index of the deals."""
        named = self._analytics_fields_read()
        if named is None:
            return True
        return "client_type" in named or any(
            name in named
            for name, (alias, _model, _source, _role) in self._crm_custom_field_sources.items()
            if alias in CLIENT_ALIASES
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
        if not having and not self.env.context.get("crm_analytics_no_daily"):
            result = self._read_group_daily(domain, groupby, aggregates, offset=offset, limit=limit, order=order)
            if result is not None:
                return result
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

    # Answers from the daily figures ------------------------------------------------

    @api.model
    def _daily_routes(self):
        """``[DailyRoute]``: the grouped reads of the report the daily figures (crm.deal.analytics.figures)
        answer, tried in order. None by default: every read runs the report's query."""
        return []

    @api.model
    def _daily_aggregate(self, spec, figures, now):
        """The report measure ``spec`` from the summed ``figures`` of a group (names of the figures' sums,
        and ``(kind, fraction)`` for the percentiles), ``now`` in seconds since the epoch."""
        raise NotImplementedError(spec)

    def _daily_dates_exact(self):
        """Days of the figures are UTC days: a dated grouping of a datetime is the report's in UTC only."""
        return self.env.context.get("tz") in (None, False, "UTC", "Etc/UTC", "GMT")

    def _daily_groupby(self, route, spec):
        """The figures' grouping for this report grouping, or None."""
        if spec in route.groupings:
            return spec
        fname, _, granularity = spec.partition(":")
        if fname != route.date_field or granularity not in DAY_GRANULARITIES:
            return None
        if self._fields[fname].type == "datetime" and not self._daily_dates_exact():
            return None
        return f"day:{granularity}"

    def _daily_domain(self, route, domain):
        """The figures' domain for this report domain, or None when a leaf is not on their keys. A bound
        on a datetime counts whole days: ``>=`` or ``<`` a midnight. The route's ``required`` leaves (the
        rows it holds) must be among the domain's conditions, as must a bound on its date if ``bounded``."""
        normalized = expression.normalize_domain(list(domain))
        if route.required or route.bounded:
            conditions = [tuple(leaf) for leaf in top_level_leaves(normalized)]
            if any(tuple(leaf) not in conditions for leaf in route.required):
                return None
            if route.bounded and not any(leaf[0] == route.date_field for leaf in conditions):
                return None
        result = []
        for leaf in normalized:
            if not isinstance(leaf, list | tuple) or expression.is_boolean(leaf):
                result.append(leaf)
                continue
            if tuple(leaf) in route.required:
                result.append(expression.TRUE_LEAF)
                continue
            path, operator, value = leaf
            if str(path).split(".")[0] in route.groupings:
                result.append(leaf)
                continue
            if path != route.date_field or operator not in (">=", "<") or not value:
                return None
            if self._fields[path].type == "datetime":
                when = fields.Datetime.to_datetime(value)
                if when.time() != datetime.time():
                    return None
                value = when.date()
            result.append(("day", operator, fields.Date.to_date(value)))
        return result

    def _read_group_daily(self, domain, groupby, aggregates, offset=0, limit=None, order=None):
        """The result of ``_read_group`` from the daily figures, or None when none of the report's routes
        can answer it."""
        for route in self._daily_routes():
            result = self._read_group_route(route, domain, groupby, aggregates, offset, limit, order)
            if result is not None:
                return result
        return None

    def _read_group_route(self, route, domain, groupby, aggregates, offset, limit, order):
        daily_groupby = [self._daily_groupby(route, spec) for spec in groupby]
        if None in daily_groupby or any(spec not in route.aggregates for spec in aggregates):
            return None
        # the groups' order is the groupings' (names of the groupings only, in the figures' terms)
        daily_order = None
        if order:
            parts = []
            for part in order.split(","):
                words = part.split()
                if not words or words[0] not in groupby:
                    return None
                parts.append(" ".join([daily_groupby[list(groupby).index(words[0])], *words[1:]]))
            daily_order = ", ".join(parts)
        daily_domain = self._daily_domain(route, domain)
        if daily_domain is None:
            return None
        # the report's access right first: its refusal, not the figures'
        self.browse().check_access("read")
        Figures = self.env["crm.deal.analytics.figures"]
        needed = {name for spec in aggregates for name in route.aggregates[spec]}
        # the figures' sums (deal_count always, for the groups' filter), then the percentiles
        sums = sorted({"deal_count", *(name for name in needed if isinstance(name, str))})
        rows = Figures._read_group(
            expression.AND([[("kind", "=", route.kind)], daily_domain]),
            daily_groupby,
            [f"{name}:sum" for name in sums],
            # keys whose deals all left them hold nothing (not folded yet): no group, as in the report
            having=[("deal_count:sum", ">", 0)],
            offset=offset,
            limit=limit,
            order=daily_order,
        )
        fractions = sorted(name for name in needed if not isinstance(name, str))
        percentiles = Figures._percentiles(daily_domain, daily_groupby, fractions) if fractions else {}
        dated = route.date_field and self._fields[route.date_field].type == "datetime"
        now = fields.Datetime.now().replace(tzinfo=pytz.utc).timestamp()
        count = len(groupby)
        result = []
        for row in rows:
            keys = row[:count]
            figures = dict(zip(sums, row[count:], strict=True))
            figures.update(percentiles.get(tuple(Figures._group_key(key) for key in keys), {}))
            keys = [
                datetime.datetime.combine(value, datetime.time()) if dated and spec[:4] == "day:" and value else value
                for spec, value in zip(daily_groupby, keys, strict=True)
            ]
            result.append((*keys, *(self._daily_aggregate(spec, figures, now) for spec in aggregates)))
        return result

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
