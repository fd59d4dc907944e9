import pytest

pytestmark = pytest.mark.django_db


def test_catalogue_page_answers(client):
    response = client.get("/catalogue/")
    assert response.status_code == 200
