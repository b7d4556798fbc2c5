"""Small server-side SVG charts (no JavaScript, no CDN): bars per hour, error-rate curves."""

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 640, 220, 32


def _in_scroller(svg: SafeString) -> SafeString:
    """On a phone a chart keeps a width its labels can be read at and scrolls inside its card (app.css)."""
    return format_html('<div class="chart-scroll">{}</div>', svg)


def _axis_labels(x_label: str, y_label: str) -> SafeString:
    """What each axis measures: under the x axis, and along the y axis, turned."""
    return format_html(
        '<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="axis-label" transform="translate(11 {}) rotate(-90)" text-anchor="middle">{}</text>',
        WIDTH / 2, HEIGHT - 3, x_label, HEIGHT / 2, y_label,
    )


def bar_chart_svg(
    values: Sequence[int], labels: Sequence[str], *, title: str, x_label: str, y_label: str
) -> SafeString:
    """Vertical bars, one per value, each with a tooltip; the y axis starts at 0."""
    top = max(max(values, default=0), 1)
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    bars = []
    for index, (value, label) in enumerate(zip(values, labels)):
        height = (HEIGHT - 2 * PAD) * value / top
        x, y = PAD + index * slot + 2, HEIGHT - PAD - height
        bars.append((f"{x:.1f}", f"{y:.1f}", f"{slot - 4:.1f}", f"{height:.1f}", label, value, f"{x + slot / 2 - 2:.1f}"))
    body = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
        '<text class="tick" x="{}" y="' + str(HEIGHT - PAD + 14) + '" text-anchor="middle">{}</text>',
        ((x, y, w, h, label, value, cx, label) for x, y, w, h, label, value, cx in bars),
    )
    return _in_scroller(format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>'
        '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>{}{}</svg>',
        WIDTH, HEIGHT, title, title, PAD, HEIGHT - PAD, WIDTH - PAD, HEIGHT - PAD, PAD - 4, PAD + 4, top, body,
        _axis_labels(x_label, y_label),
    ))


def _points(xs: Sequence[float], ys: Sequence[float]) -> str:
    width, height = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    return " ".join(f"{PAD + x * width:.1f},{HEIGHT - PAD - y * height:.1f}" for x, y in zip(xs, ys))


def curves_svg(
    xs: Sequence[float], series: Sequence[tuple[str, str, Sequence[float]]], *, title: str, x_label: str,
    y_label: str, marks: Sequence[tuple[str, float]] = (),
) -> SafeString:
    """Lines over x and y in [0, 1]: series are (name, css class, ys); marks are labelled
    vertical lines (name, x)."""
    lines = format_html_join(
        "",
        '<polyline class="curve {}" fill="none" points="{}"><title>{}</title></polyline>',
        ((css, _points(xs, ys), name) for name, css, ys in series),
    )
    x_of = lambda value: PAD + value * (WIDTH - 2 * PAD)  # noqa: E731
    mark_lines = format_html_join(
        "",
        '<line class="mark" x1="{}" y1="{}" x2="{}" y2="{}"><title>{} {}</title></line>'
        '<text class="tick" x="{}" y="{}">{}</text>',
        (
            (f"{x_of(x):.1f}", PAD, f"{x_of(x):.1f}", HEIGHT - PAD, name, f"{x:.2f}", f"{x_of(x) + 3:.1f}", PAD + 12 + 12 * i, name)
            for i, (name, x) in enumerate(marks)
        ),
    )
    legend = format_html_join(
        "",
        '<text class="legend {}" x="{}" y="14">{}</text>',
        ((css, PAD + 110 * i, name) for i, (name, css, _) in enumerate(series)),
    )
    ticks = mark_safe(
        "".join(
            f'<text class="tick" x="{x_of(v):.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle">{v:.1f}</text>'
            for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
        )
        + "".join(
            f'<text class="tick" x="{PAD - 4}" y="{HEIGHT - PAD - v * (HEIGHT - 2 * PAD) + 4:.1f}" '
            f'text-anchor="end">{v:.1f}</text>'
            for v in (0.0, 0.5, 1.0)
        )
    )
    return _in_scroller(format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>'
        '<rect class="frame" x="{}" y="{}" width="{}" height="{}" fill="none"/>{}{}{}{}{}</svg>',
        WIDTH, HEIGHT, title, title, PAD, PAD, WIDTH - 2 * PAD, HEIGHT - 2 * PAD, ticks, lines, mark_lines, legend,
        _axis_labels(x_label, y_label),
    ))
