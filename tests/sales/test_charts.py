"""Bar chart geometry (sales/charts.py): round ticks, bars from the zero line, negatives below it."""

from decimal import Decimal as D

from sales.charts import bar_chart, nice_step, value_ticks


def test_round_ticks_cover_the_values_and_zero():
    assert [nice_step(D(x)) for x in ("0", "7", "50.06", "1234")] == [D(1), D(2), D(20), D(500)]
    assert value_ticks(D(0), D("50.06")) == [D(0), D(20), D(40), D(60)]
    assert value_ticks(D("-9.76"), D("47.77")) == [D(-20), D(0), D(20), D(40), D(60)]
    assert value_ticks(D(0), D(0)) == [D(0), D(1)]


def test_bars_start_at_zero_and_a_negative_one_goes_below():
    chart = bar_chart(
        [("10 Feb", D("47.77")), ("11 Feb", D("-9.76"))],
        title="Revenue by day", value_title="Revenue", category_title="Day", format_value=str,
    )  # fmt: skip
    up, down = chart.bars
    assert chart.plot_top < chart.zero < chart.plot_bottom
    assert up.y + up.height == chart.zero and up.height > 0
    assert down.y == chart.zero and down.height > 0
    assert abs(up.height / down.height - float(D("47.77") / D("9.76"))) < 1e-9
    assert [tick.label for tick in chart.value_ticks] == ["-20", "0", "20", "40", "60"]
    assert not chart.is_empty
    assert bar_chart([("00", 0)], title="", value_title="", category_title="", format_value=str).is_empty
