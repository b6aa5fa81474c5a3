import { clickAndShowDownload } from "@crm_client_suite/../tests/tours/crm_download";
import { registry } from "@web/core/registry";

/** Pick the option labelled ``label`` in the select of ``selector``. */
function selectOption(selector, label) {
    const select = document.querySelector(selector);
    const option = [...select.options].find((item) => item.textContent.trim() === label);
    select.value = option.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
}

const COLUMNS = ".modal .o_field_widget[name=column_ids]";

registry.category("web_tour.tours").add("crm_client_suite_export", {
    steps: () => [
        {
            content: "Select a contact",
            trigger: ".o_list_view .o_data_row:contains('Lucía Fernández') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions",
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Export to File",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Export to File')",
            run: "click",
        },
        {
            content: "One record is selected",
            trigger: ".modal .o_field_widget[name=selected_count]:contains(1)",
        },
        {
            content: "CSV",
            trigger: ".modal .o_field_widget[name=file_format] input[data-value=csv]",
            run: "click",
        },
        {
            content: "For Excel",
            trigger: ".modal .o_field_widget[name=excel_csv] input",
            run: "click",
        },
        {
            content: "Drop the mobile column",
            trigger: `${COLUMNS} .o_data_row:contains('Mobile') .o_list_record_remove`,
            run: "click",
        },
        {
            content: "The mobile column is gone",
            trigger: `${COLUMNS}:not(:has(.o_data_row:contains('Mobile')))`,
        },
        {
            content: "Add a column",
            trigger: `${COLUMNS} .o_field_x2many_list_row_add a`,
            run: "click",
        },
        {
            content: "The job position",
            trigger: `${COLUMNS} .o_selected_row .o_field_widget[name=partner_field] select`,
            run() {
                selectOption(`${COLUMNS} .o_selected_row .o_field_widget[name=partner_field] select`, "Job Position");
            },
        },
        {
            content: "Its header follows the field",
            trigger: `${COLUMNS} .o_selected_row .o_field_widget[name=header] input:value(Job Position)`,
        },
        {
            content: "Export",
            trigger: ".modal-footer button[name=action_export]",
            async run(actions) {
                await clickAndShowDownload(actions, (response, bytes) => {
                    const pre = document.createElement("pre");
                    pre.className = "o_crm_export_file";
                    pre.dataset.bom = String(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf);
                    pre.textContent = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
                    return pre;
                });
            },
        },
        {
            content: "The file has Excel's byte order mark, semicolons and the chosen columns",
            trigger: ".o_crm_export_file[data-bom=true]:contains('Name;'):contains(';Job Position')",
        },
        {
            content: "And the contact, accents intact",
            trigger: ".o_crm_export_file:contains('Lucía Fernández;')",
        },
    ],
});
