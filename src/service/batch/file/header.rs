//! The header row: which column each position holds. Names are matched without regard to case,
//! surrounding spaces, or a space or dash written for the underscore (`Merchant Reference`).

use super::model::{Column, FileError, shown};

/// The column at each position of the header; `None` for a position with no name (Excel leaves
/// such positions after the last column): a value under one is a row problem.
pub(super) fn columns(cells: &[&str]) -> Result<Vec<Option<Column>>, FileError> {
    if let Some(separator) = wrong_separator(cells) {
        return Err(FileError::WrongSeparator(separator));
    }
    let mut out: Vec<Option<Column>> = Vec::with_capacity(cells.len());
    for cell in cells {
        let name = normalise(cell);
        if name.is_empty() {
            out.push(None);
            continue;
        }
        let Some(column) = Column::ALL.into_iter().find(|c| c.name() == name) else {
            return Err(FileError::UnknownColumn { name: shown(cell), suggestion: suggest(&name) });
        };
        if let Some(first) = out.iter().position(|c| *c == Some(column)) {
            return Err(FileError::DuplicateColumn {
                name: column.name(),
                first: first + 1,
                second: out.len() + 1,
            });
        }
        out.push(Some(column));
    }
    if !out.contains(&Some(Column::Operation)) {
        return Err(FileError::MissingColumn(Column::Operation.name()));
    }
    Ok(out)
}

fn normalise(name: &str) -> String {
    name.trim().to_lowercase().replace([' ', '-'], "_")
}

/// A header saved with semicolons or tabs between the columns (Excel in many European locales)
/// reads as one long name holding known ones.
fn wrong_separator(cells: &[&str]) -> Option<&'static str> {
    [(';', "semicolons"), ('\t', "tabs")].into_iter().find_map(|(sep, words)| {
        let holds_known = cells.iter().any(|cell| {
            cell.contains(sep)
                && cell.split(sep).any(|part| Column::ALL.iter().any(|c| c.name() == normalise(part)))
        });
        holds_known.then_some(words)
    })
}

/// The known column a mistyped name most likely meant: one that contains it or is contained in
/// it (`email`, `amount_sar`), else one at most two edits away (`ammount`).
fn suggest(name: &str) -> Option<&'static str> {
    let names = Column::ALL.map(Column::name);
    let by_part =
        names.iter().find(|known| name.len() >= 5 && (known.contains(name) || name.contains(*known)));
    if let Some(found) = by_part {
        return Some(found);
    }
    names
        .iter()
        .map(|known| (edit_distance(name, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance over characters, with one row of memory.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("ammount"), Some("amount"));
        assert_eq!(suggest("email"), Some("customer_email"));
        assert_eq!(suggest("curency"), Some("currency"));
        assert_eq!(suggest("token"), Some("token_name"));
        assert_eq!(suggest("colour"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
