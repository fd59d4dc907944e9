"""The basket's views that differ from Oscar's (``get_class`` finds the others in Oscar's
module)."""

from oscar.apps.basket import views as oscar_views


class BasketView(oscar_views.BasketView):
    def remove_deleted_forms(self, formset):
        """Oscar's, for a basket form posted without all of its management form: Oscar
        copies MIN_NUM_FORMS and MAX_NUM_FORMS from the request as found, and a form that
        lacked one (a line to delete, or a quantity of 0, among them) answered 500. Here a
        missing one reads as the formset's own number."""
        data = formset.data.copy()
        for name, own in (("MIN_NUM_FORMS", formset.min_num), ("MAX_NUM_FORMS", formset.max_num)):
            data.setdefault(formset.management_form.add_prefix(name), str(own))
        formset.data = data
        return super().remove_deleted_forms(formset)
