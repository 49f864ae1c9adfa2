//! Byte helpers both standards share: the byte order mark, blank space between segments, tags,
//! and showing a few bytes of a broken file in an error without flooding it.

/// Length of a UTF-8 byte order mark at the start, or 0.
pub(crate) fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    }
}

/// The first position at or after `from` that is not a line break, space or tab.
pub(crate) fn skip_blank(bytes: &[u8], mut from: usize) -> usize {
    while let Some(b) = bytes.get(from) {
        if matches!(b, b'\r' | b'\n' | b' ' | b'\t') {
            from += 1;
        } else {
            break;
        }
    }
    from
}

/// `seg` without line breaks at its end (a CRLF file whose terminator is `\n`, or `~\r\n`).
pub(crate) fn trim_line_end(mut seg: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = seg {
        seg = rest;
    }
    seg
}

/// True for a plausible segment tag: 2 or 3 upper-case letters or digits, starting with a letter.
pub(crate) fn is_tag(tag: &[u8]) -> bool {
    (2..=3).contains(&tag.len())
        && tag[0].is_ascii_uppercase()
        && tag
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Up to 24 bytes shown in an error, non-printable bytes as `\xNN`.
pub(crate) fn show(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(24) {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    if bytes.len() > 24 {
        out.push('…');
    }
    out
}

/// Text of an element: lossy UTF-8 with surrounding spaces removed (ISA ids are padded).
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

/// A separator shown in an error.
pub(crate) fn sep_name(b: u8) -> String {
    match b {
        b'\n' => "line feed".to_owned(),
        b'\r' => "carriage return".to_owned(),
        b' ' => "space".to_owned(),
        _ => show(&[b]),
    }
}
