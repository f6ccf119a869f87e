//! Word documents: docx (zip + XML), odt, rtf.
use super::{Emit, ExtractError, Input, Limits, Result};

pub fn extract(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("docx: not yet supported".into()))
}
pub fn extract_odt(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("odt: not yet supported".into()))
}
pub fn extract_rtf(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("rtf: not yet supported".into()))
}
