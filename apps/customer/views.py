"""Oscar's customer views, where the shop means otherwise: a guest's order-status page."""

from oscar.apps.customer import views as oscar_views
from oscar.core.loading import get_model

Order = get_model("order", "Order")


class GuestEmailMatchMixin:
    """Oscar shows a guest's order once the guest gives the order's email, compared
    exactly: "Wanjiku@example.co.ke" did not find the order placed as
    "wanjiku@example.co.ke". People type their address with any capitals (phones
    capitalise the first letter), and mail providers treat it without regard to case, so
    here it is compared that way; the order's unguessable hash stays required."""

    def get_object(self, queryset=None):
        given = (self.email or "").strip().casefold()
        order = Order.objects.filter(user=None, number=self.order_number).first()
        if order is None or not given or not order.check_verification_hash(self.hash):
            return None
        return order if (order.email or "").casefold() == given else None


class AnonymousOrderFormView(GuestEmailMatchMixin, oscar_views.AnonymousOrderFormView):
    pass


class AnonymousOrderDetailView(GuestEmailMatchMixin, oscar_views.AnonymousOrderDetailView):
    pass
