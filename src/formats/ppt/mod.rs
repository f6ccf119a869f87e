//! PowerPoint 97-2003 (ppt).

use crate::formats::{Emit, ExtractError, Input, Limits, Result};

pub fn extract(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("PowerPoint 97-2003 .ppt: not supported".into()))
}
