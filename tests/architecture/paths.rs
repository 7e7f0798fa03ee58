//! Reads the paths a source file names, as the compiler would see them: comments and string
//! literals are blanked, `use` trees are expanded (`use crate::{a, b::c}` names `crate::a` and
//! `crate::b::c`), and `self::` / `super::` are resolved against the file's own module. Rules
//! then match whole path segments, so `crate::sim` never matches `crate::simulator` and a word
//! in a comment or a message never counts.

use std::path::Path;

/// One path named by a file, with the line it is on.
pub struct Named {
    pub line: usize,
    pub segments: Vec<String>,
}

impl Named {
    pub fn text(&self) -> String {
        self.segments.join("::")
    }

    /// True when `pattern` ("crate::journal", "tokio", "Utc::now") occurs in the path as whole
    /// consecutive segments.
    pub fn names(&self, pattern: &str) -> bool {
        let wanted: Vec<&str> = pattern.split("::").collect();
        self.segments.windows(wanted.len()).any(|w| w.iter().zip(&wanted).all(|(a, b)| a == b))
    }
}

/// The module a file under `src` is: `src/ui/screens/order/desk.rs` is
/// `crate::ui::screens::order::desk`; `mod.rs`, `lib.rs` and `main.rs` are their folder's.
pub fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("the file is under src");
    let mut module = vec!["crate".to_owned()];
    for part in relative.iter() {
        let part = part.to_string_lossy();
        let name = part.strip_suffix(".rs").unwrap_or(&part);
        if !matches!(name, "mod" | "lib" | "main") {
            module.push(name.to_owned());
        }
    }
    module
}

/// The source with comments, strings and character literals blanked (newlines kept), so that
/// braces and `fn` inside them are not read as code. Lifetimes are left alone.
pub fn strip(text: &str) -> String {
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
    out.into_iter().collect()
}

pub fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path in `code` (already stripped): `use` trees expanded, other `a::b` paths as they
/// stand. Relative paths are not resolved here.
fn raw_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let chars: Vec<char> = code.chars().collect();
    let mut lines = Vec::with_capacity(chars.len());
    let mut line = 1;
    for c in &chars {
        lines.push(line);
        if *c == '\n' {
            line += 1;
        }
    }
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]);
        if starts_word && chars[i..].starts_with(&['u', 's', 'e', ' ']) {
            let start = i + 4;
            let end = (start..chars.len()).find(|k| chars[*k] == ';').unwrap_or(chars.len());
            let tree: String = chars[start..end].iter().collect();
            found.extend(expand(&tree, &[]).into_iter().map(|path| (lines[start], path)));
            i = end;
        } else if starts_word && is_ident(chars[i]) {
            let (path, end) = path_at(&chars, i);
            if path.len() > 1 {
                found.push((lines[i], path));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// The `a::b::c` path starting at `start`, and where it ends.
fn path_at(chars: &[char], start: usize) -> (Vec<String>, usize) {
    let mut k = start;
    let mut path = Vec::new();
    loop {
        let s = k;
        while k < chars.len() && is_ident(chars[k]) {
            k += 1;
        }
        path.push(chars[s..k].iter().collect::<String>());
        let more = chars.get(k) == Some(&':') && chars.get(k + 1) == Some(&':');
        if more && chars.get(k + 2).is_some_and(|c| is_ident(*c)) {
            k += 2;
        } else {
            return (path, k);
        }
    }
}

/// Expands a use tree (`crate::{a, b::{c, d as e}}`) under `prefix` into full paths.
fn expand(tree: &str, prefix: &[String]) -> Vec<Vec<String>> {
    let tree = tree.trim();
    let tree = tree.strip_prefix("pub").map_or(tree, str::trim_start);
    if let Some(open) = tree.find('{') {
        let head: Vec<String> =
            tree[..open].split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base: Vec<String> = prefix.iter().cloned().chain(head).collect();
        return split_top(inner).iter().flat_map(|item| expand(item, &base)).collect();
    }
    let path = tree.split(" as ").next().unwrap_or("").trim();
    if path.is_empty() {
        return Vec::new();
    }
    let mut full = prefix.to_vec();
    for segment in path.split("::").map(str::trim) {
        if segment != "self" || full.is_empty() {
            full.push(segment.to_owned());
        }
    }
    vec![full]
}

/// Splits `a, b::{c, d}, e` at its top-level commas.
fn split_top(list: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// `self::x` and `super::x` made absolute from `module`; other paths as they stand.
fn resolve(module: &[String], path: Vec<String>) -> Vec<String> {
    match path.first().map(String::as_str) {
        Some("self") => module.iter().cloned().chain(path.into_iter().skip(1)).collect(),
        Some("super") => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            let keep = module.len().saturating_sub(ups).max(1);
            module[..keep].iter().cloned().chain(path.into_iter().skip(ups)).collect()
        }
        _ => path,
    }
}

/// Every path `file` names, resolved, with its line.
pub fn paths_named(src: &Path, file: &Path) -> Vec<Named> {
    let module = module_of(src, file);
    let code = strip(&std::fs::read_to_string(file).expect("source is UTF-8"));
    raw_paths(&code)
        .into_iter()
        .map(|(line, path)| Named { line, segments: resolve(&module, path) })
        .collect()
}

#[test]
fn paths_are_read_as_the_compiler_reads_them() {
    let code = strip(
        "use crate::{journal, ui::{env::Env, theme as t}};\n// crate::sim in a comment\nlet s = \"crate::vault\";\nlet c = '\"'; let d = super::super::gateway::send();\n",
    );
    let found: Vec<String> = raw_paths(&code)
        .into_iter()
        .map(|(line, p)| {
            format!(
                "{line}:{}",
                resolve(&["crate".into(), "ui".into(), "screens".into(), "x".into()], p).join("::")
            )
        })
        .collect();
    assert_eq!(
        found,
        ["1:crate::journal", "1:crate::ui::env::Env", "1:crate::ui::theme", "4:crate::ui::gateway::send"]
    );
    let named = Named { line: 1, segments: vec!["crate".into(), "simulator".into()] };
    assert!(!named.names("crate::sim"), "whole segments only");
    assert!(named.names("crate::simulator"));
}
