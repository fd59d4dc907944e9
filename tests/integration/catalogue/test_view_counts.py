"""Product page views reach Oscar's ProductRecord in batches, not a write per view."""

import pytest
from oscar.core.loading import get_model
from oscar.test import factories

from apps.catalogue import view_counts

ProductRecord = get_model("analytics", "ProductRecord")
UserProductView = get_model("analytics", "UserProductView")
UserRecord = get_model("analytics", "UserRecord")


@pytest.fixture
def batched(settings):
    settings.SHOP_VIEW_COUNT_FLUSH_SECONDS = 3600
    view_counts.flush()  # nothing left over from another test
    yield
    view_counts.flush()


@pytest.mark.django_db
def test_views_are_counted_in_memory_and_written_in_one_go(batched, django_assert_num_queries):
    kettle, jiko = factories.create_product(), factories.create_product()
    with django_assert_num_queries(0):
        for _ in range(3):
            view_counts.count_view(kettle.pk)
        view_counts.count_view(jiko.pk)

    view_counts.flush()

    assert ProductRecord.objects.get(product=kettle).num_views == 3
    assert ProductRecord.objects.get(product=jiko).num_views == 1
    view_counts.count_view(kettle.pk)
    view_counts.flush()
    assert ProductRecord.objects.get(product=kettle).num_views == 4


@pytest.mark.django_db
def test_a_batch_is_written_once_it_is_due(settings):
    settings.SHOP_VIEW_COUNT_FLUSH_SECONDS = 0
    kettle = factories.create_product()

    view_counts.count_view(kettle.pk)
    view_counts.count_view(kettle.pk)

    assert ProductRecord.objects.get(product=kettle).num_views == 2


@pytest.mark.django_db
def test_views_of_a_product_deleted_meanwhile_are_dropped_quietly(batched):
    gone = factories.create_product()
    view_counts.count_view(gone.pk)
    gone.delete()

    view_counts.flush()

    assert not ProductRecord.objects.exists()


@pytest.mark.django_db
def test_the_product_page_counts_views_through_the_batch(batched, client):
    product = factories.create_product()
    client.get(product.get_absolute_url())
    client.get(product.get_absolute_url())
    assert not ProductRecord.objects.filter(product=product).exists()

    view_counts.flush()

    assert ProductRecord.objects.get(product=product).num_views == 2


@pytest.mark.django_db
def test_a_signed_in_shoppers_views_join_the_batch(batched, client, django_user_model):
    wanjiru = django_user_model.objects.create_user("wanjiru", "w@example.co.ke", "pw")
    gone = django_user_model.objects.create_user("gone", "g@example.co.ke", "pw")
    kettle, jiko = factories.create_product(), factories.create_product()
    client.force_login(wanjiru)
    client.get(kettle.get_absolute_url())
    client.get(jiko.get_absolute_url())
    view_counts.count_view(kettle.pk, gone.pk)
    gone.delete()
    assert not UserProductView.objects.exists()

    view_counts.flush()

    assert sorted(UserProductView.objects.values_list("user__username", "product_id")) == [
        ("wanjiru", kettle.pk),
        ("wanjiru", jiko.pk),
    ]
    assert UserRecord.objects.get(user=wanjiru).num_product_views == 2
    assert ProductRecord.objects.get(product=kettle).num_views == 2
