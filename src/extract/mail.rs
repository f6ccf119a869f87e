//! Mail: eml and mbox via mailparse; Outlook msg.
use super::{Emit, ExtractError, Input, Limits, Result};

pub fn extract_eml(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("eml: not yet supported".into()))
}
pub fn extract_mbox(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("mbox: not yet supported".into()))
}
pub fn extract_msg(_input: &Input<'_>, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("Outlook .msg: not supported".into()))
}
