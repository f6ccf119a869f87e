//! PDF text via lopdf, one segment per page.
use super::{Emit, ExtractError, Input, Limits, Result};

pub fn extract(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("pdf: not yet supported".into()))
}
