//! Writing the layout: a serde `Serializer` that writes what RON's pretty printer writes with
//! `format::render`'s settings (`separator("")`, one space of indentation, `depth_limit(2)`,
//! no struct names, `implicit_some`), byte for byte.

use std::fmt::Write as _;

use serde::ser::{self, Serialize};

use super::{HEAD, NotLayout};

type Result<T> = std::result::Result<T, NotLayout>;

/// The levels written an item a line; deeper ones are written on their parent's line.
const LINE_LEVELS: usize = 2;

/// `value` in Keydesk's layout (without the final line break `render` adds); [`NotLayout`]
/// for a value of a shape the layout does not write (a map, a tuple, a float…).
pub fn to_string<T: Serialize>(value: &T) -> Result<String> {
    let mut writer = Writer { out: String::with_capacity(4096), level: 0, implicit_somes: 0 };
    writer.out.push_str(HEAD);
    writer.out.push('\n');
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

struct Writer {
    out: String,
    /// How deep the struct or list being written is (the whole file is level 1).
    level: usize,
    /// `Some`s left out around the value being written (RON's `implicit_some`): a `None`
    /// inside one is written `Some(None)`.
    implicit_somes: usize,
}

impl Writer {
    fn on_lines(&self) -> bool {
        self.level <= LINE_LEVELS
    }

    /// Opens a struct or list with `bracket`: a level deeper, which on a level written a line
    /// an item starts a line, unless it has no items.
    fn open(&mut self, bracket: char, items: usize) {
        self.implicit_somes = 0;
        self.out.push(bracket);
        self.level += 1;
        if self.on_lines() && items > 0 {
            self.out.push('\n');
        }
    }

    /// Before an item: the comma after the one before it, and on a level written a line an
    /// item, the line break and indentation.
    fn item(&mut self, first: bool) {
        if !first {
            self.out.push(',');
            if self.on_lines() {
                self.out.push('\n');
            }
        }
        if self.on_lines() {
            self.indent(self.level);
        }
    }

    /// Closes with `bracket` what [`Writer::open`] opened; a level written a line an item ends
    /// its last item with a comma and a line break.
    fn close(&mut self, bracket: char, any: bool) {
        if any && self.on_lines() {
            self.out.push_str(",\n");
            self.indent(self.level - 1);
        }
        self.level -= 1;
        self.out.push(bracket);
    }

    fn indent(&mut self, spaces: usize) {
        self.out.extend(std::iter::repeat_n(' ', spaces));
    }

    /// A string in double quotes, each character as `char::escape_debug` writes it.
    fn string(&mut self, text: &str) {
        self.out.push('"');
        let mut plain = 0;
        for (at, c) in text.char_indices() {
            let is_plain = matches!(c, ' '..='~') && !matches!(c, '"' | '\'' | '\\');
            if !is_plain {
                self.out.push_str(&text[plain..at]);
                self.out.extend(c.escape_debug());
                plain = at + c.len_utf8();
            }
        }
        self.out.push_str(&text[plain..]);
        self.out.push('"');
    }

    fn number(&mut self, number: impl std::fmt::Display) {
        // Writing to a String cannot fail.
        let _written = write!(self.out, "{number}");
    }
}

/// A struct, a struct variant or a list being written: whether an item was written yet.
struct Items<'w> {
    writer: &'w mut Writer,
    any: bool,
}

impl Items<'_> {
    fn next(&mut self) {
        self.writer.item(!self.any);
        self.any = true;
    }
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = NotLayout;
    type SerializeSeq = Items<'w>;
    type SerializeTuple = ser::Impossible<(), NotLayout>;
    type SerializeTupleStruct = ser::Impossible<(), NotLayout>;
    type SerializeTupleVariant = ser::Impossible<(), NotLayout>;
    type SerializeMap = ser::Impossible<(), NotLayout>;
    type SerializeStruct = Items<'w>;
    type SerializeStructVariant = Items<'w>;

    fn serialize_bool(self, value: bool) -> Result<()> {
        self.out.push_str(if value { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<()> {
        self.serialize_i64(value.into())
    }

    fn serialize_i16(self, value: i16) -> Result<()> {
        self.serialize_i64(value.into())
    }

    fn serialize_i32(self, value: i32) -> Result<()> {
        self.serialize_i64(value.into())
    }

    fn serialize_i64(self, value: i64) -> Result<()> {
        self.number(value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<()> {
        self.serialize_u64(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result<()> {
        self.serialize_u64(value.into())
    }

    fn serialize_u32(self, value: u32) -> Result<()> {
        self.serialize_u64(value.into())
    }

    fn serialize_u64(self, value: u64) -> Result<()> {
        self.number(value);
        Ok(())
    }

    fn serialize_f32(self, _value: f32) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_f64(self, _value: f64) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_char(self, _value: char) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_str(self, value: &str) -> Result<()> {
        self.string(value);
        Ok(())
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_none(self) -> Result<()> {
        let somes = std::mem::take(&mut self.implicit_somes);
        self.out.extend(std::iter::repeat_n("Some(", somes));
        self.out.push_str("None");
        self.out.extend(std::iter::repeat_n(')', somes));
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        self.implicit_somes += 1;
        value.serialize(&mut *self)?;
        self.implicit_somes = 0;
        Ok(())
    }

    fn serialize_unit(self) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        self.out.push_str(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, _value: &T) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(NotLayout)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Items<'w>> {
        // RON's line breaks depend on whether a list is empty: known before its items.
        self.open('[', len.ok_or(NotLayout)?);
        Ok(Items { writer: self, any: false })
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(NotLayout)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct> {
        Err(NotLayout)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(NotLayout)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(NotLayout)
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Items<'w>> {
        self.open('(', len);
        Ok(Items { writer: self, any: false })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Items<'w>> {
        self.out.push_str(variant);
        self.open('(', len);
        Ok(Items { writer: self, any: false })
    }
}

impl ser::SerializeSeq for Items<'_> {
    type Ok = ();
    type Error = NotLayout;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.next();
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<()> {
        self.writer.close(']', self.any);
        Ok(())
    }
}

impl ser::SerializeStruct for Items<'_> {
    type Ok = ();
    type Error = NotLayout;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.next();
        self.writer.out.push_str(key);
        self.writer.out.push(':');
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<()> {
        self.writer.close(')', self.any);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Items<'_> {
    type Ok = ();
    type Error = NotLayout;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<()> {
        ser::SerializeStruct::end(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::format::render_by_ron;
    use crate::vault::layout::sample::{edited, edits, rich};
    use crate::vault::model::VaultFile;
    use crate::vault::stored::VaultRon;

    /// The file as `format::render` writes it (with its final line break), by this writer
    /// alone.
    fn written(file: &VaultFile) -> Option<String> {
        to_string(&VaultRon::of(file)).ok().map(|text| text + "\n")
    }

    #[test]
    fn the_layout_is_what_ron_writes_byte_for_byte() {
        let file = rich();
        assert_eq!(written(&file), render_by_ron(&file).ok());
        let mut empty = file.clone();
        (empty.accounts, empty.keys, empty.incidents) = (Vec::new(), Vec::new(), Vec::new());
        empty.header.audit_keys.clear();
        assert_eq!(written(&empty), render_by_ron(&empty).ok());
        assert!(written(&empty).is_some());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// Files made by random edits of the sample (fields gone, other values, other
        /// characters in strings): each written as RON writes it.
        #[test]
        fn an_edited_file_is_written_as_ron_writes_it(
            edits in edits()
        ) {
            let text = edited(&render_by_ron(&rich()).expect("renders"), &edits);
            if let Ok(file) = ron::from_str::<VaultRon>(&text).map(VaultRon::into_model) {
                proptest::prop_assert_eq!(written(&file), render_by_ron(&file).ok());
            }
        }
    }
}
