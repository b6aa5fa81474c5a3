import { clickAndShowDownload } from "@crm_client_suite/../tests/tours/crm_download";
import { registry } from "@web/core/registry";

// A German export: cp1252, semicolons, German headers, decimals and country
// names, dd.mm.yyyy dates; one invalid email, one impossible date and one
// contact twice (the email in other case).
const FILE = [
    "Vorname;Nachname;E-Mail;Firma;Land;Umsatz;Unterschrieben",
    "Jonas;Becker;jonas@becker.example.de;Becker GmbH;Deutschland;1.234,56;31.12.2025",
    "Anna;Schmidt;keine-email;Becker GmbH;Deutschland;12,5;05.01.2026",
    "Jonas;Becker;JONAS@becker.example.de;Becker GmbH;Deutschland;3,5;01.02.2026",
    "Lena;Weiß;lena@weiss.example.de;Weiß AG;Österreich;7;15.03.2026",
    "Max;Müller;max@mueller.example.de;Müller KG;Deutschland;8,25;31.02.2026",
    "Jürgen;Groß;juergen@gross.example.de;Weiß AG;Österreich;9;20.04.2026",
].join("\r\n");

/** ``text`` in cp1252: its characters are all in Latin-1, where both agree. */
function cp1252(text) {
    return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

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
                transfer.items.add(new File([cp1252(FILE)], "kontakte.csv", { type: "text/csv" }));
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
            content: "The encoding is the codepage of the user's language",
            trigger: ".o_field_widget[name=encoding_detected]:contains('cp1252')",
        },
        {
            content: "The German headers are mapped",
            trigger: ".o_field_widget[name=column_ids] .o_data_row:contains('E-Mail'):contains('Email')",
        },
        {
            content: "Land is the country",
            trigger: ".o_field_widget[name=column_ids] .o_data_row:contains('Land'):contains('Country')",
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
            trigger: ".o_field_widget[name=preview]:contains('Date: dd.mm.yyyy'):contains('Weiß AG'):contains('Österreich')",
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
            content: "Two row errors",
            trigger: ".o_field_widget[name=plan_fail]:contains(2)",
        },
        {
            content: "One duplicate in the file",
            trigger: ".o_field_widget[name=plan_merge]:contains(1)",
        },
        {
            content: "The test run names each error",
            trigger: ".o_field_widget[name=row_ids] .o_data_row:contains('keine-email is not a valid email')",
        },
        {
            content: "And the impossible date",
            trigger: ".o_field_widget[name=row_ids] .o_data_row:contains('31.02.2026')",
        },
        {
            content: "Import",
            trigger: "button[name=action_import]",
            run: "click",
        },
        {
            content: "The file is large: it waits for the background",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Queued')",
        },
        {
            content: "It can still be cancelled",
            trigger: "button[name=action_cancel]",
        },
        {
            content: "Nothing is imported yet",
            trigger: ".o_field_widget[name=progress] .o_crm_import_progress .progress-bar:contains('0%')",
        },
    ],
});

// After the first chunk of the cron.
registry.category("web_tour.tours").add("crm_client_suite_import_running", {
    steps: () => [
        {
            content: "The job runs in the background",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Running')",
        },
        {
            content: "The first chunk is counted",
            trigger: ".o_field_widget[name=progress] .o_crm_import_progress .progress-bar:contains('17%')",
        },
    ],
});

// Once the cron has finished the job.
registry.category("web_tour.tours").add("crm_client_suite_import_done", {
    steps: () => [
        {
            content: "The import is done",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Done')",
        },
        {
            content: "The progress widget shows the finished job",
            trigger: ".o_field_widget[name=progress] .o_crm_import_progress .progress-bar:contains('100%')",
        },
        {
            content: "Open the log",
            trigger: ".o_notebook .nav-link:contains('Report')",
            run: "click",
        },
        {
            content: "Three contacts created",
            trigger: ".o_field_widget[name=count_created]:contains(3)",
        },
        {
            content: "Two failed",
            trigger: ".o_field_widget[name=count_failed]:contains(2)",
        },
        {
            content: "One merged",
            trigger: ".o_field_widget[name=count_merged]:contains(1)",
        },
        {
            content: "The log gives each failed row its reason",
            trigger: ".o_field_widget[name=row_ids] .o_data_row:contains('Failed'):contains('keine-email is not a valid email')",
        },
        {
            content: "Download the error file",
            trigger: "button[name=action_download_errors]",
            async run(actions) {
                await clickAndShowDownload(actions, (response, bytes) => {
                    const pre = document.createElement("pre");
                    pre.className = "o_crm_import_error_file";
                    pre.dataset.disposition = response.headers.get("Content-Disposition") || "";
                    pre.textContent = new TextDecoder("windows-1252").decode(bytes);
                    return pre;
                });
            },
        },
        {
            content: "The error file keeps the dialect and adds the row and the reason",
            trigger: ".o_crm_import_error_file:contains('Vorname;Nachname;E-Mail;Firma;Land;Umsatz;Unterschrieben;Row;Reason'):contains('Anna;Schmidt;keine-email'):contains('Max;Müller')",
        },
        {
            content: "It is downloaded under the file's name",
            trigger: ".o_crm_import_error_file[data-disposition*='kontakte-errors.csv']",
            run() {
                document.querySelector(".o_crm_import_error_file").remove();
            },
        },
        {
            content: "Revert",
            trigger: "button[name=action_revert]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The revert waits for the background too",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Reverting')",
        },
    ],
});

// Once the cron has reverted the job.
registry.category("web_tour.tours").add("crm_client_suite_import_reverted", {
    steps: () => [
        {
            content: "The job is reverted",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Reverted')",
        },
        {
            content: "The revert is logged",
            trigger: ".o_notebook .nav-link:contains('Revert')",
            run: "click",
        },
        {
            content: "Every created record is gone",
            trigger: ".o_field_widget[name=revert_log]:contains('5 records reverted, 0 conflicts.')",
        },
        {
            content: "No second revert",
            trigger: ".o_form_view:not(:has(button[name=action_revert]))",
        },
    ],
});
