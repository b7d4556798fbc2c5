"""The pages' SVG charts say what each axis measures."""

import pytest
from django.urls import reverse

from identity.charts import bar_chart_svg, curves_svg


def test_it_labels_both_axes_of_a_bar_chart():
    svg = bar_chart_svg([1, 3], ["08", "09"], title="Arrivals", x_label="hour of the day", y_label="people")

    assert '<text class="axis-label" x="320.0" y="217" text-anchor="middle">hour of the day</text>' in svg
    assert 'rotate(-90)" text-anchor="middle">people</text>' in svg


def test_it_labels_both_axes_of_the_curves():
    svg = curves_svg([0.0, 1.0], [("false accepts", "far", [1.0, 0.0])], title="Rates", x_label="threshold",
                     y_label="share")

    assert ">threshold</text>" in svg and ">share</text>" in svg


@pytest.mark.django_db
def test_it_labels_the_arrivals_chart_with_the_sites_zone(client, operator_user, settings):
    settings.TIME_ZONE = "Europe/Paris"
    client.force_login(operator_user)

    page = client.get(reverse("attendance-today")).content.decode()

    assert ">hour of the day (Europe/Paris)</text>" in page and ">people</text>" in page
