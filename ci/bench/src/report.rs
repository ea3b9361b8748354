//! The result table: printed, and written to `docs/bench.md` with an SVG chart.

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

/// One measured figure beside its target.
pub struct Row {
    /// What was measured.
    pub name: String,
    /// The figure, with its unit.
    pub measured: String,
    /// The target, or `-` for figures reported only.
    pub target: String,
    /// Whether the target was met; `None` for figures reported only.
    pub met: Option<bool>,
}

impl Row {
    /// A figure with a target.
    pub fn check(
        name: impl Into<String>,
        measured: impl Into<String>,
        target: impl Into<String>,
        met: bool,
    ) -> Row {
        Row {
            name: name.into(),
            measured: measured.into(),
            target: target.into(),
            met: Some(met),
        }
    }

    /// A figure reported for information.
    pub fn info(name: impl Into<String>, measured: impl Into<String>) -> Row {
        Row {
            name: name.into(),
            measured: measured.into(),
            target: "-".into(),
            met: None,
        }
    }

    fn verdict(&self) -> &'static str {
        match self.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "",
        }
    }
}

/// The table as markdown.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from("| benchmark | measured | target | |\n|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.name,
            r.measured,
            r.target,
            r.verdict()
        );
    }
    out
}

/// One series of the chart: a name and (x, y) points.
pub struct Series {
    /// The legend text.
    pub name: String,
    /// Points: payload MiB, nanoseconds per byte.
    pub points: Vec<(f64, f64)>,
}

/// Draws nanoseconds per byte against payload size.
pub fn chart(path: &Path, series: &[Series]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let max_x = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let max_y = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.1, f64::max)
        * 1.3;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "tcplink read cost per byte (plain TCP, loopback)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..max_x * 1.05, 0.0..max_y)?;
    chart
        .configure_mesh()
        .x_desc("payload, MiB")
        .y_desc("ns per byte")
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(s.points.clone(), color.stroke_width(2)))?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart.draw_series(s.points.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
