//! The one-way dependency rule of ARCHITECTURE.md, checked by reading the `use` lines (and any
//! other path mention) of every source file.

use std::path::{Path, PathBuf};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Lines of code that name a path, comments skipped.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(path)
        .expect("source is UTF-8")
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with("//")
        })
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect()
}

fn assert_module_avoids(module: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(module);
    let mut problems = Vec::new();
    for file in files_under(&root) {
        for (n, line) in code_lines(&file) {
            for f in forbidden {
                if line.contains(f) {
                    problems.push(format!("{}:{n}: uses {f}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "`{module}` must not depend on these:\n{}", problems.join("\n"));
}

const LAYERS: [&str; 7] = ["gateway", "journal", "vault", "service", "sim", "ui", "cli"];

fn crate_paths(modules: &[&str]) -> Vec<String> {
    modules.iter().flat_map(|m| [format!("crate::{m}"), format!("super::super::{m}")]).collect()
}

#[test]
fn aps_is_pure() {
    let mut forbidden: Vec<String> = crate_paths(&LAYERS);
    forbidden.extend(
        [
            "tokio",
            "reqwest",
            "egui",
            "eframe",
            "keyring",
            "rusqlite",
            "std::fs",
            "std::net",
            "hyper",
            "SystemTime::now",
            "Utc::now",
            "Local::now",
        ]
        .map(String::from),
    );
    let refs: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    assert_module_avoids("aps", &refs);
}

#[test]
fn edges_depend_only_on_aps() {
    for module in ["gateway", "journal", "vault", "sim"] {
        let others: Vec<&str> = LAYERS.iter().copied().filter(|m| *m != module).collect();
        let mut forbidden = crate_paths(&others);
        forbidden.extend(["egui", "eframe"].map(String::from));
        let refs: Vec<&str> = forbidden.iter().map(String::as_str).collect();
        assert_module_avoids(module, &refs);
    }
}

#[test]
fn service_never_touches_egui() {
    let mut forbidden = crate_paths(&["ui", "cli", "sim"]);
    forbidden.extend(["egui", "eframe", "rfd::"].map(String::from));
    let refs: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    assert_module_avoids("service", &refs);
}

#[test]
fn ui_talks_only_to_the_service() {
    let forbidden = [
        "crate::gateway",
        "crate::journal",
        "crate::vault",
        "crate::aps::sign",
        "crate::sim",
        "reqwest",
        "rusqlite",
        "keyring",
    ];
    assert_module_avoids("ui", &forbidden);
}

#[test]
fn cli_uses_the_service_not_its_parts() {
    let forbidden = ["crate::gateway", "crate::journal", "keyring", "rusqlite", "reqwest"];
    assert_module_avoids("cli", &forbidden);
}

#[test]
fn files_is_a_leaf() {
    // Owner-only file helpers every layer may use, so they may use no layer themselves.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("files.rs");
    let uses: Vec<String> = code_lines(&path)
        .into_iter()
        .filter(|(_, l)| l.contains("crate::") || (l.contains("super::") && l.trim() != "use super::*;"))
        .map(|(n, l)| format!("{}:{n}: {}", path.display(), l.trim()))
        .collect();
    assert!(uses.is_empty(), "`files` must not depend on the rest of the crate:\n{}", uses.join("\n"));
}

// Size rules: files under 500 lines, functions under 80 (issue 14).

/// Folders of `src` the size rules skip for now, as whole paths from the crate root (`src/ui`
/// skips `src/ui/...`, never `src/ui_extra.rs`). Empty this when the UI rewrite is done.
const NOT_YET_CHECKED: &[&str] = &["src/ui"];

const MAX_FILE_LINES: usize = 500;
const MAX_FN_LINES: usize = 80;

/// Every source file under `src` the size rules check: its path from the crate root, its text.
fn checked_sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<(PathBuf, String)> = files_under(&root.join("src"))
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source is UTF-8");
            (path.strip_prefix(root).expect("under the crate").to_path_buf(), text)
        })
        .filter(|(path, _)| !NOT_YET_CHECKED.iter().any(|skip| path.starts_with(skip)))
        .collect();
    out.sort();
    out
}

#[test]
fn no_source_file_is_over_500_lines() {
    let long: Vec<String> = checked_sources()
        .iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|(_, n)| *n > MAX_FILE_LINES)
        .map(|(path, n)| format!("{}: {n} lines", path.display()))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines: split them into submodules along their seams:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_function_is_over_80_lines() {
    let mut long = Vec::new();
    for (path, text) in checked_sources() {
        for f in functions(&text).into_iter().filter(|f| f.lines > MAX_FN_LINES) {
            long.push(format!("{}:{}: fn {} has {} lines", path.display(), f.line, f.name, f.lines));
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines: split them along their steps:\n{}",
        long.join("\n")
    );
}

/// A function with a body: its name, the line of its `fn` keyword, and how many lines it spans
/// from there to its closing brace.
#[derive(Debug, PartialEq)]
struct FnSpan {
    name: String,
    line: usize,
    lines: usize,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The source with comments, strings and character literals blanked (newlines kept), so that
/// braces and `fn` inside them are not read as code. Lifetimes are left alone.
fn code_only(text: &str) -> Vec<char> {
    let c: Vec<char> = text.chars().collect();
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    let mut out = c.clone();
    let mut i = 0;
    while i < c.len() {
        let start = i;
        let raw_prefix = at(i) == 'r'
            && (i == 0 || !is_ident(c[i - 1]) || (c[i - 1] == 'b' && (i < 2 || !is_ident(c[i - 2]))));
        let hashes = if raw_prefix { c[i + 1..].iter().take_while(|h| **h == '#').count() } else { 0 };
        let end = if at(i) == '/' && at(i + 1) == '/' {
            (i..c.len()).find(|k| c[*k] == '\n').unwrap_or(c.len())
        } else if at(i) == '/' && at(i + 1) == '*' {
            let (mut depth, mut k) = (0usize, i);
            while k < c.len() {
                if at(k) == '/' && at(k + 1) == '*' {
                    depth += 1;
                    k += 2;
                } else if at(k) == '*' && at(k + 1) == '/' {
                    depth -= 1;
                    k += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    k += 1;
                }
            }
            k
        } else if raw_prefix && at(i + 1 + hashes) == '"' {
            let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let from = i + 2 + hashes;
            (from..c.len()).find(|k| c[*k..].starts_with(&close)).map_or(c.len(), |k| k + close.len())
        } else if at(i) == '"' {
            let mut k = i + 1;
            while k < c.len() && c[k] != '"' {
                k += if c[k] == '\\' { 2 } else { 1 };
            }
            k + 1
        } else if at(i) == '\'' && at(i + 1) == '\\' {
            (i + 3..c.len()).find(|k| c[*k] == '\'').map_or(c.len(), |k| k + 1)
        } else if at(i) == '\'' && at(i + 2) == '\'' {
            i + 3
        } else {
            i += 1;
            continue;
        };
        let end = end.min(c.len());
        for ch in &mut out[start..end] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        i = end.max(start + 1);
    }
    out
}

/// Every `fn` item with a body, wherever it is (top level, impl, trait, nested module, inside
/// another function), found by matching braces in the code outside comments and literals.
fn functions(text: &str) -> Vec<FnSpan> {
    let c = code_only(text);
    let line_of = |k: usize| c[..k].iter().filter(|ch| **ch == '\n').count() + 1;
    let mut found = Vec::new();
    for i in 0..c.len().saturating_sub(3) {
        let keyword = c[i] == 'f' && c[i + 1] == 'n' && c[i + 2].is_whitespace();
        if !keyword || (i > 0 && is_ident(c[i - 1])) {
            continue;
        }
        let mut k = i + 2;
        while k < c.len() && c[k].is_whitespace() {
            k += 1;
        }
        let name: String = c[k..].iter().take_while(|ch| is_ident(**ch)).collect();
        if name.is_empty() || name.starts_with(|ch: char| ch.is_ascii_digit()) {
            continue; // `fn(u8) -> u8`, a pointer type, or `fn $name` in a macro
        }
        // The body starts at the first `{` outside parentheses and brackets; a `;` first means
        // a declaration without one.
        let mut depth = 0i32;
        let open = (k..c.len()).find(|j| {
            match c[*j] {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                _ => {}
            }
            depth == 0 && (c[*j] == '{' || c[*j] == ';')
        });
        let Some(open) = open.filter(|o| c[*o] == '{') else { continue };
        let mut braces = 0i32;
        let close = (open..c.len()).find(|j| {
            match c[*j] {
                '{' => braces += 1,
                '}' => braces -= 1,
                _ => {}
            }
            braces == 0
        });
        let end = close.unwrap_or(c.len() - 1);
        found.push(FnSpan { name, line: line_of(i), lines: line_of(end) - line_of(i) + 1 });
    }
    found
}

#[test]
fn the_function_scan_finds_methods_nested_functions_and_ignores_literals() {
    let source = r##"mod outer {
    impl Thing {
        pub(crate) async fn method(&self) -> [u8; 1] {
            let s = "} fn in_a_string() {"; let c = '}'; let e = '\'';
            let r = r#"fn in_a_raw_string() { }"#;
            // fn in_a_comment() {
            /* } /* nested */ { */
            fn inner() -> fn(u8) -> u8 { |x| x }
            [0]
        }
    }
    mod inner {
        fn nested<'a>(x: &'a str) -> &'a str { x }
    }
}
trait T {
    fn declared(&self) -> [u8; 2];
    fn defaulted(&self) {}
}
const fn generic<T>(x: T) -> T
where
    T: Fn(u8),
{
    x
}
"##;
    let found: Vec<(String, usize, usize)> =
        functions(source).into_iter().map(|f| (f.name, f.line, f.lines)).collect();
    let expected =
        [("method", 3, 8), ("inner", 8, 1), ("nested", 13, 1), ("defaulted", 18, 1), ("generic", 20, 6)];
    let expected: Vec<(String, usize, usize)> =
        expected.iter().map(|(n, line, lines)| ((*n).to_owned(), *line, *lines)).collect();
    assert_eq!(found, expected);
}

#[test]
fn the_skip_list_matches_whole_paths() {
    let skips = |path: &str| NOT_YET_CHECKED.iter().any(|skip| Path::new(path).starts_with(skip));
    for skip in NOT_YET_CHECKED {
        assert!(skips(&format!("{skip}/mod.rs")), "{skip}");
        assert!(!skips(&format!("{skip}_extra.rs")), "{skip}");
        assert!(!skips(&format!("{skip}x/mod.rs")), "{skip}");
    }
    assert!(!skips("src/service/mod.rs"));
}
