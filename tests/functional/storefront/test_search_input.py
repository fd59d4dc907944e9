"""What a signed-in shopper searches is kept for Oscar's analytics as its column can hold
it, whatever was typed (found by the fuzzer as a 500 on PostgreSQL), and a search is
run on its first 200 characters (the fuzzer's 70,000 took seconds of CPU each)."""

import pytest
from oscar.core.loading import get_model

pytestmark = pytest.mark.django_db

UserSearch = get_model("analytics", "UserSearch")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("kettle " * 60, ("kettle " * 60)[:200]),
        ("ket\x00tle", "kettle"),
    ],
)
def test_a_search_too_long_or_with_a_nul_is_answered_and_kept_as_it_fits(
    client, django_user_model, search_index, typed, kept
):
    client.force_login(django_user_model.objects.create_user("juma", "juma@example.co.ke"))

    response = client.get("/search/", {"q": typed})

    assert response.status_code == 200
    assert list(UserSearch.objects.values_list("query", flat=True)) == [kept]


def test_a_search_is_run_on_its_first_200_characters(client, search_index):
    typed = "kettle" + " " * 194 + "zzzz" + "x" * 70_000

    response = client.get("/search/", {"q": typed})

    assert response.status_code == 200
    assert response.context["form"].cleaned_data["q"] == "kettle"
    assert search_index.kettle.title in response.content.decode()
