//! CSV and other delimited text. Each cell is a segment located `row R, col
//! Header` (rows count from 1, the header row being row 1) with the column's
//! header passed to detection as context.

use super::text::{decode_line, text_stream};
use super::{Emit, ExtractError, Input, Limits, Result, Segment};

pub fn extract(input: &Input<'_>, delimiter: u8, emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text_stream(input)?);
    let mut headers: Vec<String> = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut row = 0u64;
    let mut location = String::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if e.is_io_error() => {
                return Err(match e.into_kind() {
                    csv::ErrorKind::Io(io) => ExtractError::Io(io),
                    other => ExtractError::corrupt("csv", format!("{other:?}")),
                });
            }
            Err(e) => return Err(ExtractError::corrupt("csv", e)),
        }
        row += 1;
        for (i, field) in record.iter().enumerate() {
            let value = decode_line(field);
            if row == 1 {
                headers.push(value.trim().to_string());
            }
            if value.trim().is_empty() {
                continue;
            }
            let header = headers.get(i).map(String::as_str).filter(|h| !h.is_empty() && row > 1);
            location.clear();
            location.push_str("row ");
            location.push_str(itoa::Buffer::new().format(row));
            location.push_str(", col ");
            match header {
                Some(h) => location.push_str(h),
                None => location.push_str(itoa::Buffer::new().format(i + 1)),
            }
            emit.segment(Segment::fixed(&location, &value, header));
        }
    }
    reader.get_ref().warn_if_cut(input.size(), emit);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Collect;

    #[test]
    fn cells_carry_headers() {
        let data = b"First name,Surname,DOB\nJane,\"Roberts, Jnr\",12/03/1985\n,,\nPriya,Patel\n";
        let mut c = Collect::default();
        extract(&Input::Bytes(data), b',', &mut c, &Limits::default()).unwrap();
        let find = |loc: &str| c.segments.iter().find(|s| s.0 == loc).cloned().unwrap();
        assert_eq!(find("row 2, col Surname").1, "Roberts, Jnr");
        assert_eq!(find("row 2, col Surname").2.as_deref(), Some("Surname"));
        assert_eq!(find("row 2, col DOB").1, "12/03/1985");
        assert_eq!(find("row 4, col First name").1, "Priya");
        assert_eq!(find("row 1, col 2").1, "Surname");
    }
}
