"""What the demo shop sells: plain data, read by ``apps.demo.loader``.

Prices are whole shillings with VAT included; stock numbers are what a small
Nairobi shop might hold. Two products are out of stock on purpose, so the
storefront shows how that looks.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DemoProductClass:
    name: str
    requires_shipping: bool = True
    track_stock: bool = True


@dataclass(frozen=True)
class DemoCategory:
    name: str
    description: str
    product_class: str
    #: Background colour of the generated product images (RGB).
    colour: tuple[int, int, int]


@dataclass(frozen=True)
class DemoProduct:
    upc: str
    title: str
    category: str
    price: Decimal
    #: None for digital goods, whose stock is not tracked.
    num_in_stock: int | None
    description: str
    featured: bool = False


PRODUCT_CLASSES: tuple[DemoProductClass, ...] = (
    DemoProductClass("Electronics"),
    DemoProductClass("Household"),
    DemoProductClass("Clothing"),
    DemoProductClass("Groceries"),
    DemoProductClass("Digital", requires_shipping=False, track_stock=False),
)

CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory(
        "Phones & accessories",
        "Smartphones, chargers, power banks and earphones.",
        "Electronics",
        (33, 97, 140),
    ),
    DemoCategory(
        "Kitchen", "Cookers, sufurias and everything for the kitchen.", "Household", (190, 75, 45)
    ),
    DemoCategory(
        "Home", "Blankets, baskets, nets and light for the home.", "Household", (96, 125, 60)
    ),
    DemoCategory(
        "Fashion", "Kitenge, kanga, beaded sandals and leather bags.", "Clothing", (140, 50, 110)
    ),
    DemoCategory(
        "Groceries", "Kenyan coffee, tea, honey, nuts and flour.", "Groceries", (170, 120, 20)
    ),
    DemoCategory(
        "E-books & gift vouchers",
        "Delivered by email: nothing to ship.",
        "Digital",
        (70, 70, 90),
    ),
)

PRODUCTS: tuple[DemoProduct, ...] = (
    # Phones & accessories
    DemoProduct(
        "DEMO-PHN-001",
        "Smartphone 6.6-inch, 128 GB, dual SIM",
        "Phones & accessories",
        Decimal("16999"),
        25,
        "A dual-SIM smartphone with a 6.6-inch screen, 128 GB of storage and a 5,000 mAh "
        "battery that lasts a full day of M-Pesa, WhatsApp and photos.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-PHN-002",
        "Feature phone with FM radio and torch",
        "Phones & accessories",
        Decimal("1899"),
        45,
        "A tough dual-SIM feature phone with FM radio, a bright torch and a battery that "
        "lasts a week.",
    ),
    DemoProduct(
        "DEMO-PHN-003",
        "Power bank 20,000 mAh",
        "Phones & accessories",
        Decimal("2799"),
        60,
        "Charges a smartphone four times over; two USB ports and a USB-C port.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-PHN-004",
        "Wireless earbuds with charging case",
        "Phones & accessories",
        Decimal("3499"),
        40,
        "Bluetooth earbuds with touch controls and up to 20 hours of play with the case.",
    ),
    DemoProduct(
        "DEMO-PHN-005",
        "USB-C fast charger 25 W",
        "Phones & accessories",
        Decimal("1250"),
        80,
        "A 25 W wall charger with a Kenyan three-pin plug and a one-metre USB-C cable.",
    ),
    DemoProduct(
        "DEMO-PHN-006",
        "Solar lantern with phone charger",
        "Phones & accessories",
        Decimal("2350"),
        0,
        "A solar lantern that lights a room for eight hours and charges a phone by day.",
    ),
    # Kitchen
    DemoProduct(
        "DEMO-KIT-001",
        "Energy-saving charcoal jiko",
        "Kitchen",
        Decimal("3200"),
        30,
        "A ceramic-lined charcoal stove that uses up to half the charcoal of a metal jiko.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-KIT-002",
        "Electric kettle 1.7 litres",
        "Kitchen",
        Decimal("2650"),
        22,
        "A stainless steel kettle that boils water for chai in under four minutes.",
    ),
    DemoProduct(
        "DEMO-KIT-003",
        "Aluminium sufuria set, 5 pieces",
        "Kitchen",
        Decimal("3950"),
        15,
        "Five heavy aluminium sufurias with lids, from 1 to 5 litres.",
    ),
    DemoProduct(
        "DEMO-KIT-004",
        "Vacuum flask 1.8 litres",
        "Kitchen",
        Decimal("1450"),
        35,
        "Keeps chai hot from morning to evening.",
    ),
    DemoProduct(
        "DEMO-KIT-005",
        "Non-stick chapati pan 28 cm",
        "Kitchen",
        Decimal("1850"),
        20,
        "A flat non-stick pan for soft chapatis, with a heat-proof handle.",
    ),
    # Home
    DemoProduct(
        "DEMO-HOM-001",
        "Maasai shuka blanket",
        "Home",
        Decimal("1650"),
        50,
        "A warm checked shuka in red and blue, woven in Kenya.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-HOM-002",
        "Cotton kikoi towel",
        "Home",
        Decimal("1200"),
        40,
        "A striped cotton kikoi from the coast: a towel, a wrap or a throw.",
    ),
    DemoProduct(
        "DEMO-HOM-003",
        "Mosquito net, king size",
        "Home",
        Decimal("950"),
        70,
        "A treated rectangular net for a six-by-six bed.",
    ),
    DemoProduct(
        "DEMO-HOM-004",
        "Sisal kiondo basket",
        "Home",
        Decimal("1800"),
        18,
        "A hand-woven sisal basket with leather handles, made by weavers in Machakos.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-HOM-005",
        "LED bulbs 9 W, pack of 4",
        "Home",
        Decimal("680"),
        0,
        "Four bright, cool-white LED bulbs that save on the electricity token.",
    ),
    # Fashion
    DemoProduct(
        "DEMO-FSH-001",
        "Kitenge wrap dress",
        "Fashion",
        Decimal("2900"),
        24,
        "A bold kitenge print wrap dress, tailored in Nairobi.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-FSH-002",
        "Men's cotton kitenge shirt",
        "Fashion",
        Decimal("1950"),
        30,
        "A short-sleeved cotton shirt with a kitenge pattern.",
    ),
    DemoProduct(
        "DEMO-FSH-003",
        "Beaded leather sandals",
        "Fashion",
        Decimal("1500"),
        28,
        "Leather sandals decorated with Maasai beadwork.",
    ),
    DemoProduct(
        "DEMO-FSH-004",
        "Leather messenger bag",
        "Fashion",
        Decimal("4800"),
        12,
        "A hand-stitched leather bag that fits a laptop and a day's papers.",
    ),
    DemoProduct(
        "DEMO-FSH-005",
        "Kanga, pair",
        "Fashion",
        Decimal("850"),
        60,
        "A pair of cotton kangas printed with a Swahili saying.",
    ),
    # Groceries
    DemoProduct(
        "DEMO-GRO-001",
        "Kenyan AA coffee beans 500 g",
        "Groceries",
        Decimal("1150"),
        45,
        "Medium-roast AA beans from the slopes of Mount Kenya.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-GRO-002",
        "Black tea, 100 bags",
        "Groceries",
        Decimal("350"),
        120,
        "Strong black tea from Kericho, for chai.",
    ),
    DemoProduct(
        "DEMO-GRO-003",
        "Raw honey 1 kg",
        "Groceries",
        Decimal("1250"),
        30,
        "Raw honey from Baringo's acacia woodland.",
    ),
    DemoProduct(
        "DEMO-GRO-004",
        "Roasted macadamia nuts 250 g",
        "Groceries",
        Decimal("750"),
        40,
        "Lightly salted macadamias grown in Murang'a.",
    ),
    DemoProduct(
        "DEMO-GRO-005",
        "Maize flour 2 kg",
        "Groceries",
        Decimal("210"),
        200,
        "Sifted white maize flour for ugali.",
    ),
    # E-books & gift vouchers
    DemoProduct(
        "DEMO-DIG-001",
        "Gift voucher KSh 1,000",
        "E-books & gift vouchers",
        Decimal("1000"),
        None,
        "A gift voucher sent by email, to spend on anything in the shop.",
    ),
    DemoProduct(
        "DEMO-DIG-002",
        "Gift voucher KSh 5,000",
        "E-books & gift vouchers",
        Decimal("5000"),
        None,
        "A gift voucher sent by email, to spend on anything in the shop.",
        featured=True,
    ),
    DemoProduct(
        "DEMO-DIG-003",
        "E-book: Swahili for beginners",
        "E-books & gift vouchers",
        Decimal("650"),
        None,
        "Thirty short lessons of everyday Swahili, as an EPUB and a PDF.",
    ),
    DemoProduct(
        "DEMO-DIG-004",
        "E-book: Kenyan home cooking",
        "E-books & gift vouchers",
        Decimal("800"),
        None,
        "Pilau, githeri, sukuma wiki and fifty more recipes, as an EPUB and a PDF.",
    ),
)

FEATURED_RANGE_NAME = "Featured"
FEATURED_RANGE_SLUG = "featured"

FLAT_PAGES: tuple[tuple[str, str, str], ...] = (
    (
        "/about/",
        "About us",
        "<p>{shop} is a small Kenyan shop that sells everyday things &mdash; phones, "
        "kitchenware, clothes, groceries and gifts &mdash; to shoppers all over Kenya.</p>"
        "<p>We are based on Moi Avenue, Nairobi. Call or WhatsApp us on 0700 000 000 "
        "between 8 am and 6 pm, Monday to Saturday.</p>",
    ),
    (
        "/delivery/",
        "Delivery",
        "<ul>"
        "<li><strong>Nairobi delivery</strong> (Nairobi County only): KSh 250, usually the "
        "next working day.</li>"
        "<li><strong>Countrywide courier</strong>: KSh 450, 2 to 4 working days to your "
        "town.</li>"
        "<li><strong>Free delivery</strong> anywhere in Kenya on orders of KSh {threshold} "
        "or more.</li>"
        "<li><strong>Collect in store</strong>: free, from our shop on Moi Avenue.</li>"
        "</ul>"
        "<p>E-books and gift vouchers are sent by email: nothing to deliver.</p>",
    ),
    (
        "/returns/",
        "Returns",
        "<p>Not happy with something? Return it unused within 7 days of delivery and we "
        "refund you to the M-Pesa number you paid with.</p>"
        "<p>Faulty electronics are replaced or refunded within the warranty period. "
        "Groceries, e-books and gift vouchers cannot be returned once delivered.</p>",
    ),
    (
        "/how-to-pay/",
        "How to pay with M-Pesa",
        "<ol>"
        "<li>Add what you want to your basket and go to checkout.</li>"
        "<li>On the payment step, enter the Safaricom number you want to pay from.</li>"
        "<li>Your phone shows an M-Pesa prompt with the amount: enter your M-Pesa PIN.</li>"
        "<li>You receive an M-Pesa SMS and the shop confirms your order at once.</li>"
        "</ol>"
        "<p>No prompt? Check that your phone is on and unlocked, then ask for a new prompt "
        "from the payment page. Where the page shows a Paybill number and an account "
        "number, you can also pay from the M-Pesa menu with those.</p>",
    ),
)
