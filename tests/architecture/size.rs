//! Size rules: files under 500 lines, functions under 80, so every file reads in one sitting
//! and every function does one step.

use super::files_under;
use super::paths::{is_ident, strip};
use std::path::{Path, PathBuf};

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

/// Every `fn` item with a body, wherever it is (top level, impl, trait, nested module, inside
/// another function), found by matching braces in the code outside comments and literals.
fn functions(text: &str) -> Vec<FnSpan> {
    let c: Vec<char> = strip(text).chars().collect();
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
