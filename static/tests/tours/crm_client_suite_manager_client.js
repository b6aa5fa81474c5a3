import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_client_suite_manager_client", {
    steps: () => [
        {
            content: "Create a client from the Clients view",
            trigger: ".o_control_panel_main_buttons .o-kanban-button-new, .o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Name the client company",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Talleres Navarro S.L.",
        },
        {
            content: "Add a contact to the client",
            trigger: ".o_field_widget[name=child_ids] .o-kanban-button-new",
            run: "click",
        },
        {
            content: "Name the contact",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Irene Navarro",
        },
        {
            content: "Save the contact",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The contact is listed on the client",
            trigger: ".o_field_widget[name=child_ids] .o_kanban_record:contains('Irene Navarro')",
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
            content: "Back to the clients",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "Search the client by name",
            trigger: ".o_searchview_input",
            run: "edit Navarro",
        },
        {
            content: "Validate the search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "The client is found",
            trigger: ".o_kanban_record:contains('Talleres Navarro S.L.'), .o_data_row:contains('Talleres Navarro S.L.')",
        },
    ],
});
