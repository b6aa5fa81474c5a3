import { registry } from "@web/core/registry";

// A German export: semicolons, German headers and decimals, dd.mm.yyyy dates,
// one invalid email and one contact twice (the email in other case).
const FILE = [
    "Vorname;Nachname;E-Mail;Firma;Umsatz;Unterschrieben",
    "Jonas;Becker;jonas@becker.example.de;Becker GmbH;1.234,56;31.12.2025",
    "Anna;Schmidt;keine-email;Becker GmbH;12,5;05.01.2026",
    "Jonas;Becker;JONAS@becker.example.de;Becker GmbH;3,5;01.02.2026",
    "Lena;Weiß;lena@weiss.example.de;Weiß AG;7;15.03.2026",
].join("\r\n");

registry.category("web_tour.tours").add("crm_client_suite_import", {
    steps: () => [
        {
            content: "New import",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        {
            content: "Upload the file",
            trigger: ".o_field_widget[name=file] .o_select_file_button",
            run() {
                const input = document.querySelector(".o_field_widget[name=file] input[type=file]");
                const transfer = new DataTransfer();
                transfer.items.add(new File([FILE], "kontakte.csv", { type: "text/csv" }));
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is there",
            trigger: ".o_field_widget[name=file] .o_clear_file_button",
        },
        {
            content: "Load it",
            trigger: "button[name=action_load]",
            run: "click",
        },
        {
            content: "The German headers are mapped",
            trigger: ".o_field_widget[name=column_ids] .o_data_row:contains('E-Mail'):contains('Email')",
        },
        {
            content: "The decimals are read the German way",
            trigger: ".o_field_widget[name=column_ids] .o_data_row:contains('Umsatz'):contains('1.234,56')",
        },
        {
            content: "So are the dates",
            trigger: ".o_field_widget[name=column_ids] .o_data_row:contains('Unterschrieben'):contains('dd.mm.yyyy')",
        },
        {
            content: "Open the preview",
            trigger: ".o_notebook .nav-link:contains('Preview')",
            run: "click",
        },
        {
            content: "The preview shows the formats and the accents",
            trigger: ".o_field_widget[name=preview]:contains('Date: dd.mm.yyyy'):contains('Weiß AG')",
        },
        {
            content: "Test run",
            trigger: "button[name=action_test]",
            run: "click",
        },
        {
            content: "Open the report",
            trigger: ".o_notebook .nav-link:contains('Report')",
            run: "click",
        },
        {
            content: "One row error, one duplicate in the file",
            trigger: ".o_field_widget[name=plan_fail]:contains(1)",
        },
        {
            content: "One duplicate in the file",
            trigger: ".o_field_widget[name=plan_merge]:contains(1)",
        },
        {
            content: "Import",
            trigger: "button[name=action_import]",
            run: "click",
        },
        {
            content: "The import is done",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Done')",
        },
        {
            content: "The log gives the failed row its reason",
            trigger: ".o_field_widget[name=row_ids] .o_data_row:contains('keine-email is not a valid email')",
        },
        {
            content: "Two contacts created",
            trigger: ".o_field_widget[name=count_created]:contains(2)",
        },
        {
            content: "The progress widget shows the finished job",
            trigger: ".o_field_widget[name=progress] .o_crm_import_progress .progress-bar:contains('100%')",
        },
    ],
});
