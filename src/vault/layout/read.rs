//! Reading the layout: a serde `Deserializer` for exactly what the writer writes, which gives
//! up at the first byte it does not expect.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};

use super::{HEAD, NotLayout};
use crate::vault::model::Header;

type Result<T> = std::result::Result<T, NotLayout>;

/// Reads `text` as `T` when it is in Keydesk's layout; [`NotLayout`] otherwise.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    let mut reader = Reader { text: text.strip_prefix(HEAD).ok_or(NotLayout)?, at: 0 };
    let value = T::deserialize(&mut reader)?;
    reader.blank();
    if reader.at == reader.text.len() { Ok(value) } else { Err(NotLayout) }
}

/// The format number and header at the start of a text in Keydesk's layout (`render` writes
/// them first), read without the rest; `None` when the text does not start that way. For
/// work that needs only the header (deriving the key) to start before the whole is read.
pub fn head(text: &str) -> Option<(u32, Header)> {
    let mut reader = Reader { text: text.strip_prefix(HEAD)?, at: 0 };
    reader.expect(b'(').ok()?;
    reader.field("format")?;
    let format = u32::try_from(reader.unsigned().ok()?).ok()?;
    reader.expect(b',').ok()?;
    reader.field("header")?;
    let header = Header::deserialize(&mut reader).ok()?;
    Some((format, header))
}

struct Reader<'de> {
    text: &'de str,
    at: usize,
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

impl<'de> Reader<'de> {
    /// Skips blank space (a comment is not blank here: its `/` is refused where it stands).
    fn blank(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after blank space, not taken.
    fn peek(&mut self) -> Option<u8> {
        self.blank();
        self.text.as_bytes().get(self.at).copied()
    }

    /// Takes `byte`, after blank space.
    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(NotLayout)
        }
    }

    /// Takes the field name `name` and its `:`.
    fn field(&mut self, name: &str) -> Option<()> {
        (self.ident().ok()? == name && self.expect(b':').is_ok()).then_some(())
    }

    /// After one item of a list or struct: its comma, or the closing `close` next.
    fn comma_or(&mut self, close: u8) -> Result<()> {
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(())
            }
            Some(byte) if byte == close => Ok(()),
            _ => Err(NotLayout),
        }
    }

    /// An identifier: an ASCII letter or `_`, then letters, digits and `_`.
    fn ident(&mut self) -> Result<&'de str> {
        self.blank();
        let bytes = self.text.as_bytes();
        let start = self.at;
        match bytes.get(start) {
            Some(byte) if byte.is_ascii_alphabetic() || *byte == b'_' => {}
            _ => return Err(NotLayout),
        }
        let mut end = start + 1;
        while bytes.get(end).is_some_and(|byte| is_ident_byte(*byte)) {
            end += 1;
        }
        self.at = end;
        Ok(&self.text[start..end])
    }

    /// A decimal number without sign, leading zero, fraction, exponent or separator.
    fn unsigned(&mut self) -> Result<u64> {
        self.blank();
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let digits = &self.text[start..end];
        let leading_zero = digits.len() > 1 && digits.starts_with('0');
        let runs_on = bytes.get(end).is_some_and(|byte| is_ident_byte(*byte) || *byte == b'.');
        if digits.is_empty() || leading_zero || runs_on {
            return Err(NotLayout);
        }
        self.at = end;
        digits.parse().map_err(|_overflow| NotLayout)
    }

    fn signed(&mut self) -> Result<i64> {
        if self.peek() == Some(b'-') {
            self.at += 1;
            // The sign and its digits are one token.
            if !self.text.as_bytes().get(self.at).is_some_and(u8::is_ascii_digit) {
                return Err(NotLayout);
            }
            let magnitude = i64::try_from(self.unsigned()?).map_err(|_overflow| NotLayout)?;
            Ok(-magnitude)
        } else {
            i64::try_from(self.unsigned()?).map_err(|_overflow| NotLayout)
        }
    }

    /// A string in double quotes; borrowed from the text unless it holds an escape.
    fn string(&mut self) -> Result<Cow<'de, str>> {
        self.expect(b'"')?;
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        loop {
            match bytes.get(end) {
                Some(b'"') => {
                    self.at = end + 1;
                    return Ok(Cow::Borrowed(&self.text[start..end]));
                }
                Some(b'\\') => break,
                // A raw control character (a line break inside a string): RON's to read.
                Some(byte) if *byte >= 0x20 => end += 1,
                _ => return Err(NotLayout),
            }
        }
        let mut owned = String::from(&self.text[start..end]);
        self.at = end;
        loop {
            let bytes = self.text.as_bytes();
            match bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.at += 1;
                    owned.push(self.escape()?);
                }
                Some(byte) if *byte >= 0x20 => {
                    let run = self.at;
                    while bytes
                        .get(self.at)
                        .is_some_and(|byte| *byte >= 0x20 && !matches!(byte, b'"' | b'\\'))
                    {
                        self.at += 1;
                    }
                    owned.push_str(&self.text[run..self.at]);
                }
                _ => return Err(NotLayout),
            }
        }
    }

    /// The character after a backslash: the escapes `char::escape_debug` writes.
    fn escape(&mut self) -> Result<char> {
        let byte = *self.text.as_bytes().get(self.at).ok_or(NotLayout)?;
        self.at += 1;
        Ok(match byte {
            b'\'' => '\'',
            b'"' => '"',
            b'\\' => '\\',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'0' => '\0',
            b'u' => {
                let rest = self.text.get(self.at..).ok_or(NotLayout)?;
                let digits = rest.strip_prefix('{').and_then(|rest| rest.split_once('}')).ok_or(NotLayout)?.0;
                if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(NotLayout);
                }
                self.at += digits.len() + 2;
                let code = u32::from_str_radix(digits, 16).map_err(|_bad| NotLayout)?;
                char::from_u32(code).ok_or(NotLayout)?
            }
            _ => return Err(NotLayout),
        })
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = NotLayout;

    /// Keydesk's types all say what they expect; a value of no stated type is RON's to read.
    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(NotLayout)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.ident()? {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(NotLayout),
        }
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_u8(u8::try_from(self.unsigned()?).map_err(|_overflow| NotLayout)?)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_u16(u16::try_from(self.unsigned()?).map_err(|_overflow| NotLayout)?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_u32(u32::try_from(self.unsigned()?).map_err(|_overflow| NotLayout)?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_u64(self.unsigned()?)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_i8(i8::try_from(self.signed()?).map_err(|_overflow| NotLayout)?)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_i16(i16::try_from(self.signed()?).map_err(|_overflow| NotLayout)?)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_i32(i32::try_from(self.signed()?).map_err(|_overflow| NotLayout)?)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_i64(self.signed()?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.string()? {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_string(text),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    /// `None`, `Some(…)`, or the value itself (`implicit_some`).
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let before = self.at;
        match self.ident() {
            Ok("None") => visitor.visit_none(),
            Ok("Some") if self.peek() == Some(b'(') => {
                self.at += 1;
                let value = visitor.visit_some(&mut *self)?;
                self.comma_or(b')')?;
                self.expect(b')')?;
                Ok(value)
            }
            _ => {
                self.at = before;
                visitor.visit_some(self)
            }
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.expect(b'[')?;
        let value = visitor.visit_seq(Items { reader: &mut *self })?;
        self.expect(b']')?;
        Ok(value)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.expect(b'{')?;
        let value = visitor.visit_map(Fields { reader: &mut *self, close: b'}' })?;
        self.expect(b'}')?;
        Ok(value)
    }

    /// `(field:value,…)`, without the struct's name (`render` leaves names out).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.expect(b'(')?;
        let value = visitor.visit_map(Fields { reader: &mut *self, close: b')' })?;
        self.expect(b')')?;
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_enum(self)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.ident()?)
    }

    /// A field this Keydesk does not know (written by another version): RON's to skip.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(NotLayout)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char bytes byte_buf unit unit_struct newtype_struct tuple tuple_struct
    }
}

/// The items of a list.
struct Items<'r, 'de> {
    reader: &'r mut Reader<'de>,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = NotLayout;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.reader.peek() == Some(b']') {
            return Ok(None);
        }
        let value = seed.deserialize(&mut *self.reader)?;
        self.reader.comma_or(b']')?;
        Ok(Some(value))
    }
}

/// The fields of a struct (`close` is `)`) or the entries of a map (`}`).
struct Fields<'r, 'de> {
    reader: &'r mut Reader<'de>,
    close: u8,
}

impl<'de> de::MapAccess<'de> for Fields<'_, 'de> {
    type Error = NotLayout;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.reader.peek() == Some(self.close) {
            return Ok(None);
        }
        let key = if self.close == b')' {
            seed.deserialize(BorrowedStrDeserializer::new(self.reader.ident()?))?
        } else {
            seed.deserialize(&mut *self.reader)?
        };
        self.reader.expect(b':')?;
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let value = seed.deserialize(&mut *self.reader)?;
        self.reader.comma_or(self.close)?;
        Ok(value)
    }
}

impl<'de> de::EnumAccess<'de> for &mut Reader<'de> {
    type Error = NotLayout;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let variant = seed.deserialize(BorrowedStrDeserializer::new(self.ident()?))?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Reader<'de> {
    type Error = NotLayout;

    fn unit_variant(self) -> Result<()> {
        if self.peek() == Some(b'(') { Err(NotLayout) } else { Ok(()) }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        self.expect(b'(')?;
        let value = seed.deserialize(&mut *self)?;
        self.comma_or(b')')?;
        self.expect(b')')?;
        Ok(value)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value> {
        Err(NotLayout)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::format::render;
    use crate::vault::layout::sample::{edited, edits, rich};
    use crate::vault::model::VaultFile;
    use crate::vault::stored::VaultRon;

    /// `vault.ron` read by this reader.
    fn fast(text: &str) -> Result<VaultFile> {
        from_str::<VaultRon>(text).map(VaultRon::into_model)
    }

    /// `vault.ron` read by RON.
    fn by_ron(text: &str) -> Option<VaultFile> {
        ron::from_str::<VaultRon>(text).ok().map(VaultRon::into_model)
    }

    #[test]
    fn a_rendered_file_reads_the_same_as_by_ron() {
        let file = rich();
        let text = render(&file).expect("renders");
        assert_eq!(fast(&text).expect("in the layout"), file);
        assert_eq!(head(&text), Some((5, file.header.clone())));
        assert_eq!(head(&text.replacen("format:5", "format:05", 1)), None);
        assert_eq!(head(&text.replacen("\n header:", "\n accounts:[],\n header:", 1)), None);
        assert_eq!(by_ron(&text).expect("RON reads it"), file);
    }

    #[test]
    fn what_render_does_not_write_is_left_to_ron() {
        let text = render(&rich()).expect("renders");
        let variants = [
            text.replacen("#![enable(implicit_some)]", "", 1),
            text.replacen("\n format:5,", "\n // by hand\n format:5,", 1),
            text.replacen("format:5", "format:0x5", 1),
            text.replacen("format:5", "format:05", 1),
            text.replacen("(id:\"000000000002\"", "KeyRecord(id:\"000000000002\"", 1),
            text.replacen("label:\"\"", "label:r\"raw\"", 1),
            text.replacen("label:\"\"", "label:\"\\x41\"", 1),
            text.replacen("label:\"\"", "label:\"a\nb\"", 1),
            text.replacen("status:Retiring", "status:Retiring()", 1),
            text.replacen("format:5,", "format:5,\n unknown_field:[1,2],", 1),
        ];
        for variant in variants {
            assert!(fast(&variant).is_err(), "{variant}");
        }
    }

    #[test]
    fn values_ron_reads_as_one_read_the_same() {
        let text = render(&rich()).expect("renders");
        // `Some(…)` and `None` written out, blank space around `:` and `,`: RON's forms that
        // the layout allows.
        let spelled = text
            .replacen("lookup_key:\"lk\"", "lookup_key : Some( \"lk\" )", 1)
            .replacen("detail:\"ses eu-west-1\",", "detail:\"ses eu-west-1\" ,\n ", 1)
            .replacen("retry_after_secs:None", "retry_after_secs: None", 1);
        assert_eq!(fast(&spelled).expect("in the layout"), by_ron(&spelled).expect("RON reads it"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4_000))]

        /// Whatever this reader accepts, RON reads as the same value: it never reads a file
        /// RON refuses, nor reads one differently.
        #[test]
        fn an_edited_file_this_reader_takes_reads_the_same_by_ron(
            edits in edits()
        ) {
            let text = edited(&render(&rich()).expect("renders"), &edits);
            if let Ok(read) = fast(&text) {
                proptest::prop_assert_eq!(Some(read), by_ron(&text), "{}", text);
            }
        }

        #[test]
        fn any_text_is_read_or_refused_without_a_panic(text in "\\PC{0,300}") {
            let _read = fast(&format!("{HEAD}{text}"));
        }
    }
}
