import { registry } from "@web/core/registry";

// Started on the other client's invoice URL: the portal sends the contact
// home instead, from where it opens its client space.
registry.category("web_tour.tours").add("crm_client_suite_client_portal", {
    steps: () => [
        {
            content: "The other client's invoice URL lands on the portal home, not on an invoice",
            trigger: ".o_portal_my_home:not(:has(#portal_pay, .o_portal_invoice_sidebar))",
        },
        {
            content: "Open the client space",
            trigger: ".o_portal_index_card a[href='/my/client']",
            run: "click",
        },
        {
            content: "This week's time of the client's project",
            trigger: "#crm_client_time td:contains('Torre Norte')",
        },
        {
            content: "The posted invoice, with what is due",
            trigger: "#crm_client_invoices td:contains('1,234.00')",
        },
        {
            content: "Nothing of the other client",
            trigger: ".o_crm_client_portal:not(:contains('Halle Süd')):not(:contains('4,321.00'))",
        },
        {
            content: "Describe the case",
            trigger: "#crm_case_name",
            run: "edit Grieta en la fachada",
        },
        {
            content: "It is a claim",
            trigger: "#crm_case_type",
            run: "select claim",
        },
        {
            content: "Explain it",
            trigger: "#crm_case_description",
            run: "edit Apareció tras la lluvia",
        },
        {
            content: "Open the case",
            trigger: ".o_crm_client_case_form button[type=submit]",
            run: "click",
        },
        {
            content: "The case is open and listed",
            trigger: "#crm_client_cases:has(.alert-success) td a:contains('Grieta en la fachada')",
        },
    ],
});
