import oscar.apps.partner.apps as apps


class PartnerConfig(apps.PartnerConfig):
    """Oscar's partner app, forked for one class: the pricing strategy
    (``apps.partner.strategy``), which reads stock record prices as VAT-inclusive."""

    name = "apps.partner"
