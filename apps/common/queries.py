"""Query pieces the shop's selectors share."""

from django.db.models import Aggregate, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def total_per_row(queryset: QuerySet, field: str, total: Aggregate) -> Coalesce:
    """``total`` (an aggregate) over the rows of ``queryset`` whose ``field`` is the outer
    row, as a subquery to annotate with; 0 when there are none.

    The database answers it row by row through the index on ``field``, where a join and
    GROUP BY would read all of ``queryset`` first.
    """
    grouped = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(
        Subquery(grouped.annotate(total=total).values("total"), output_field=IntegerField()),
        0,
    )
