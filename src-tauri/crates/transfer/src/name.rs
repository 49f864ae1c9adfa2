//! Safe document names: what an analyst sees and what is stored is the file's own name without
//! anything that could mislead or break a path on another system (control characters,
//! bidirectional overrides that disguise `invoice<U+202E>fdp.exe` as a PDF, separators, reserved Windows names).

/// Longest name kept, in characters (extension preserved).
pub const MAX_NAME_CHARS: usize = 200;

/// Characters removed outright: invisible formatting that can disguise a name.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' | '\u{00AD}')
}

/// Windows device names that cannot be file names there, with or without an extension.
fn is_reserved_windows(stem: &str) -> bool {
    let upper = stem.trim_end_matches([' ', '.']).to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.len() == 4
        && upper[3..]
            .chars()
            .all(|c| c.is_ascii_digit() || "¹²³".contains(c))
        && &upper[3..] != "0")
}

/// The display and storage name of a file whose own name is `raw` (which may still carry a
/// path). Never empty: a name with nothing usable left becomes `document`.
pub fn sanitize_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    // Leading dots hide a file; trailing dots and spaces vanish on Windows.
    clean = clean
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .trim()
        .to_string();
    if clean.is_empty() {
        return "document".to_string();
    }
    let stem = clean.split('.').next().unwrap_or("");
    if is_reserved_windows(stem) {
        clean = format!("_{clean}");
    }
    if clean.chars().count() > MAX_NAME_CHARS {
        let (stem, ext) = match clean.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() && e.chars().count() <= 16 => {
                (s.to_string(), format!(".{e}"))
            }
            _ => (clean.clone(), String::new()),
        };
        let keep = MAX_NAME_CHARS.saturating_sub(ext.chars().count());
        clean = stem.chars().take(keep).collect::<String>() + &ext;
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::sanitize_name;

    #[test]
    fn names_lose_what_could_mislead_or_break_a_path() {
        assert_eq!(sanitize_name("invoice.pdf"), "invoice.pdf");
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("C:\\Users\\ann\\PoD 12.jpg"), "PoD 12.jpg");
        assert_eq!(sanitize_name("inv\u{202E}fdp.exe"), "invfdp.exe");
        assert_eq!(sanitize_name("a\u{0007}b\nc\td.txt"), "abcd.txt");
        assert_eq!(sanitize_name("what?*.csv"), "what__.csv");
        assert_eq!(sanitize_name("CON"), "_CON");
        assert_eq!(sanitize_name("com1.txt"), "_com1.txt");
        assert_eq!(sanitize_name("console.txt"), "console.txt");
        assert_eq!(sanitize_name(".hidden"), "hidden");
        assert_eq!(sanitize_name("report. . "), "report");
        assert_eq!(sanitize_name("\u{202E}\u{0000}"), "document");
        assert_eq!(sanitize_name(""), "document");
        let long = format!("{}.pdf", "x".repeat(400));
        let kept = sanitize_name(&long);
        assert_eq!(kept.chars().count(), super::MAX_NAME_CHARS);
        assert!(kept.ends_with(".pdf"));
    }
}
