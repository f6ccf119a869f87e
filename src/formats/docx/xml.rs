//! Small helpers over quick-xml shared by the docx and odt readers.

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;

/// The value of the attribute whose local name is `local`, whatever its prefix.
pub fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

/// The text an entity or character reference stands for (empty if unknown).
pub fn entity_text(r: &BytesRef<'_>) -> String {
    match r.resolve_char_ref() {
        Ok(Some(c)) => c.to_string(),
        Ok(None) => resolve_predefined_entity(r).unwrap_or("").to_string(),
        Err(_) => String::new(),
    }
}

/// The local part of a possibly prefixed name.
pub fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// One element's text content, from a flat XML part such as metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Local names from the root down to the element holding the text.
    pub path: Vec<String>,
    /// The nearest `name` attribute on the path (custom properties).
    pub name: Option<String>,
    pub text: String,
}

/// The non-blank text of every element in a small XML part, with its path.
/// A parse error ends the walk; what was read so far is returned.
pub fn fields(xml: &str) -> Vec<Field> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<(String, Option<String>)> = Vec::new();
    let mut text = String::new();
    let mut out = Vec::new();
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) => {
                flush_field(&path, &mut text, &mut out);
                path.push((local(e.name().as_ref()).to_string(), attr(&e, "name")));
            }
            Event::End(_) => {
                flush_field(&path, &mut text, &mut out);
                path.pop();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => text.push_str(&entity_text(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn flush_field(path: &[(String, Option<String>)], text: &mut String, out: &mut Vec<Field>) {
    let t = text.trim();
    if !t.is_empty() && !path.is_empty() {
        out.push(Field {
            path: path.iter().map(|p| p.0.clone()).collect(),
            name: path.iter().rev().find_map(|p| p.1.clone()),
            text: t.to_string(),
        });
    }
    text.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_carry_paths_and_names() {
        let xml = r#"<?xml version="1.0"?><Properties xmlns:vt="v"><property name="Client name"><vt:lpwstr>Jane &amp; Co</vt:lpwstr></property><Company> Hope Trust </Company></Properties>"#;
        let f = fields(xml);
        assert_eq!(f[0].path, ["Properties", "property", "lpwstr"]);
        assert_eq!(f[0].name.as_deref(), Some("Client name"));
        assert_eq!(f[0].text, "Jane & Co");
        assert_eq!(f[1].text, "Hope Trust");
    }
}
