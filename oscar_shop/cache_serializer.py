"""What the Redis cache keeps, read back by a release that may not be the one that wrote it.

django-redis pickles cached values (``SERIALIZER``, its documented pluggable serializer).
A value written by an earlier release holds the import paths of that release's classes: a
cached page is an ``apps...page_cache.Page``. When a deploy moves or renames such a class,
unpickling the old entry fails, and django-redis raised it into the view: every cached page
answered 500 until Redis was flushed. Here a value that cannot be read back is a miss: the
page is rendered and stored again by the new release.
"""

import logging
import pickle

from django_redis.serializers.pickle import PickleSerializer

logger = logging.getLogger(__name__)

#: What unpickling a value written by other code raises: a class moved or renamed
#: (ImportError, AttributeError), a changed constructor (TypeError), a truncated value.
UNREADABLE = (pickle.UnpicklingError, ImportError, AttributeError, TypeError, EOFError, ValueError)


class ReleaseTolerantPickleSerializer(PickleSerializer):
    def loads(self, value: bytes):
        try:
            return super().loads(value)
        except UNREADABLE as error:
            logger.warning("cache value unreadable, read as a miss: %r", error)
            return None
