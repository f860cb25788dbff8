//! Reading the old system's CSV exports as they really are: UTF-8 with or without a byte order
//! mark, or Windows-1252 (the old system's Windows tools); `,` or `;` between fields (Excel in a
//! Finnish locale writes `;`); whitespace around fields; dates as `2018-03-05` or `5.3.2018`.

use crate::model::IsoDate;
use crate::server::ServerError;

/// The text encoding a file turned out to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8WithBom,
    /// Bytes that are not valid UTF-8 are read as Windows-1252, a superset of ISO-8859-1 (the
    /// two differ only in 0x80–0x9F, which ISO-8859-1 uses for control characters nobody types).
    Windows1252,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8WithBom => "UTF-8 with BOM",
            Encoding::Windows1252 => "Windows-1252",
        })
    }
}

/// Windows-1252 0x80–0x9F; the five bytes it leaves undefined keep their C1 control meaning,
/// as in the WHATWG encoding standard. 0xA0–0xFF are the same code points as Unicode's.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The text of `bytes`: valid UTF-8 is UTF-8 (a leading BOM dropped), anything else is read as
/// Windows-1252. A Windows-1252 file with Finnish letters is practically never valid UTF-8.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF")
        && let Ok(text) = std::str::from_utf8(rest)
    {
        return (text.to_owned(), Encoding::Utf8WithBom);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), Encoding::Utf8);
    }
    let text = bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect();
    (text, Encoding::Windows1252)
}

/// The field separator, from the header line: `;` if it has more of them than commas.
pub fn detect_separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.chars().filter(|&h| h == c).count();
    if count(';') > count(',') { b';' } else { b',' }
}

/// A day written as an ISO date (`2018-03-05`) or the Finnish way (`5.3.2018`, `05.03.2018`).
pub fn parse_date(text: &str) -> Option<IsoDate> {
    let text = text.trim();
    if let Some(date) = IsoDate::parse(text) {
        return Some(date);
    }
    let parts: Vec<&str> = text.split('.').collect();
    let digits =
        |p: &str, lens: &[usize]| lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [d, m, y] if digits(d, &[1, 2]) && digits(m, &[1, 2]) && digits(y, &[4]) => {
            IsoDate::parse(&format!("{y}-{m:0>2}-{d:0>2}"))
        }
        _ => None,
    }
}

/// A CSV file read into records, with what was detected about it.
pub struct Table {
    pub encoding: Encoding,
    pub separator: u8,
    headers: Vec<String>,
    /// Every data row: its line number and its fields (trimmed), or why it could not be read.
    pub rows: Vec<(u64, Result<csv::StringRecord, String>)>,
}

impl Table {
    /// Reads a whole file. Rows may have fewer or more fields than the header (missing ones
    /// read as empty); only a broken quote makes a row unreadable.
    pub fn read(bytes: &[u8]) -> Result<Table, ServerError> {
        let (text, encoding) = decode(bytes);
        let separator = detect_separator(&text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| ServerError::Config(format!("CSV header: {e}")))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        // The line of a byte offset, counted here: the csv crate's own count misses blank lines.
        let newlines: Vec<usize> = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i)
            .collect();
        let line = |position: Option<&csv::Position>| {
            position.map_or(0, |p| {
                // A record's position is where the previous one ended: skip blank lines.
                let mut byte = usize::try_from(p.byte()).unwrap_or(usize::MAX);
                while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
                    byte += 1;
                }
                u64::try_from(newlines.partition_point(|&n| n < byte) + 1).unwrap_or(u64::MAX)
            })
        };
        let rows = reader
            .records()
            .map(|record| match record {
                Ok(record) => (line(record.position()), Ok(record)),
                Err(e) => (line(e.position()), Err(format!("unreadable row: {e}"))),
            })
            .collect();
        Ok(Table {
            encoding,
            separator,
            headers,
            rows,
        })
    }

    /// The index of a column that must be there.
    pub fn column(&self, name: &str) -> Result<usize, ServerError> {
        self.optional_column(name)
            .ok_or_else(|| ServerError::Config(format!("CSV has no column {name:?}")))
    }

    /// The index of a column that may be missing.
    pub fn optional_column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

/// Field `column` of `record`, empty when the row is short or the column is absent.
pub fn field(record: &csv::StringRecord, column: Option<usize>) -> &str {
    column.and_then(|c| record.get(c)).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_detected() {
        assert_eq!(decode(b"a\xC3\xA4").1, Encoding::Utf8);
        assert_eq!(decode(b"a\xC3\xA4").0, "aä");
        assert_eq!(decode(b"\xEF\xBB\xBFname").0, "name");
        assert_eq!(decode(b"\xEF\xBB\xBFname").1, Encoding::Utf8WithBom);
        let (text, encoding) = decode(b"M\xE4kel\xE4 \x80 \x96 \xC5\xD6");
        assert_eq!(encoding, Encoding::Windows1252);
        assert_eq!(text, "Mäkelä € – ÅÖ");
    }

    #[test]
    fn separators_are_detected_from_the_header() {
        assert_eq!(detect_separator("a,b,c\n1;2;3;4;5\n"), b',');
        assert_eq!(detect_separator("a;b;c\n1,2\n"), b';');
        assert_eq!(detect_separator("a;b,c;d\n"), b';');
        assert_eq!(detect_separator(""), b',');
    }

    #[test]
    fn dates_iso_and_finnish() {
        let iso = |s: &str| parse_date(s).map(|d| d.to_string());
        assert_eq!(iso("2018-03-05").as_deref(), Some("2018-03-05"));
        assert_eq!(iso("5.3.2018").as_deref(), Some("2018-03-05"));
        assert_eq!(iso(" 05.03.2018 ").as_deref(), Some("2018-03-05"));
        assert_eq!(iso("29.2.2016").as_deref(), Some("2016-02-29"));
        for bad in [
            "",
            "29.2.2017",
            "32.1.2018",
            "1.13.2018",
            "5.3.18",
            "2018-3-5",
            "5/3/2018",
            "5.3.2018.",
            "x.3.2018",
            "0.3.2018",
            "-1.3.2018",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tables_trim_and_keep_line_numbers() {
        let table =
            Table::read(b"\xEF\xBB\xBF Legacy_Username ; Email\n a ; b@c.fi \n\nshort\n").unwrap();
        assert_eq!(
            (table.encoding, table.separator),
            (Encoding::Utf8WithBom, b';')
        );
        let user = table.column("legacy_username").unwrap();
        let email = table.optional_column("email");
        assert!(table.column("full_name").is_err());
        let rows: Vec<(u64, String, String)> = table
            .rows
            .iter()
            .map(|(line, r)| {
                let r = r.as_ref().unwrap();
                (
                    *line,
                    field(r, Some(user)).to_owned(),
                    field(r, email).to_owned(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (2, "a".into(), "b@c.fi".into()),
                (4, "short".into(), String::new())
            ]
        );
    }
}
