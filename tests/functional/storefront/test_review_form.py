"""The review form sent back with an error keeps the chosen score, shown as stars."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("score", "stars"), [("4", "star-rating Four"), ("lots", "star-rating ")])
def test_a_review_without_its_title_comes_back_with_its_stars(client, catalogue, score, stars):
    """Oscar drew the stars from the score as posted, text its as_stars filter cannot round:
    any review sent back (no title, say) answered 500. Found by the fuzzer."""
    url = f"{catalogue.kettle.get_absolute_url()}reviews/add/"

    response = client.post(url, {"score": score, "body": "Boils water fast", "name": "Juma"})

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert f'class="{stars}"' in response.content.decode()
