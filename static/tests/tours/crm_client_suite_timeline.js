import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_client_suite_timeline", {
    steps: () => [
        {
            content: "Open the client's timeline",
            trigger: ".o_notebook .nav-link[name=crm_timeline]",
            run: "click",
        },
        {
            content: "The contact's email shows on the client's timeline",
            trigger: ".o_crm_timeline_entry[data-type=email_in]:contains('Presupuesto nave')",
        },
        {
            content: "The deal's call shows too",
            trigger: ".o_crm_timeline_entry[data-type=call]:contains('Obra nueva Madrid')",
        },
        {
            content: "Filter the timeline to incoming emails",
            trigger: ".o_crm_timeline_type",
            run: "select email_in",
        },
        {
            content: "Only emails remain",
            trigger: ".o_crm_timeline_entries:not(:has(.o_crm_timeline_entry[data-type=call]))",
        },
        {
            content: "Open the email's record",
            trigger: ".o_crm_timeline_entry[data-type=email_in]",
            run: "click",
        },
        {
            content: "The contact's form opens",
            trigger: ".o_form_view .o_field_widget[name=name]:contains('Lucía'), .o_form_view .o_field_widget[name=name] input",
        },
    ],
});
