"""Oscar's "image not found" picture, linked into MEDIA_ROOT before the first request."""

import logging
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from oscar.apps.catalogue.abstract_models import MissingProductImage

logger = logging.getLogger(__name__)


def ensure_missing_image_link() -> None:
    """Link the picture shown for products without an image, if it is not there yet.

    Oscar links it lazily, on the first page that shows such a product. Two concurrent
    first requests race between its "exists?" and its symlink, and the loser answers 500
    (``ImproperlyConfigured``). Linked at start-up, no request ever has to.
    """
    try:
        MissingProductImage()
    except ImproperlyConfigured:
        # Another process linked it in between (fine), or MEDIA_ROOT is not writable.
        path = os.path.join(settings.MEDIA_ROOT, settings.OSCAR_MISSING_IMAGE_URL)
        if not os.path.exists(path):
            logger.warning("Could not link the missing-image picture at %s", path)
