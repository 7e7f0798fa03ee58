//! A small PDF page writer for receipts and reports: lines of text top to bottom on A4 pages,
//! in egui's own fonts embedded (subset) into the file. The text keeps a Unicode map, so tools
//! such as `pdftotext` find the reference and the amounts in it.

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::{Page, PageSettings};
use krilla::text::{Font, TextDirection};

/// A4 in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// How a line is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Title,
    Heading,
    Body,
    /// Monospaced, so columns padded with spaces line up.
    Table,
    /// Small print at the foot of a receipt.
    Small,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Title => 18.0,
            Style::Heading => 12.5,
            Style::Body => 10.5,
            Style::Table => 8.6,
            Style::Small => 8.5,
        }
    }
}

/// One thing on a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Line(Style, String),
    /// A label and its value in two columns.
    Pair(String, String),
    /// A thin horizontal rule.
    Rule,
    Gap,
}

/// Why a PDF could not be made (a font that would not load or embed: a build defect, not bad
/// input).
#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be written: {0}")]
pub struct PdfError(String);

/// Lays out the blocks on as many A4 pages as they need and returns the PDF file.
///
/// # Errors
/// A font that does not load or embed.
pub fn render(title: &str, blocks: &[Block]) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .creator(format!("moto-terminal {}", env!("CARGO_PKG_VERSION"))),
    );
    let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| PdfError("page size".into()))?;
    let mut pages = paginate(blocks);
    if pages.is_empty() {
        pages.push(Vec::new());
    }
    for page_blocks in pages {
        let mut page = document.start_page_with(settings.clone());
        draw_page(&mut page, &fonts, &page_blocks);
        page.finish();
    }
    document.finish().map_err(|e| PdfError(format!("{e:?}")))
}

struct Fonts {
    text: Font,
    mono: Font,
}

impl Fonts {
    fn load() -> Result<Self, PdfError> {
        let load = |bytes: &'static [u8], name: &str| {
            Font::new(bytes.into(), 0).ok_or_else(|| PdfError(format!("the {name} font did not load")))
        };
        Ok(Self {
            text: load(epaint_default_fonts::UBUNTU_LIGHT, "Ubuntu")?,
            mono: load(epaint_default_fonts::HACK_REGULAR, "Hack")?,
        })
    }
}

fn height(block: &Block) -> f32 {
    match block {
        Block::Line(style, _) => style.size() * 1.45,
        Block::Pair(..) => Style::Body.size() * 1.6,
        Block::Rule => 10.0,
        Block::Gap => 10.0,
    }
}

/// Splits the blocks into pages, each no taller than the space between the margins.
fn paginate(blocks: &[Block]) -> Vec<Vec<Block>> {
    let room = HEIGHT - 2.0 * MARGIN;
    let mut pages = Vec::new();
    let mut current = Vec::new();
    let mut used = 0.0;
    for block in blocks {
        let h = height(block);
        if used + h > room && !current.is_empty() {
            pages.push(std::mem::take(&mut current));
            used = 0.0;
        }
        used += h;
        current.push(block.clone());
    }
    if !current.is_empty() {
        pages.push(current);
    }
    pages
}

fn draw_page(page: &mut Page<'_>, fonts: &Fonts, blocks: &[Block]) {
    let mut surface = page.surface();
    let mut y = MARGIN;
    for block in blocks {
        let h = height(block);
        let baseline = y + h * 0.75;
        match block {
            Block::Line(style, text) => {
                let font = if *style == Style::Table { &fonts.mono } else { &fonts.text };
                surface.draw_text(
                    Point::from_xy(MARGIN, baseline),
                    font.clone(),
                    style.size(),
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
            Block::Pair(label, value) => {
                for (x, text) in [(MARGIN, label), (MARGIN + 150.0, value)] {
                    surface.draw_text(
                        Point::from_xy(x, baseline),
                        fonts.text.clone(),
                        Style::Body.size(),
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
            }
            Block::Rule => {
                if let Some(rect) = Rect::from_xywh(MARGIN, y + h / 2.0, WIDTH - 2.0 * MARGIN, 0.6) {
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
            }
            Block::Gap => {}
        }
        y += h;
    }
    surface.finish();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_content_flows_onto_more_pages() {
        let blocks: Vec<Block> = (0..200).map(|i| Block::Line(Style::Body, format!("line {i}"))).collect();
        let pages = paginate(&blocks);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), 200);
    }

    #[test]
    fn a_pdf_is_made_with_the_fonts_embedded() {
        let pdf = render("t", &[Block::Line(Style::Title, "Receipt".into()), Block::Rule]).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/FontFile2") || text.contains("/FontFile3"), "font not embedded");
    }
}
