//! Cursor over a path or filter string, ported from Jayway's `CharacterIndex`.
//!
//! Owns: [`CharIndex`], which works on UTF-16 code units so that positions and
//! lengths match Java's `String` exactly. Reading past the underlying string
//! returns the internal "StringIndexOutOfBoundsException" error, which the
//! compilers convert to `InvalidPath` the way Jayway does.
//! Must not: refer to anything outside `crate::jsonpath`.

use super::error::Error;

pub(crate) const STRING_OOB: &str = "java.lang.StringIndexOutOfBoundsException";

/// A cursor with an adjustable end position over UTF-16 code units.
#[derive(Debug, Clone)]
pub(crate) struct CharIndex {
    s: Vec<u16>,
    pos: i64,
    end: i64,
}

impl CharIndex {
    pub(crate) fn new(text: &str) -> CharIndex {
        Self::from_units(text.encode_utf16().collect())
    }

    pub(crate) fn from_units(s: Vec<u16>) -> CharIndex {
        let end = s.len() as i64 - 1;
        CharIndex { s, pos: 0, end }
    }

    /// The whole underlying text.
    pub(crate) fn text(&self) -> String {
        String::from_utf16_lossy(&self.s)
    }

    /// Java `length()`: `end + 1`.
    pub(crate) fn length(&self) -> i64 {
        self.end + 1
    }

    pub(crate) fn position(&self) -> i64 {
        self.pos
    }

    pub(crate) fn set_position(&mut self, p: i64) {
        self.pos = p;
    }

    pub(crate) fn increment(&mut self, n: i64) {
        self.pos = self.pos.saturating_add(n);
    }

    pub(crate) fn decrement_end(&mut self, n: i64) {
        self.end = self.end.saturating_sub(n);
    }

    /// Raw `charAt` (bounded only by the underlying string, like Java).
    pub(crate) fn char_at(&self, i: i64) -> Result<u16, Error> {
        if i < 0 {
            return Err(oob(i, self.s.len()));
        }
        match self.s.get(i as usize) {
            Some(c) => Ok(*c),
            None => Err(oob(i, self.s.len())),
        }
    }

    pub(crate) fn current(&self) -> Result<u16, Error> {
        self.char_at(self.pos)
    }

    pub(crate) fn current_is(&self, c: u16) -> Result<bool, Error> {
        Ok(self.current()? == c)
    }

    pub(crate) fn last_char_is(&self, c: u16) -> Result<bool, Error> {
        Ok(self.char_at(self.end)? == c)
    }

    pub(crate) fn next_char_is(&self, c: u16) -> Result<bool, Error> {
        Ok(self.in_bounds_at(self.pos + 1) && self.char_at(self.pos + 1)? == c)
    }

    pub(crate) fn in_bounds_at(&self, i: i64) -> bool {
        i >= 0 && i <= self.end
    }

    pub(crate) fn in_bounds(&self) -> bool {
        self.in_bounds_at(self.pos)
    }

    pub(crate) fn out_of_bounds(&self, i: i64) -> bool {
        !self.in_bounds_at(i)
    }

    pub(crate) fn current_is_tail(&self) -> bool {
        self.pos >= self.end
    }

    pub(crate) fn has_more_characters(&self) -> bool {
        self.in_bounds_at(self.pos + 1)
    }

    /// Java `subSequence(start, end)` on the underlying string.
    pub(crate) fn sub(&self, start: i64, end: i64) -> Result<Vec<u16>, Error> {
        if start < 0 || end < start || end as usize > self.s.len() {
            return Err(Error::java(
                STRING_OOB,
                format!("begin {start}, end {end}, length {}", self.s.len()),
            ));
        }
        Ok(self.s[start as usize..end as usize].to_vec())
    }

    pub(crate) fn sub_string(&self, start: i64, end: i64) -> Result<String, Error> {
        Ok(String::from_utf16_lossy(&self.sub(start, end)?))
    }

    pub(crate) fn index_of_matching_close_char(
        &self,
        start: i64,
        open: u16,
        close: u16,
        skip_strings: bool,
        skip_regex: bool,
    ) -> Result<i64, Error> {
        let c0 = self.char_at(start)?;
        if c0 != open {
            return Err(Error::invalid_path(format!(
                "Expected {} but found {}",
                unit_str(open),
                unit_str(c0)
            )));
        }
        let mut opened = 1;
        let mut read = start + 1;
        while self.in_bounds_at(read) {
            if skip_strings {
                let q = self.char_at(read)?;
                if q == u16::from(b'\'') || q == u16::from(b'"') {
                    read = self.next_index_of_unescaped_from(read, q)?;
                    if read == -1 {
                        return Err(Error::invalid_path(format!(
                            "Could not find matching close quote for {} when parsing : {}",
                            unit_str(q),
                            self.text()
                        )));
                    }
                    read += 1;
                }
            }
            if skip_regex && self.char_at(read)? == u16::from(b'/') {
                read = self.next_index_of_unescaped_from(read, u16::from(b'/'))?;
                if read == -1 {
                    return Err(Error::invalid_path(format!(
                        "Could not find matching close for / when parsing regex in : {}",
                        self.text()
                    )));
                }
                read += 1;
            }
            let c = self.char_at(read)?;
            if c == open {
                opened += 1;
            }
            if c == close {
                opened -= 1;
                if opened == 0 {
                    return Ok(read);
                }
            }
            read += 1;
        }
        Ok(-1)
    }

    pub(crate) fn index_of_closing_bracket(
        &self,
        start: i64,
        skip_strings: bool,
        skip_regex: bool,
    ) -> Result<i64, Error> {
        self.index_of_matching_close_char(start, u16::from(b'('), u16::from(b')'), skip_strings, skip_regex)
    }

    pub(crate) fn index_of_next_significant_char_from(&self, start: i64, c: u16) -> Result<i64, Error> {
        let mut read = start + 1;
        while !self.out_of_bounds(read) && self.char_at(read)? == SPACE {
            read += 1;
        }
        if self.char_at(read)? == c { Ok(read) } else { Ok(-1) }
    }

    pub(crate) fn index_of_next_significant_char(&self, c: u16) -> Result<i64, Error> {
        self.index_of_next_significant_char_from(self.pos, c)
    }

    pub(crate) fn next_index_of(&self, start: i64, c: u16) -> Result<i64, Error> {
        let mut read = start;
        while !self.out_of_bounds(read) {
            if self.char_at(read)? == c {
                return Ok(read);
            }
            read += 1;
        }
        Ok(-1)
    }

    pub(crate) fn next_index_of_unescaped(&self, c: u16) -> Result<i64, Error> {
        self.next_index_of_unescaped_from(self.pos, c)
    }

    pub(crate) fn next_index_of_unescaped_from(&self, start: i64, c: u16) -> Result<i64, Error> {
        let mut read = start + 1;
        let mut in_escape = false;
        while !self.out_of_bounds(read) {
            let ch = self.char_at(read)?;
            if in_escape {
                in_escape = false;
            } else if ch == u16::from(b'\\') {
                in_escape = true;
            } else if ch == c {
                return Ok(read);
            }
            read += 1;
        }
        Ok(-1)
    }

    pub(crate) fn next_significant_char_is_from(&self, start: i64, c: u16) -> Result<bool, Error> {
        let mut read = start + 1;
        while !self.out_of_bounds(read) && self.char_at(read)? == SPACE {
            read += 1;
        }
        Ok(!self.out_of_bounds(read) && self.char_at(read)? == c)
    }

    pub(crate) fn next_significant_char_is(&self, c: u16) -> Result<bool, Error> {
        self.next_significant_char_is_from(self.pos, c)
    }

    pub(crate) fn next_significant_char_from(&self, start: i64) -> Result<u16, Error> {
        let mut read = start + 1;
        while !self.out_of_bounds(read) && self.char_at(read)? == SPACE {
            read += 1;
        }
        if !self.out_of_bounds(read) { self.char_at(read) } else { Ok(SPACE) }
    }

    pub(crate) fn next_significant_char(&self) -> Result<u16, Error> {
        self.next_significant_char_from(self.pos)
    }

    pub(crate) fn read_significant_char(&mut self, c: u16) -> Result<(), Error> {
        if self.skip_blanks().current()? != c {
            return Err(Error::invalid_path(format!("Expected character: {}", unit_str(c))));
        }
        self.increment(1);
        Ok(())
    }

    pub(crate) fn has_significant_sub_sequence(&mut self, s: &str) -> Result<bool, Error> {
        self.skip_blanks();
        let units: Vec<u16> = s.encode_utf16().collect();
        let n = units.len() as i64;
        if !self.in_bounds_at(self.pos + n - 1) {
            return Ok(false);
        }
        if self.sub(self.pos, self.pos + n)? != units {
            return Ok(false);
        }
        self.increment(n);
        Ok(true)
    }

    pub(crate) fn index_of_previous_significant_char_from(&self, start: i64) -> Result<i64, Error> {
        let mut read = start - 1;
        while !self.out_of_bounds(read) && self.char_at(read)? == SPACE {
            read -= 1;
        }
        if !self.out_of_bounds(read) { Ok(read) } else { Ok(-1) }
    }

    pub(crate) fn index_of_previous_significant_char(&self) -> Result<i64, Error> {
        self.index_of_previous_significant_char_from(self.pos)
    }

    pub(crate) fn previous_significant_char(&self) -> Result<u16, Error> {
        let i = self.index_of_previous_significant_char_from(self.pos)?;
        if i == -1 { Ok(SPACE) } else { self.char_at(i) }
    }

    pub(crate) fn is_number_character(&self, i: i64) -> Result<bool, Error> {
        let c = self.char_at(i)?;
        Ok(is_java_digit(c)
            || c == u16::from(b'-')
            || c == u16::from(b'.')
            || c == u16::from(b'E')
            || c == u16::from(b'e'))
    }

    pub(crate) fn skip_blanks(&mut self) -> &mut Self {
        while self.in_bounds() && self.pos < self.end && self.s.get(self.pos as usize) == Some(&SPACE) {
            self.pos += 1;
        }
        self
    }

    fn skip_blanks_at_end(&mut self) {
        while self.in_bounds()
            && self.pos < self.end
            && self.end >= 0
            && self.s.get(self.end as usize) == Some(&SPACE)
        {
            self.end -= 1;
        }
    }

    pub(crate) fn trim(&mut self) {
        self.skip_blanks();
        self.skip_blanks_at_end();
    }
}

pub(crate) const SPACE: u16 = b' ' as u16;

fn oob(i: i64, len: usize) -> Error {
    Error::java(STRING_OOB, format!("Index {i} out of bounds for length {len}"))
}

/// A single UTF-16 unit rendered as text (lone surrogates become U+FFFD).
pub(crate) fn unit_str(c: u16) -> String {
    String::from_utf16_lossy(&[c])
}

/// Java `Character.isDigit` restricted to ASCII (see module docs of
/// `jsonpath` for the documented difference on non-ASCII digits).
pub(crate) fn is_java_digit(c: u16) -> bool {
    (u16::from(b'0')..=u16::from(b'9')).contains(&c)
}

/// `u16` of an ASCII byte.
pub(crate) const fn u(b: u8) -> u16 {
    b as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_and_bounds() {
        let cases: [(&str, i64, i64); 4] = [("  ab  ", 2, 4), ("ab", 0, 2), ("   ", 2, 3), ("", 0, 0)];
        for (text, pos, len) in cases {
            let mut ci = CharIndex::new(text);
            ci.trim();
            assert_eq!(ci.position(), pos, "{text:?}");
            assert_eq!(ci.length(), len, "{text:?}");
        }
    }

    #[test]
    fn unescaped_search() {
        let cases = [("'a\\'b'", 5i64), ("'ab'", 3), ("'ab", -1)];
        for (text, want) in cases {
            let ci = CharIndex::new(text);
            assert_eq!(ci.next_index_of_unescaped(u(b'\'')).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn char_at_out_of_bounds_is_error() {
        let ci = CharIndex::new("ab");
        assert!(ci.char_at(2).is_err());
        assert!(ci.char_at(-1).is_err());
        assert_eq!(ci.char_at(1).unwrap(), u(b'b'));
    }
}
