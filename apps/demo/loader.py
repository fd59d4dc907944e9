"""Loads the demo shop: the catalogue, stock, pages and staff user that `make run` shows.

Every step looks for what it would create first, so loading twice leaves the
database as the first load left it (and keeps any change staff made since).
"""

import io
import logging
import textwrap
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.db import transaction
from oscar.core.loading import get_model
from PIL import Image, ImageDraw, ImageFont

from apps.common.kenya import COUNTRY_CODE
from apps.demo import data as demo_data

logger = logging.getLogger(__name__)

Category = get_model("catalogue", "Category")
Country = get_model("address", "Country")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
Range = get_model("offer", "Range")
StockRecord = get_model("partner", "StockRecord")

PARTNER_NAME = "Duka la Nyumbani Ltd"
IMAGE_SIZE = (600, 600)


class DemoNotAllowed(Exception):
    """The settings in use (production) forbid loading demo data."""


@dataclass
class LoadReport:
    """What one load created; all zeros on a second load."""

    created: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, was_created: bool) -> None:
        self.created.setdefault(what, 0)
        if was_created:
            self.created[what] += 1

    @property
    def total(self) -> int:
        return sum(self.created.values())


def load_demo_shop() -> LoadReport:
    """Create whatever part of the demo shop is missing, in one transaction."""
    if not getattr(settings, "SHOP_DEMO_ALLOWED", False):
        raise DemoNotAllowed(
            "These settings do not allow the demo shop (SHOP_DEMO_ALLOWED is off): "
            "it creates a staff user with a known password."
        )
    report = LoadReport()
    with transaction.atomic():
        site = ensure_site(report)
        ensure_kenya(report)
        partner = ensure_partner(report)
        classes = {
            spec.name: ensure_product_class(spec, report) for spec in demo_data.PRODUCT_CLASSES
        }
        categories = {spec.name: ensure_category(spec, report) for spec in demo_data.CATEGORIES}
        colours = {spec.name: spec.colour for spec in demo_data.CATEGORIES}
        class_of_category = {
            spec.name: classes[spec.product_class] for spec in demo_data.CATEGORIES
        }
        featured = ensure_featured_range(report)
        for spec in demo_data.PRODUCTS:
            product = ensure_product(spec, class_of_category[spec.category], report)
            ensure_in_category(product, categories[spec.category], report)
            ensure_stock(product, partner, spec, report)
            ensure_image(product, colours[spec.category], report)
            if spec.featured:
                ensure_in_range(featured, product, report)
        for url, title, content in demo_data.FLAT_PAGES:
            ensure_flat_page(site, url, title, content, report)
        ensure_staff_user(report)
    logger.debug("Demo shop loaded: %s", report.created)
    return report


def ensure_site(report: LoadReport) -> Site:
    """Point Django's Site at this shop: Oscar puts its domain in order emails."""
    site, created = Site.objects.get_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": settings.SHOP_DOMAIN, "name": settings.OSCAR_SHOP_NAME},
    )
    changed = site.domain != settings.SHOP_DOMAIN or site.name != settings.OSCAR_SHOP_NAME
    if changed:
        site.domain = settings.SHOP_DOMAIN
        site.name = settings.OSCAR_SHOP_NAME
        site.save()
    report.add("sites", created or changed)
    return site


def ensure_kenya(report: LoadReport) -> Country:
    """Kenya as the one shipping country: Oscar then hides the country field."""
    country, created = Country.objects.get_or_create(
        iso_3166_1_a2=COUNTRY_CODE,
        defaults={
            "iso_3166_1_a3": "KEN",
            "iso_3166_1_numeric": "404",
            "printable_name": "Kenya",
            "name": "Republic of Kenya",
            "display_order": 1,
            "is_shipping_country": True,
        },
    )
    if not country.is_shipping_country:
        country.is_shipping_country = True
        country.save(update_fields=["is_shipping_country"])
        created = True
    report.add("countries", created)
    return country


def ensure_partner(report: LoadReport) -> Partner:
    partner, created = Partner.objects.get_or_create(name=PARTNER_NAME)
    report.add("partners", created)
    return partner


def ensure_product_class(spec: demo_data.DemoProductClass, report: LoadReport) -> ProductClass:
    product_class, created = ProductClass.objects.get_or_create(
        name=spec.name,
        defaults={"requires_shipping": spec.requires_shipping, "track_stock": spec.track_stock},
    )
    report.add("product classes", created)
    return product_class


def ensure_category(spec: demo_data.DemoCategory, report: LoadReport) -> Category:
    category = Category.objects.filter(depth=1, name=spec.name).first()
    report.add("categories", category is None)
    if category is None:
        category = Category.add_root(name=spec.name, description=spec.description)
    return category


def ensure_featured_range(report: LoadReport) -> Range:
    """The "Featured" range: the home page shows its products."""
    featured, created = Range.objects.get_or_create(
        slug=demo_data.FEATURED_RANGE_SLUG,
        defaults={
            "name": demo_data.FEATURED_RANGE_NAME,
            "description": "Hand-picked favourites from every department.",
            "is_public": True,
        },
    )
    report.add("ranges", created)
    return featured


def ensure_product(
    spec: demo_data.DemoProduct, product_class: ProductClass, report: LoadReport
) -> Product:
    product, created = Product.objects.get_or_create(
        upc=spec.upc,
        defaults={
            "title": spec.title,
            "description": spec.description,
            "product_class": product_class,
            "structure": Product.STANDALONE,
            "is_public": True,
        },
    )
    report.add("products", created)
    return product


def ensure_in_category(product: Product, category: Category, report: LoadReport) -> None:
    _, created = ProductCategory.objects.get_or_create(product=product, category=category)
    report.add("product categories", created)


def ensure_stock(
    product: Product, partner: Partner, spec: demo_data.DemoProduct, report: LoadReport
) -> None:
    _, created = StockRecord.objects.get_or_create(
        product=product,
        partner=partner,
        defaults={
            "partner_sku": spec.upc,
            "price_currency": settings.OSCAR_DEFAULT_CURRENCY,
            "price": spec.price,
            "num_in_stock": spec.num_in_stock,
        },
    )
    report.add("stock records", created)


def ensure_image(product: Product, colour: tuple[int, int, int], report: LoadReport) -> None:
    """Give the product a generated picture unless it has one (nothing is downloaded)."""
    has_image = product.images.exists()
    report.add("images", not has_image)
    if has_image:
        return
    image = ProductImage(product=product, caption=product.title, display_order=0)
    image.original.save(
        f"{product.upc.lower()}.png", ContentFile(product_card_png(product.title, colour))
    )


def ensure_in_range(featured: Range, product: Product, report: LoadReport) -> None:
    RangeProduct = Range.included_products.through
    _, created = RangeProduct.objects.get_or_create(
        range=featured,
        product=product,
        defaults={"display_order": RangeProduct.objects.filter(range=featured).count()},
    )
    report.add("featured products", created)


def ensure_flat_page(site: Site, url: str, title: str, content: str, report: LoadReport) -> None:
    page, created = FlatPage.objects.get_or_create(
        url=url,
        defaults={
            "title": title,
            "content": content.format(
                shop=settings.OSCAR_SHOP_NAME,
                threshold=f"{settings.SHOP_FREE_DELIVERY_THRESHOLD:,}",
            ),
        },
    )
    if not page.sites.filter(pk=site.pk).exists():
        page.sites.add(site)
    report.add("flat pages", created)


def ensure_staff_user(report: LoadReport) -> None:
    """The demo superuser from DEMO_ADMIN_EMAIL / DEMO_ADMIN_PASSWORD; an existing one is kept."""
    User = get_user_model()
    email = settings.DEMO_ADMIN_EMAIL
    exists = User.objects.filter(email__iexact=email).exists()
    report.add("staff users", not exists)
    if not exists:
        User.objects.create_superuser(
            username=email[:150], email=email, password=settings.DEMO_ADMIN_PASSWORD
        )


def product_card_png(title: str, colour: tuple[int, int, int]) -> bytes:
    """A plain coloured card with the product's initials and name, as PNG bytes."""
    image = Image.new("RGB", IMAGE_SIZE, colour)
    draw = ImageDraw.Draw(image)
    width, height = IMAGE_SIZE
    initials = "".join(word[0] for word in title.replace(":", " ").split()[:2] if word[0].isalnum())
    draw.text(
        (width / 2, height * 0.4),
        initials.upper(),
        fill="white",
        font=ImageFont.load_default(size=200),
        anchor="mm",
    )
    draw.multiline_text(
        (width / 2, height * 0.8),
        "\n".join(textwrap.wrap(title, width=26)[:3]),
        fill="white",
        font=ImageFont.load_default(size=34),
        anchor="mm",
        align="center",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
