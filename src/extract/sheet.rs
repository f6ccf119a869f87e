//! Spreadsheets via calamine: xlsx, xlsm, xls, ods.
use super::{Emit, ExtractError, Input, Kind, Limits, Result};

pub fn extract(_input: &Input<'_>, _kind: Kind, _emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    Err(ExtractError::Skipped("spreadsheets: not yet supported".into()))
}
