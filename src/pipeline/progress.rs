//! The progress bar: on a terminal by default, never when piped or with `-q`. Its
//! rate and ETA come from the last [`WINDOW`], not from the run's start (a run that
//! slowed down or sped up shows what it does now). With `--progress always` and no
//! terminal (a cron log), a plain line at most every [`PLAIN_EVERY`].

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::outcome::Outcome;

/// The rate and ETA are measured over this much recent time.
const WINDOW: Duration = Duration::from_secs(10);
/// A rate over less than this is not shown.
const MIN_SPAN: Duration = Duration::from_secs(1);
/// Samples of the position are kept at most this often.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// Plain lines (no terminal) at most this often.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

enum Display {
    Bar(ProgressBar),
    /// Lines on stderr, for logs.
    Plain,
}

pub struct Progress {
    display: Option<Display>,
    total: Option<u64>,
    unit: String,
    state: Mutex<Recent>,
}

struct Recent {
    pos: u64,
    /// (when, position), oldest first, spanning a little over [`WINDOW`].
    samples: VecDeque<(Instant, u64)>,
    last_problem: Option<&'static str>,
    last_plain: Option<Instant>,
}

impl Progress {
    pub fn new(mode: ProgressMode, quiet: bool, total: Option<u64>, unit: &str) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let display = match mode {
            ProgressMode::Never => None,
            ProgressMode::Auto if quiet || !terminal => None,
            ProgressMode::Always if !terminal => Some(Display::Plain),
            ProgressMode::Auto | ProgressMode::Always => {
                let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
                let template = if total.is_some() {
                    format!("{{wide_bar}} {{pos}}/{{len}} {unit} {{msg}}")
                } else {
                    format!("{{spinner}} {{pos}} {unit} {{elapsed}} {{msg}}")
                };
                if let Ok(style) = ProgressStyle::with_template(&template) {
                    bar.set_style(style);
                }
                Some(Display::Bar(bar))
            }
        };
        Progress {
            display,
            total,
            unit: unit.to_string(),
            state: Mutex::new(Recent {
                pos: 0,
                samples: VecDeque::from([(Instant::now(), 0)]),
                last_problem: None,
                last_plain: None,
            }),
        }
    }

    pub fn row_done(&self, outcome: &Outcome) {
        let problem = (!outcome.is_done()).then(|| outcome.status.as_str());
        self.advance(1, problem);
    }

    pub fn inc(&self, n: u64) {
        self.advance(n, None);
    }

    fn advance(&self, n: u64, problem: Option<&'static str>) {
        let Some(display) = &self.display else {
            return;
        };
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.pos = s.pos.saturating_add(n);
        if problem.is_some() {
            s.last_problem = problem;
        }
        if let Display::Bar(bar) = display {
            bar.inc(n);
        }
        let last = s.samples.back().map_or(now, |&(t, _)| t);
        if now.saturating_duration_since(last) < SAMPLE_EVERY {
            return;
        }
        let pos = s.pos;
        s.samples.push_back((now, pos));
        // Keep one sample at or beyond the window's start as its baseline.
        while s.samples.len() > 2
            && s.samples
                .get(1)
                .is_some_and(|&(t, _)| now.saturating_duration_since(t) >= WINDOW)
        {
            s.samples.pop_front();
        }
        let rate = recent_rate(&s.samples);
        let mut text = status_text(pos, self.total, rate);
        if let Some(p) = s.last_problem {
            text.push_str(&format!(", last problem: {p}"));
        }
        match display {
            Display::Bar(bar) => bar.set_message(text),
            Display::Plain => {
                if s.last_plain
                    .is_none_or(|t| now.saturating_duration_since(t) >= PLAIN_EVERY)
                {
                    s.last_plain = Some(now);
                    let done = match self.total {
                        Some(total) => format!("{pos}/{total}"),
                        None => pos.to_string(),
                    };
                    let _ = writeln!(std::io::stderr(), "progress: {done} {} {text}", self.unit);
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(Display::Bar(bar)) = &self.display {
            bar.finish_and_clear();
        }
    }
}

/// Rows per second between the oldest and newest sample, when they span at least [`MIN_SPAN`].
fn recent_rate(samples: &VecDeque<(Instant, u64)>) -> Option<f64> {
    let (&(t0, p0), &(t1, p1)) = (samples.front()?, samples.back()?);
    let span = t1.saturating_duration_since(t0);
    (span >= MIN_SPAN).then(|| p1.saturating_sub(p0) as f64 / span.as_secs_f64())
}

/// `29.5/s, eta 1m 05s`: one decimal, the ETA from the recent rate.
fn status_text(done: u64, total: Option<u64>, rate: Option<f64>) -> String {
    let Some(rate) = rate else {
        return "measuring rate".into();
    };
    let mut text = format!("{rate:.1}/s");
    if let Some(total) = total {
        let left = total.saturating_sub(done);
        if left == 0 {
        } else if rate > 0.0 {
            text.push_str(&format!(", eta {}", eta_text(left as f64 / rate)));
        } else {
            text.push_str(", eta unknown (nothing done recently)");
        }
    }
    text
}

fn eta_text(secs: f64) -> String {
    let secs = if secs.is_finite() {
        secs.ceil().min(1e9) as u64
    } else {
        u64::MAX
    };
    match secs {
        s if s >= 360_000 => "over 100 h".into(),
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_the_recent_window_with_one_decimal_and_the_eta_follows_it() {
        let t = Instant::now();
        // 249 rows in the last 8.5 s of a run that started slowly.
        let samples = VecDeque::from([(t, 0), (t + Duration::from_millis(8500), 249)]);
        let rate = recent_rate(&samples);
        assert_eq!(status_text(249, Some(2000), rate), "29.3/s, eta 1m 00s");
        assert_eq!(status_text(10, Some(2000), Some(404.809_3)), "404.8/s, eta 5s");
        assert_eq!(status_text(2000, Some(2000), Some(20.0)), "20.0/s");
        assert_eq!(status_text(5, None, Some(3.25)), "3.2/s");
        // Under a second of samples: no rate yet.
        let short = VecDeque::from([(t, 0), (t + Duration::from_millis(300), 40)]);
        assert_eq!(status_text(40, Some(100), recent_rate(&short)), "measuring rate");
        assert_eq!(eta_text(7300.0), "2h 01m");
        assert_eq!(eta_text(f64::INFINITY), "over 100 h");
        assert!(status_text(1, Some(9), Some(0.0)).contains("eta unknown"));
    }
}
