// Django's admin builds some widgets with its scripts after the page loads, with ARIA that
// assistive technology cannot use; each repair says which. Runs on every admin page
// (templates/admin/base_site.html) as widgets appear.
"use strict";
{
    const repair = () => {
        // SelectFilter2 (the two-box "filter_horizontal" pickers) puts aria-label on the plain
        // <span> of its magnifier icon, where ARIA forbids a name: it is an image.
        for (const icon of document.querySelectorAll(".help-tooltip[aria-label]:not([role])")) {
            icon.setAttribute("role", "img");
        }
        // Select2 (the "autocomplete_fields" search boxes) gives its search input no name, and
        // puts its "clear" button straight into a <ul>: name the input after the field's label,
        // and make the list of choices a plain group, its remove buttons still named.
        for (const input of document.querySelectorAll(".select2-search__field:not([aria-label])")) {
            const select = input.closest(".select2-container")?.previousElementSibling;
            const label = select?.id && document.querySelector(`label[for="${select.id}"]`);
            input.setAttribute("aria-label", label ? label.textContent.replace(/:$/, "") : "Search");
        }
        for (const list of document.querySelectorAll("ul.select2-selection__rendered:not([role])")) {
            list.setAttribute("role", "presentation");
        }
        for (const item of document.querySelectorAll("ul.select2-selection__rendered > li:not([role])")) {
            item.setAttribute("role", "presentation");
        }
    };
    new MutationObserver(repair).observe(document.documentElement, {childList: true, subtree: true});
}
