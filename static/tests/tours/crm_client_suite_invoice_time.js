import { registry } from "@web/core/registry";

// An Admin creates a client billed in USD; its project comes with it.
registry.category("web_tour.tours").add("crm_client_suite_admin_creates_client", {
    steps: () => [
        {
            content: "Create a client from the Clients view",
            trigger: ".o_control_panel_main_buttons .o-kanban-button-new, .o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Name the client company",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Hoteles Costa Azul S.A.",
        },
        {
            content: "Open the CRM tab",
            trigger: ".o_notebook .nav-link:contains('CRM')",
            run: "click",
        },
        {
            content: "It is billed in US dollars",
            trigger: ".o_field_widget[name=crm_currency_id] input",
            run: "edit USD",
        },
        {
            content: "Pick USD",
            trigger: ".o-autocomplete--dropdown-item a:contains('USD')",
            run: "click",
        },
        {
            content: "Open the Sales & Purchase tab",
            trigger: ".o_notebook .nav-link:contains('Sales & Purchase')",
            run: "click",
        },
        {
            content: "The Contributor works with the client",
            trigger: ".o_field_widget[name=crm_collaborator_ids] input",
            run: "edit Ccs Contributor",
        },
        {
            content: "Pick the Contributor",
            trigger: ".o-autocomplete--dropdown-item a:contains('Ccs Contributor')",
            run: "click",
        },
        {
            content: "Save the client",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Wait for the save",
            trigger: ".o_form_saved",
        },
        {
            content: "The client got its project",
            trigger: ".oe_stat_button[name=action_crm_view_projects]:contains('1')",
        },
    ],
});

// The Contributor logs time on a task of the client's project from their timesheets.
registry.category("web_tour.tours").add("crm_client_suite_contributor_logs_time", {
    steps: () => [
        {
            content: "Add a line to my timesheets",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "On the client's project",
            trigger: ".o_data_row.o_selected_row .o_field_widget[name=project_id] input",
            run: "edit Hoteles Costa",
        },
        {
            content: "Pick the project",
            trigger: ".o-autocomplete--dropdown-item a:contains('Hoteles Costa Azul S.A.')",
            run: "click",
        },
        {
            content: "On a task of that project",
            trigger: ".o_data_row.o_selected_row .o_field_widget[name=task_id] input",
            run: "edit Planos",
        },
        {
            content: "Pick the task",
            trigger: ".o-autocomplete--dropdown-item a:contains('Planos de planta')",
            run: "click",
        },
        {
            content: "Describe the work",
            trigger: ".o_data_row.o_selected_row .o_field_widget[name=name] input",
            run: "edit Revisión de planos",
        },
        {
            content: "Three hours",
            trigger: ".o_data_row.o_selected_row .o_field_widget[name=unit_amount] input",
            run: "edit 03:00",
        },
        {
            content: "Save the line",
            trigger: ".o_list_button_save",
            run: "click",
        },
        {
            content: "The line is logged",
            trigger: ".o_data_row:not(.o_selected_row):contains('Revisión de planos'):contains('Planos de planta'):contains('03:00')",
        },
    ],
});

// Back on the client once the Contributor logged time: invoice it now.
registry.category("web_tour.tours").add("crm_client_suite_admin_invoices_time", {
    steps: () => [
        {
            content: "Invoice the client's time now",
            trigger: ".o_form_view button[name=action_crm_invoice_time_now]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "A draft invoice in USD",
            trigger: ".o_form_view:has(.o_statusbar_status .o_arrow_button_current:contains('Draft')) .o_field_widget[name=currency_id]:contains('USD')",
        },
        {
            content: "With the logged hours",
            trigger: ".o_field_widget[name=invoice_line_ids] .o_data_row:contains('Client Time'):contains('3.00')",
        },
    ],
});
