//! The progress bar: on a terminal by default, never when piped or with `-q`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::outcome::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(mode: ProgressMode, quiet: bool, total: Option<u64>, unit: &str) -> Progress {
        let show = match mode {
            ProgressMode::Always => true,
            ProgressMode::Never => false,
            ProgressMode::Auto => !quiet && std::io::stderr().is_terminal(),
        };
        if !show {
            return Progress { bar: None };
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            format!("{{wide_bar}} {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}} {{msg}}")
        } else {
            format!("{{spinner}} {{pos}} {unit} {{per_sec}} {{elapsed}} {{msg}}")
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress { bar: Some(bar) }
    }

    pub fn row_done(&self, outcome: &Outcome) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if !outcome.status.is_done() {
                bar.set_message(format!("last problem: {}", outcome.status.as_str()));
            }
        }
    }

    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
