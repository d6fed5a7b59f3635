import pytest

from school.charts import bar_chart, line_chart, nice_ceiling


def test_a_scale_ends_on_a_round_number_close_above_the_largest_value():
    assert [nice_ceiling(n) for n in (0, 1, 2, 7, 10, 11, 519, 801, 2001)] == [1, 1, 2, 8, 10, 20, 600, 1000, 3000]


def test_a_line_runs_from_the_left_edge_to_the_right_and_from_the_bottom_up():
    chart = line_chart(["Oct 1", "Oct 2", "Oct 3"], [("Enrolled", "enrolled", [0, 3, 7])])
    (line,) = chart.lines
    points = [tuple(map(float, point.split(","))) for point in line.points.split()]
    assert [x for x, _y in points] == pytest.approx([chart.left, (chart.left + chart.right) / 2, chart.right], abs=0.1)
    assert points[0][1] == chart.bottom
    assert points[2][1] == pytest.approx(chart.top + (chart.bottom - chart.top) / 8, abs=0.1)
    assert (line.last_x, line.last_y, line.last_value) == (*points[2], 7)
    assert [tick.label for tick in chart.x_ticks] == ["Oct 1", "Oct 2", "Oct 3"]
    assert [tick.label for tick in chart.y_ticks] == ["0", "4", "8"]


def test_one_day_sits_in_the_middle_and_no_day_draws_nothing():
    (line,) = line_chart(["Oct 1"], [("Enrolled", "enrolled", [5])]).lines
    assert line.points == f"{line.last_x},{line.last_y}"
    assert line_chart([], [("Enrolled", "enrolled", [])]).x_ticks == []


def test_bars_are_as_long_as_their_share_and_never_past_full():
    chart = bar_chart([("CS", 0.5, "50%"), ("MATH", 1.4, "140%"), ("ART", 0.0, "0%")])
    assert [bar.width for bar in chart.bars] == [chart.full_width / 2, chart.full_width, 0]
    assert [bar.y for bar in chart.bars] == [0, 30, 60] and chart.height == 82
