//! The quick run's gate: ratios measured at small sizes on a noisy machine, each held to a margin
//! looser than its target, so that CI stops a landing on a regression and not on noise. The
//! margins were chosen from repeated quick runs on the 2-core CI machine, with slack beyond the
//! worst of them (see the commit that set them).

use std::fmt;

/// One ratio and the bound it must keep.
pub struct Check {
    name: &'static str,
    value: f64,
    bound: Bound,
}

enum Bound {
    AtLeast(f64),
    AtMost(f64),
}

impl Check {
    /// `value` must be at least `limit`.
    pub fn at_least(name: &'static str, value: f64, limit: f64) -> Check {
        Check {
            name,
            value,
            bound: Bound::AtLeast(limit),
        }
    }

    /// `value` must be at most `limit`.
    pub fn at_most(name: &'static str, value: f64, limit: f64) -> Check {
        Check {
            name,
            value,
            bound: Bound::AtMost(limit),
        }
    }

    /// Whether the value keeps its bound.
    pub fn passed(&self) -> bool {
        match self.bound {
            Bound::AtLeast(limit) => self.value >= limit,
            Bound::AtMost(limit) => self.value <= limit,
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (op, limit) = match self.bound {
            Bound::AtLeast(limit) => (">=", limit),
            Bound::AtMost(limit) => ("<=", limit),
        };
        let verdict = if self.passed() { "ok" } else { "FAILED" };
        write!(
            f,
            "{}: {:.2} (quick-run margin {op} {limit:.2}) {verdict}",
            self.name, self.value
        )
    }
}
