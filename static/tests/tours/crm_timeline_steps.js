/**
 * Tour steps shared by the timeline tours: someone logs a note on a contact
 * away from the open form, and the bus delivers the change to the timeline.
 */
export function noteLoggedElsewhereSteps(contactName, body) {
    return [
        {
            content: "Someone logs a note on the client's contact, away from this form",
            trigger: ".o_crm_timeline",
            async run() {
                const { orm } = odoo.__WOWL_DEBUG__.root.env.services;
                const [contactId] = await orm.search("res.partner", [["name", "=", contactName]]);
                await orm.call("res.partner", "message_post", [[contactId]], {
                    body,
                    subtype_xmlid: "mail.mt_note",
                });
            },
        },
        {
            content: "The bus delivers the change (tests send no NOTIFY: a new subscription fetches it)",
            trigger: ".o_crm_timeline",
            run() {
                odoo.__WOWL_DEBUG__.root.env.services.bus_service.forceUpdateChannels();
            },
        },
    ];
}
