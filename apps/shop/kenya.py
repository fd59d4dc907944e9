"""Facts about Kenya that the shop's forms, shipping and demo data share."""

from decimal import Decimal

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

#: Kenya's standard VAT rate; the shop's prices and charges include it.
VAT_RATE = Decimal("0.16")


def excluding_vat(amount_incl_vat: Decimal) -> Decimal:
    """The part of a VAT-inclusive amount that is not VAT, to the cent.

    Kenyan prices are quoted with VAT in; Oscar also wants the amount before tax.
    """
    return (amount_incl_vat / (1 + VAT_RATE)).quantize(Decimal("0.01"))
