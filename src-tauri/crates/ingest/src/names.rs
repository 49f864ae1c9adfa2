//! File names as a drop folder meets them: which names are temporary (still being written, to be
//! skipped until renamed), the display name a document gets, and the reference-like tokens a name
//! carries for routing.

/// Whether a file name is a temporary one a writer renames when done (`*.part`, `*.tmp`,
/// `*.crdownload`, `*.filepart`, Office's `~$*`, dot-files): skipped until it is renamed.
pub fn is_temporary(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || [
            ".part",
            ".tmp",
            ".partial",
            ".crdownload",
            ".filepart",
            ".download",
            "~",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

/// The name a document is shown under: the file name with control characters (newlines, tabs)
/// replaced by spaces, path separators by `_`, trimmed, at most 255 bytes on a character boundary;
/// never empty.
pub fn display_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim();
    let mut out = String::new();
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > 255 {
            break;
        }
        out.push(c);
    }
    if out.is_empty() {
        "unnamed file".to_string()
    } else {
        out
    }
}

/// The reference candidates a file name carries, most specific first: each run of letters,
/// digits, `-` and `_` (the extension removed), then its parts split on `-`/`_`, and for parts
/// after a known prefix (`PO`, `INV`, `ASN`, ...) the number alone. Only candidates with a digit
/// are kept, so words never match.
pub fn reference_tokens(name: &str) -> Vec<String> {
    let stem = match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    };
    let mut out: Vec<String> = Vec::new();
    let mut push = |token: &str| {
        let token = token.trim_matches(|c| c == '-' || c == '_');
        if token.len() >= 3
            && token.chars().any(|c| c.is_ascii_digit())
            && !out.iter().any(|t| t == token)
        {
            out.push(token.to_string());
        }
    };
    let runs: Vec<&str> = stem
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .filter(|s| !s.is_empty())
        .collect();
    for run in &runs {
        push(run);
    }
    for run in &runs {
        let parts: Vec<&str> = run.split(['-', '_']).filter(|p| !p.is_empty()).collect();
        for window in parts.windows(2) {
            push(&format!("{}-{}", window[0], window[1]));
        }
        for part in &parts {
            push(part);
            let upper = part.to_uppercase();
            for prefix in PREFIXES {
                if let Some(rest) = upper.strip_prefix(prefix) {
                    if rest.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                        push(&part[prefix.len()..]);
                    }
                }
            }
        }
    }
    out
}

/// Prefixes analysts and ERPs put before a number in file names.
const PREFIXES: [&str; 8] = ["PO", "INV", "ASN", "BOL", "SHP", "SHIP", "ORD", "CASE"];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised() {
        for name in [
            "x.part",
            "x.PDF.tmp",
            "~$report.docx",
            ".hidden",
            "a.crdownload",
        ] {
            assert!(is_temporary(name), "{name}");
        }
        for name in ["x.pdf", "part.pdf", "report.partner.csv"] {
            assert!(!is_temporary(name), "{name}");
        }
    }

    #[test]
    fn display_names_are_one_line_and_short() {
        assert_eq!(display_name("a\nb.pdf"), "a b.pdf");
        assert_eq!(display_name("../x"), ".._x");
        let long = "é".repeat(200);
        assert!(display_name(&long).len() <= 255);
        assert_eq!(display_name("\n"), "unnamed file");
    }

    #[test]
    fn tokens_find_references() {
        let t = reference_tokens("PO-4500012345_invoice INV7788.pdf");
        assert!(t.contains(&"PO-4500012345".to_string()), "{t:?}");
        assert!(t.contains(&"4500012345".to_string()), "{t:?}");
        assert!(t.contains(&"7788".to_string()), "{t:?}");
        assert!(t.contains(&"INV7788".to_string()), "{t:?}");
        assert!(!t.iter().any(|x| x == "invoice"));
        let c = reference_tokens("scan for CASE-1042.pdf");
        assert_eq!(c.first().map(String::as_str), Some("CASE-1042"));
    }
}
