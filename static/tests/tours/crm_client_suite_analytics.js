import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_client_suite_analytics_dashboard", {
    steps: () => [
        {
            content: "The dashboard shows its KPI cards",
            trigger: ".o_crm_analytics_dashboard .o_crm_analytics_kpi[data-kpi=won_revenue]",
        },
        {
            // the test's own team: the deals of other teams (demo data) stay out of the figures
            content: "Show the test team's figures only",
            trigger: "#crm_analytics_team:has(option:contains('Team Iberia'))",
            run: "selectByLabel Team Iberia",
        },
        {
            content: "Choose last year: nothing entered Proposal then",
            trigger: ".o_crm_analytics_period",
            run: "select last_year",
        },
        {
            content: "Nothing entered a stage last year",
            trigger: ".o_crm_analytics_funnel_empty",
        },
        {
            content: "Back to this month",
            trigger: ".o_crm_analytics_period",
            run: "select this_month",
        },
        {
            content: "Click the funnel's Proposal bar",
            trigger: ".o_crm_analytics_funnel_bar[data-stage=Proposal]:contains('2')",
            run: "click",
        },
        {
            content: "Land on the deals that reached Proposal",
            trigger: ".o_list_view .o_data_row:contains('Propuesta Valencia')",
        },
        {
            content: "Both of them, and only them",
            trigger: ".o_list_view:has(.o_data_row:contains('Angebot Hamburg')):not(:has(.o_data_row:contains('Reforma Sevilla')))",
        },
    ],
});
