//! Map reports.
