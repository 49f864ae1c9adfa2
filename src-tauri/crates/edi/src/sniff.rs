//! Content kinds that are not EDI, told by their first bytes (magic numbers for PDF and images,
//! a look at the text for XML and CSV), never by the file name, which a partner may get wrong.

use serde::Serialize;

/// What a file's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Content {
    /// ANSI X12 (starts with ISA).
    X12,
    /// UN/EDIFACT (starts with UNA, UNB or UNH).
    Edifact,
    /// PDF (`%PDF-`).
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// GIF image.
    Gif,
    /// TIFF image (scanned documents).
    Tiff,
    /// XML (a declaration or a root element).
    Xml,
    /// Delimited text: lines with the same number of commas, semicolons or tabs.
    Csv,
    /// Other text.
    Text,
    /// Other bytes.
    Binary,
    /// No bytes at all.
    Empty,
}

impl Content {
    /// The name an analyst reads.
    pub fn label(self) -> &'static str {
        match self {
            Content::X12 => "X12",
            Content::Edifact => "EDIFACT",
            Content::Pdf => "PDF",
            Content::Png => "PNG image",
            Content::Jpeg => "JPEG image",
            Content::Gif => "GIF image",
            Content::Tiff => "TIFF image",
            Content::Xml => "XML",
            Content::Csv => "CSV",
            Content::Text => "text",
            Content::Binary => "binary",
            Content::Empty => "empty",
        }
    }

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Content::X12 => "application/edi-x12",
            Content::Edifact => "application/edifact",
            Content::Pdf => "application/pdf",
            Content::Png => "image/png",
            Content::Jpeg => "image/jpeg",
            Content::Gif => "image/gif",
            Content::Tiff => "image/tiff",
            Content::Xml => "application/xml",
            Content::Csv => "text/csv",
            Content::Text => "text/plain",
            Content::Binary | Content::Empty => "application/octet-stream",
        }
    }
}

/// How much of the start is looked at for text kinds.
const TEXT_WINDOW: usize = 8192;

pub(crate) fn sniff(bytes: &[u8]) -> Content {
    if bytes.is_empty() {
        return Content::Empty;
    }
    if bytes.starts_with(b"%PDF-") {
        return Content::Pdf;
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Content::Png;
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Content::Jpeg;
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Content::Gif;
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Content::Tiff;
    }
    let window = &bytes[..bytes.len().min(TEXT_WINDOW)];
    let body = &window[crate::scan::bom_len(window)..];
    // A multi-byte character may be cut at the window's end.
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() && bytes.len() > TEXT_WINDOW => {
            std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return Content::Binary,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
    {
        return Content::Binary;
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with("<?xml")
        || (trimmed.starts_with('<')
            && trimmed[1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '!'))
    {
        return Content::Xml;
    }
    if is_delimited(text, bytes.len() > TEXT_WINDOW) {
        return Content::Csv;
    }
    Content::Text
}

/// Two or more lines with the same, non-zero number of one delimiter (quoted fields aside).
fn is_delimited(text: &str, cut: bool) -> bool {
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if cut && lines.len() > 2 {
        lines.pop();
    }
    if lines.len() < 2 {
        return false;
    }
    [',', ';', '\t', '|'].iter().any(|&d| {
        let first = fields(lines[0], d);
        first > 0 && lines.iter().all(|l| fields(l, d) == first)
    })
}

fn fields(line: &str, delimiter: char) -> usize {
    let mut quoted = false;
    let mut count = 0;
    for c in line.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if c == delimiter && !quoted {
            count += 1;
        }
    }
    count
}
