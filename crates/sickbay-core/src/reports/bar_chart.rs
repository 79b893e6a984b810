//! Bar charts drawn on the server as SVG: the geometry here, pure and tested; the markup in
//! `templates/reports/_chart.html`. Bars are `currentColor`, so a chart prints in the text's colour, and every
//! chart stands beside a table of the same numbers for those who don't see it.

/// The width of every chart's drawing, in its own units (the SVG scales to the page): about a chart's width
/// beside another at 1366 px, so its 12-unit labels are read at about 12 px there.
pub const WIDTH: i64 = 600;
const COLUMN_HEIGHT: i64 = 220;
const LEFT: i64 = 56;
const BOTTOM: i64 = 36;
const TOP: i64 = 12;
const ROW: i64 = 24;
const LABEL_WIDTH: i64 = 200;
const VALUE_ROOM: i64 = 90;
/// The most days labelled under a chart: each label ("Mon 16 Nov") has room for itself.
const DAY_LABELS: usize = 6;

/// A chart: bars down (one per day) or across (one per doctor, drug, faculty...).
#[derive(Clone, Debug)]
pub struct Chart {
    pub title: String,
    /// Says in words what the chart shows and its largest value, for screen readers.
    pub description: String,
    pub across: bool,
    pub height: i64,
    pub bars: Vec<Bar>,
    /// The value axis: gridlines and their numbers.
    pub ticks: Vec<Tick>,
    /// Labels along the days axis (only some days get one).
    pub labels: Vec<Tick>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub label: String,
    pub value: String,
    /// Where the label (across) or the value text goes.
    pub text_x: String,
    pub text_y: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub at: String,
    pub text: String,
}

/// One bar's data: its label, its value, and the value as text.
pub struct Point {
    pub label: String,
    pub value: i64,
    pub text: String,
}

fn num(value: f64) -> String {
    format!("{value:.1}")
}

/// A round step for an axis up to `max` with at most five gridlines: 1, 2 or 5 times a power of ten.
pub fn tick_step(max: i64) -> i64 {
    let max = max.max(1);
    let mut power = 1_i64;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * power;
            if max / step <= 5 && (max / step < 5 || max % step == 0) {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

fn axis(max: i64) -> (i64, Vec<i64>) {
    let step = tick_step(max);
    let top = (max.max(1) + step - 1) / step * step;
    (top, (0..=top / step).map(|i| i * step).collect())
}

impl Chart {
    /// One column per point (the days of a period), labelled under at most [`DAY_LABELS`] of them.
    pub fn columns(title: &str, unit: &str, points: &[Point], text: impl Fn(i64) -> String) -> Chart {
        let (top, values) = axis(points.iter().map(|p| p.value).max().unwrap_or(0));
        let plot_width = (WIDTH - LEFT - 8) as f64;
        let plot_height = (COLUMN_HEIGHT - TOP - BOTTOM) as f64;
        let slot = plot_width / points.len().max(1) as f64;
        let gap = if slot > 6.0 { slot * 0.2 } else { 0.0 };
        let y_of = |value: i64| TOP as f64 + plot_height * (1.0 - value as f64 / top as f64);
        let bars = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let x = LEFT as f64 + slot * i as f64 + gap / 2.0;
                let y = y_of(p.value.max(0));
                Bar {
                    x: num(x),
                    y: num(y),
                    width: num((slot - gap).max(0.5)),
                    height: num(TOP as f64 + plot_height - y),
                    label: p.label.clone(),
                    value: p.text.clone(),
                    text_x: num(x + (slot - gap) / 2.0),
                    text_y: num(y - 3.0),
                }
            })
            .collect();
        let every = points.len().div_ceil(DAY_LABELS).max(1);
        let labels = points
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|(i, p)| Tick {
                at: num(LEFT as f64 + slot * (i as f64 + 0.5)),
                text: p.label.clone(),
            })
            .collect();
        Chart {
            title: title.to_owned(),
            description: describe(title, unit, points),
            across: false,
            height: COLUMN_HEIGHT,
            bars,
            ticks: values
                .into_iter()
                .map(|v| Tick {
                    at: num(y_of(v)),
                    text: text(v),
                })
                .collect(),
            labels,
        }
    }

    /// One bar across per point, its label on the left and its value at its end.
    pub fn rows(title: &str, unit: &str, points: &[Point], text: impl Fn(i64) -> String) -> Chart {
        let (top, values) = axis(points.iter().map(|p| p.value).max().unwrap_or(0));
        let plot_width = (WIDTH - LABEL_WIDTH - VALUE_ROOM) as f64;
        let x_of = |value: i64| LABEL_WIDTH as f64 + plot_width * value.max(0) as f64 / top as f64;
        let bars = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let y = TOP + ROW * i as i64;
                let end = x_of(p.value);
                Bar {
                    x: num(LABEL_WIDTH as f64),
                    y: num(y as f64 + 3.0),
                    width: num((end - LABEL_WIDTH as f64).max(0.5)),
                    height: num((ROW - 6) as f64),
                    label: p.label.clone(),
                    value: p.text.clone(),
                    text_x: num(end + 4.0),
                    text_y: num(y as f64 + ROW as f64 / 2.0 + 4.0),
                }
            })
            .collect();
        let height = TOP + ROW * points.len().max(1) as i64 + BOTTOM;
        Chart {
            title: title.to_owned(),
            description: describe(title, unit, points),
            across: true,
            height,
            bars,
            ticks: values
                .into_iter()
                .map(|v| Tick {
                    at: num(x_of(v)),
                    text: text(v),
                })
                .collect(),
            labels: Vec::new(),
        }
    }

    pub fn width(&self) -> i64 {
        WIDTH
    }

    /// The left edge of the plot, where the value axis of a column chart is drawn.
    pub fn left(&self) -> i64 {
        if self.across { LABEL_WIDTH } else { LEFT }
    }

    /// The bottom of the plot, where the days' labels go.
    pub fn baseline(&self) -> i64 {
        self.height - BOTTOM
    }

    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

fn describe(title: &str, unit: &str, points: &[Point]) -> String {
    match points.iter().max_by_key(|p| p.value) {
        Some(top) if top.value > 0 => format!(
            "{title}: {} bars of {unit}; the largest is {} ({}). The table below holds every number.",
            points.len(),
            top.text,
            top.label
        ),
        _ => format!("{title}: nothing in this period."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[i64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                label: format!("d{i}"),
                value: *v,
                text: v.to_string(),
            })
            .collect()
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(tick_step(0), 1);
        assert_eq!(tick_step(4), 1);
        assert_eq!(tick_step(7), 2);
        assert_eq!(tick_step(10), 2);
        assert_eq!(tick_step(23), 5);
        assert_eq!(tick_step(100), 20);
        assert_eq!(tick_step(101), 50);
        assert_eq!(tick_step(4_999_999), 1_000_000);
    }

    #[test]
    fn columns_reach_the_top_for_the_largest_value_and_sit_on_the_baseline() {
        let chart = Chart::columns("Visits", "visits", &points(&[0, 5, 10]), |v| v.to_string());
        assert_eq!(chart.bars.len(), 3);
        assert_eq!(chart.ticks.first().map(|t| t.text.as_str()), Some("0"));
        assert_eq!(chart.ticks.last().map(|t| t.text.as_str()), Some("10"));
        let top = &chart.bars[2];
        assert_eq!(top.y, num(TOP as f64));
        let zero = &chart.bars[0];
        assert_eq!(zero.height, "0.0");
        assert_eq!(chart.baseline(), COLUMN_HEIGHT - BOTTOM);
        assert!(chart.description.contains("the largest is 10 (d2)"));
    }

    #[test]
    fn a_year_of_columns_labels_at_most_eight_days() {
        let chart = Chart::columns("Visits", "visits", &points(&[3; 365]), |v| v.to_string());
        assert!(chart.labels.len() <= 8, "{}", chart.labels.len());
        assert_eq!(chart.bars.len(), 365);
    }

    #[test]
    fn rows_grow_with_their_points() {
        let chart = Chart::rows("Doctors", "visits", &points(&[4, 2]), |v| v.to_string());
        assert!(chart.across);
        assert_eq!(chart.height, TOP + 2 * ROW + BOTTOM);
        assert_eq!(chart.bars[0].width, num((WIDTH - LABEL_WIDTH - VALUE_ROOM) as f64));
        let empty = Chart::rows("Doctors", "visits", &[], |v| v.to_string());
        assert!(empty.is_empty());
        assert_eq!(empty.description, "Doctors: nothing in this period.");
    }
}
