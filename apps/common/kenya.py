"""Facts about Kenya that the shop's forms, shipping and demo data share."""

from decimal import Decimal

from django.conf import settings

#: The 47 counties of the Constitution of Kenya (2010), First Schedule, in its order.
COUNTIES: tuple[str, ...] = (
    "Mombasa",
    "Kwale",
    "Kilifi",
    "Tana River",
    "Lamu",
    "Taita-Taveta",
    "Garissa",
    "Wajir",
    "Mandera",
    "Marsabit",
    "Isiolo",
    "Meru",
    "Tharaka-Nithi",
    "Embu",
    "Kitui",
    "Machakos",
    "Makueni",
    "Nyandarua",
    "Nyeri",
    "Kirinyaga",
    "Murang'a",
    "Kiambu",
    "Turkana",
    "West Pokot",
    "Samburu",
    "Trans-Nzoia",
    "Uasin Gishu",
    "Elgeyo-Marakwet",
    "Nandi",
    "Baringo",
    "Laikipia",
    "Nakuru",
    "Narok",
    "Kajiado",
    "Kericho",
    "Bomet",
    "Kakamega",
    "Vihiga",
    "Bungoma",
    "Busia",
    "Siaya",
    "Kisumu",
    "Homa Bay",
    "Migori",
    "Kisii",
    "Nyamira",
    "Nairobi",
)

#: Shoppers look for their county by name, so the form lists them alphabetically.
COUNTY_CHOICES: list[tuple[str, str]] = [(name, name) for name in sorted(COUNTIES)]

NAIROBI = "Nairobi"

#: ISO 3166-1 code of the only country the shop delivers to.
COUNTRY_CODE = "KE"


def vat_rate() -> Decimal:
    """The VAT rate every price and charge includes (``SHOP_VAT_RATE``; 0: no VAT)."""
    return settings.SHOP_VAT_RATE


def excluding_vat(amount_incl_vat: Decimal) -> Decimal:
    """The part of a VAT-inclusive amount that is not VAT, to the cent.

    Kenyan prices are quoted with VAT in; Oscar also wants the amount before tax.
    """
    return (amount_incl_vat / (1 + vat_rate())).quantize(Decimal("0.01"))
