import { _t } from "@web/core/l10n/translation";
import { loadBundle } from "@web/core/assets";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/views/fields/formatters";
import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";

const { DateTime } = luxon;

/** Start and end (ISO dates) of a period preset, relative to today. */
export function periodBounds(preset, today = DateTime.local()) {
    switch (preset) {
        case "last_30_days":
            return [today.minus({ days: 29 }), today];
        case "this_quarter":
            return [today.startOf("quarter"), today.endOf("quarter")];
        case "last_quarter": {
            const start = today.startOf("quarter").minus({ quarters: 1 });
            return [start, start.endOf("quarter")];
        }
        case "this_year":
            return [today.startOf("year"), today.endOf("year")];
        case "last_year": {
            const start = today.startOf("year").minus({ years: 1 });
            return [start, start.endOf("year")];
        }
        default:
            return [today.startOf("month"), today.endOf("month")];
    }
}

const CHARTS = ["funnel", "conversion", "won", "winrate", "cycle", "ranking", "newclients", "caccltv"];

export class CrmAnalyticsDashboard extends Component {
    static template = "crm_client_suite.AnalyticsDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.canvases = Object.fromEntries(CHARTS.map((name) => [name, useRef(name)]));
        this.charts = {};
        const [start, end] = periodBounds("this_year");
        this.state = useState({
            preset: "this_year",
            dateFrom: start.toISODate(),
            dateTo: end.toISODate(),
            teamId: false,
            userId: false,
            sourceId: false,
            data: null,
            teams: [],
            users: [],
            sources: [],
        });
        this.presets = [
            ["this_month", _t("This month")],
            ["last_30_days", _t("Last 30 days")],
            ["this_quarter", _t("This quarter")],
            ["last_quarter", _t("Last quarter")],
            ["this_year", _t("This year")],
            ["last_year", _t("Last year")],
            ["custom", _t("Custom")],
        ];
        onWillStart(async () => {
            await loadBundle("web.chartjs_lib");
            const [teams, users, sources] = await Promise.all([
                this.orm.searchRead("crm.team", [], ["display_name"]),
                this.orm.searchRead("res.users", [["share", "=", false]], ["display_name"]),
                this.orm.searchRead("utm.source", [], ["display_name"]),
            ]);
            Object.assign(this.state, { teams, users, sources });
            await this.load();
        });
        onMounted(() => this.renderCharts());
        onWillUnmount(() => this.destroyCharts());
    }

    async load() {
        this.state.data = await this.orm.call(
            "crm.analytics.dashboard",
            "get_dashboard_data",
            [this.state.dateFrom, this.state.dateTo],
            {
                team_id: this.state.teamId || false,
                user_id: this.state.userId || false,
                source_id: this.state.sourceId || false,
            }
        );
    }

    async reload() {
        await this.load();
        this.renderCharts();
    }

    onPreset(ev) {
        this.state.preset = ev.target.value;
        if (this.state.preset !== "custom") {
            const [start, end] = periodBounds(this.state.preset);
            this.state.dateFrom = start.toISODate();
            this.state.dateTo = end.toISODate();
            this.reload();
        }
    }

    onDate(field, ev) {
        this.state.preset = "custom";
        this.state[field] = ev.target.value;
        if (this.state.dateFrom && this.state.dateTo) {
            this.reload();
        }
    }

    async onPrint() {
        const action = await this.orm.call(
            "crm.analytics.dashboard",
            "action_print_dashboard",
            [this.state.dateFrom, this.state.dateTo],
            {
                team_id: this.state.teamId || false,
                user_id: this.state.userId || false,
                source_id: this.state.sourceId || false,
            }
        );
        await this.action.doAction(action);
    }

    onFilter(field, ev) {
        this.state[field] = parseInt(ev.target.value) || false;
        this.reload();
    }

    // KPIs ------------------------------------------------------------------

    get kpiLabels() {
        return {
            won_revenue: _t("Won revenue"),
            won_count: _t("Deals won"),
            win_rate: _t("Win rate"),
            deal_size: _t("Average deal size"),
            cycle: _t("Sales cycle"),
            pipeline_value: _t("Pipeline value"),
            weighted_value: _t("Weighted forecast"),
        };
    }

    formatKpi(key, value) {
        if (value === false || value === null || value === undefined) {
            return "–";
        }
        if (["win_rate"].includes(key)) {
            return `${formatFloat(value, { digits: [16, 1] })} %`;
        }
        if (key === "cycle") {
            return _t("%(days)s days", { days: formatFloat(value, { digits: [16, 1] }) });
        }
        if (key === "won_count") {
            return String(value);
        }
        return formatFloat(value, { digits: [16, 2] });
    }

    formatChange(change) {
        if (change === null || change === undefined) {
            return "";
        }
        return `${change > 0 ? "+" : ""}${formatFloat(change, { digits: [16, 1] })} %`;
    }

    openDeals(name, domain) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name,
            res_model: "crm.lead",
            domain,
            views: [
                [false, "list"],
                [false, "kanban"],
                [false, "form"],
            ],
            context: { active_test: false },
        });
    }

    onKpiClick(kpi) {
        this.openDeals(this.kpiLabels[kpi.key], kpi.domain);
    }

    // Charts ----------------------------------------------------------------

    destroyCharts() {
        for (const chart of Object.values(this.charts)) {
            chart.destroy();
        }
        this.charts = {};
    }

    chart(name, type, labels, datasets, onClick, options = {}) {
        const canvas = this.canvases[name].el;
        if (!canvas) {
            return;
        }
        this.charts[name] = new Chart(canvas, {
            type,
            data: { labels, datasets },
            options: {
                maintainAspectRatio: false,
                onClick: (event, elements) => {
                    if (elements.length && onClick) {
                        onClick(elements[0].index);
                    }
                },
                ...options,
            },
        });
    }

    renderCharts() {
        this.destroyCharts();
        const data = this.state.data;
        if (!data) {
            return;
        }
        const funnel = data.funnel;
        this.chart(
            "funnel",
            "bar",
            funnel.map((bar) => bar.stage),
            [{ label: _t("Deals"), data: funnel.map((bar) => bar.count), backgroundColor: "#4e79a7" }],
            (index) => this.openDeals(funnel[index].stage, funnel[index].domain)
        );
        this.chart(
            "conversion",
            "bar",
            funnel.map((bar) => bar.stage),
            [
                {
                    label: _t("Next-step conversion (%)"),
                    data: funnel.map((bar) => bar.conversion),
                    backgroundColor: "#59a14f",
                },
                {
                    label: _t("Strict (%)"),
                    data: funnel.map((bar) => bar.conversion_strict),
                    backgroundColor: "#8cd17d",
                },
            ],
            (index) => this.openDeals(funnel[index].stage, funnel[index].domain)
        );
        const months = data.won_by_month;
        const openMonth = (index) => this.openDeals(months[index].month, months[index].domain);
        this.chart(
            "won",
            "bar",
            months.map((month) => month.month),
            [{ label: _t("Won revenue"), data: months.map((month) => month.won_revenue), backgroundColor: "#f28e2b" }],
            openMonth
        );
        this.chart(
            "winrate",
            "line",
            months.map((month) => month.month),
            [{ label: _t("Win rate (%)"), data: months.map((month) => month.win_rate), borderColor: "#e15759" }],
            openMonth
        );
        const won = data.kpis.find((kpi) => kpi.key === "cycle");
        this.chart(
            "cycle",
            "bar",
            [_t("Mean"), _t("Median"), _t("90th percentile")],
            [
                {
                    label: _t("Days to close"),
                    data: [data.cycle.cycle, data.cycle.cycle_median, data.cycle.cycle_p90],
                    backgroundColor: "#76b7b2",
                },
            ],
            () => this.openDeals(_t("Won deals"), won.domain)
        );
        const ranking = data.ranking;
        this.chart(
            "ranking",
            "bar",
            ranking.map((row) => row.user),
            [
                { label: _t("Won revenue"), data: ranking.map((row) => row.won_revenue), backgroundColor: "#b07aa1" },
                {
                    label: _t("Previous period"),
                    data: ranking.map((row) => row.previous_won_revenue),
                    backgroundColor: "#d4a6c8",
                },
            ],
            (index) => this.openDeals(ranking[index].user, ranking[index].domain),
            { indexAxis: "y" }
        );
        const sources = data.new_clients_by_source || [];
        this.chart(
            "newclients",
            "pie",
            sources.map((row) => row.source),
            [{ label: _t("New clients"), data: sources.map((row) => row.count) }],
            null
        );
        const cacMonths = data.cac_cltv || [];
        this.chart(
            "caccltv",
            "bar",
            cacMonths.map((row) => row.month),
            [
                { label: _t("CAC"), data: cacMonths.map((row) => row.cac), backgroundColor: "#edc948" },
                { label: _t("CLTV"), data: cacMonths.map((row) => row.cltv), backgroundColor: "#9c755f" },
            ],
            null
        );
    }
}

registry.category("actions").add("crm_client_suite.analytics_dashboard", CrmAnalyticsDashboard);
