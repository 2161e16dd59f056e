//! The Algonauts 2023 ROI mapping files, `roi_masks/mapping_<roi-set>.npy`: `numpy.save` of a
//! Python dict `{int label: str name}`, i.e. a 0-d object array whose payload is a pickle that
//! rebuilds the array through numpy's `_reconstruct`.
//!
//! Reading runs a small pickle machine over the opcodes numpy and Python emit (protocols 2-5);
//! globals are never resolved or called, only recorded, so a hostile pickle can do nothing but
//! fail to parse. The dict of int keys and str values it holds is returned. Writing emits the same
//! opcode sequence numpy does, so `numpy.load(path, allow_pickle=True).item()` returns the dict.

use super::atomic::write_atomic;
use super::npy::parse_info;
use super::{IoError, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Most values on the pickle stack or memo (a guard against hostile input).
const MAX_ITEMS: usize = 1 << 20;
/// Deepest nesting of containers accepted. numpy's mapping files nest 4 deep; a bound keeps every
/// walk over a value (clone, drop, search) from overflowing the stack on hostile input.
const MAX_DEPTH: u32 = 64;
/// Most values one object may hold, nested ones included, and most values copied into and out of
/// the memo in all (a pickle that memoizes an object and fetches it again and again would
/// otherwise double its memory at every step). numpy's mapping files hold about a hundred.
const MAX_NODES: usize = 1 << 16;

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i64),
    Str(String),
    Bytes,
    None,
    Bool,
    Tuple(Items),
    List(Items),
    /// Keys and values alternating.
    Dict(Items),
    /// A global reference or an object built from one: never resolved; BUILD keeps its state.
    Opaque(Items),
    Mark,
}

/// The contents of a container with its nesting depth and total number of values, kept up to
/// date in O(1) per added value so that hostile nesting is refused as it is built.
#[derive(Debug, Clone, PartialEq, Default)]
struct Items {
    values: Vec<Value>,
    depth: u32,
    nodes: usize,
}

impl Items {
    fn new(values: Vec<Value>) -> Self {
        let mut items = Items::default();
        items.extend(values);
        items
    }

    fn extend(&mut self, values: impl IntoIterator<Item = Value>) {
        for v in values {
            self.depth = self.depth.max(v.depth() + 1);
            self.nodes = self.nodes.saturating_add(v.nodes());
            self.values.push(v);
        }
    }
}

impl Value {
    fn items(&self) -> Option<&Items> {
        match self {
            Value::Tuple(i) | Value::List(i) | Value::Dict(i) | Value::Opaque(i) => Some(i),
            _ => None,
        }
    }

    fn depth(&self) -> u32 {
        self.items().map_or(0, |i| i.depth)
    }

    fn nodes(&self) -> usize {
        self.items().map_or(1, |i| i.nodes.saturating_add(1))
    }
}

fn bad(path: &Path, what: impl Into<String>) -> IoError {
    IoError::format(
        path,
        format!("not a numpy-pickled label mapping: {}", what.into()),
        "the file must be numpy.save of a dict {int: str}; alternatively convert it once in Python and save the ROI labels as such a dict again",
    )
}

/// Reads a mapping file written by `numpy.save(path, {0: 'Unknown', 1: 'V1v', ...})`.
pub fn read_label_mapping(path: &Path) -> Result<BTreeMap<i64, String>> {
    let bytes = std::fs::read(path).map_err(|e| IoError::os(path, e))?;
    let info = parse_info(&bytes, path)?;
    if info.descr != "|O" {
        return Err(bad(
            path,
            format!("dtype '{}', expected an object array ('|O')", info.descr),
        ));
    }
    let result = run(&bytes[info.data_offset..], path)?;
    find_dict(&result)
        .ok_or_else(|| bad(path, "the pickle holds no dict of int labels to str names"))
}

fn find_dict(v: &Value) -> Option<BTreeMap<i64, String>> {
    match v {
        Value::Dict(items) => items
            .values
            .chunks(2)
            .map(|kv| match kv {
                [Value::Int(k), Value::Str(s)] => Some((*k, s.clone())),
                _ => None,
            })
            .collect(),
        Value::Tuple(xs) | Value::List(xs) | Value::Opaque(xs) => {
            xs.values.iter().find_map(find_dict)
        }
        _ => None,
    }
}

fn run(data: &[u8], path: &Path) -> Result<Value> {
    let mut pos = 0usize;
    let mut stack: Vec<Value> = Vec::new();
    let mut memo: BTreeMap<u32, Value> = BTreeMap::new();
    let take = |pos: &mut usize, n: usize| -> Result<&[u8]> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| bad(path, "truncated pickle"))?;
        let s = &data[*pos..end];
        *pos = end;
        Ok(s)
    };
    let le = |b: &[u8]| b.iter().rev().fold(0u64, |a, &x| (a << 8) | u64::from(x));
    let pop = |stack: &mut Vec<Value>| stack.pop().ok_or_else(|| bad(path, "stack underflow"));
    let pop_mark = |stack: &mut Vec<Value>| -> Result<Vec<Value>> {
        let at = stack
            .iter()
            .rposition(|v| *v == Value::Mark)
            .ok_or_else(|| bad(path, "missing MARK"))?;
        let items = stack.split_off(at + 1);
        stack.pop();
        Ok(items)
    };
    // Values copied into and out of the memo so far (PUT and GET clone), bounded by MAX_NODES.
    let mut copied = 0usize;
    let mut charge = |v: &Value| {
        copied = copied.saturating_add(v.nodes());
        if copied > MAX_NODES {
            Err(bad(
                path,
                format!("more than {MAX_NODES} values copied to and from the memo"),
            ))
        } else {
            Ok(())
        }
    };
    loop {
        if stack.len() > MAX_ITEMS || memo.len() > MAX_ITEMS {
            return Err(bad(path, "too many objects"));
        }
        if let Some(top) = stack.last() {
            if top.depth() > MAX_DEPTH {
                return Err(bad(
                    path,
                    format!("objects nested deeper than {MAX_DEPTH} levels"),
                ));
            }
            if top.nodes() > MAX_NODES {
                return Err(bad(
                    path,
                    format!("an object of more than {MAX_NODES} values"),
                ));
            }
        }
        let op = *take(&mut pos, 1)?.first().expect("one byte");
        match op {
            0x80 => {
                take(&mut pos, 1)?; // PROTO
            }
            0x95 => {
                take(&mut pos, 8)?; // FRAME
            }
            b'.' => return pop(&mut stack),
            b'(' => stack.push(Value::Mark),
            b'N' => stack.push(Value::None),
            0x88 | 0x89 => stack.push(Value::Bool),
            b'K' => stack.push(Value::Int(i64::from(take(&mut pos, 1)?[0]))),
            b'M' => stack.push(Value::Int(le(take(&mut pos, 2)?) as i64)),
            b'J' => stack.push(Value::Int(i64::from(le(take(&mut pos, 4)?) as u32 as i32))),
            0x8a => {
                let n = take(&mut pos, 1)?[0] as usize;
                let b = take(&mut pos, n)?;
                if n > 8 {
                    return Err(bad(path, "integer too large"));
                }
                let mut v = le(b) as i64;
                if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 {
                    v -= 1i64 << (8 * n);
                }
                stack.push(Value::Int(v));
            }
            0x8c | b'X' | 0x8d => {
                let n = match op {
                    0x8c => take(&mut pos, 1)?[0] as usize,
                    b'X' => le(take(&mut pos, 4)?) as usize,
                    _ => le(take(&mut pos, 8)?) as usize,
                };
                let s = std::str::from_utf8(take(&mut pos, n)?)
                    .map_err(|_| bad(path, "invalid UTF-8 string"))?;
                stack.push(Value::Str(s.to_string()));
            }
            b'C' | b'B' | 0x8e | b'U' | b'T' => {
                let n = match op {
                    b'C' | b'U' => take(&mut pos, 1)?[0] as usize,
                    b'T' => le(take(&mut pos, 4)?) as usize,
                    b'B' => le(take(&mut pos, 4)?) as usize,
                    _ => le(take(&mut pos, 8)?) as usize,
                };
                take(&mut pos, n)?;
                stack.push(Value::Bytes);
            }
            b'c' => {
                for _ in 0..2 {
                    let nl = data[pos..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .ok_or_else(|| bad(path, "unterminated GLOBAL"))?;
                    pos += nl + 1;
                }
                stack.push(Value::Opaque(Items::default()));
            }
            0x93 => {
                pop(&mut stack)?;
                pop(&mut stack)?;
                stack.push(Value::Opaque(Items::default())); // STACK_GLOBAL
            }
            0x94 => {
                let top = stack
                    .last()
                    .ok_or_else(|| bad(path, "MEMOIZE on empty stack"))?;
                charge(top)?;
                memo.insert(memo.len() as u32, top.clone());
            }
            b'q' | b'r' => {
                let key = if op == b'q' {
                    u32::from(take(&mut pos, 1)?[0])
                } else {
                    le(take(&mut pos, 4)?) as u32
                };
                let top = stack
                    .last()
                    .ok_or_else(|| bad(path, "PUT on empty stack"))?;
                charge(top)?;
                memo.insert(key, top.clone());
            }
            b'h' | b'j' => {
                let key = if op == b'h' {
                    u32::from(take(&mut pos, 1)?[0])
                } else {
                    le(take(&mut pos, 4)?) as u32
                };
                let value = memo
                    .get(&key)
                    .ok_or_else(|| bad(path, "GET of an unknown memo key"))?;
                charge(value)?;
                stack.push(value.clone());
            }
            b')' => stack.push(Value::Tuple(Items::default())),
            b']' => stack.push(Value::List(Items::default())),
            b'}' => stack.push(Value::Dict(Items::default())),
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if stack.len() < n {
                    return Err(bad(path, "stack underflow"));
                }
                let items = stack.split_off(stack.len() - n);
                stack.push(Value::Tuple(Items::new(items)));
            }
            b't' => {
                let items = pop_mark(&mut stack)?;
                stack.push(Value::Tuple(Items::new(items)));
            }
            b'l' => {
                let items = pop_mark(&mut stack)?;
                stack.push(Value::List(Items::new(items)));
            }
            b'd' | b'u' => {
                let items = pop_mark(&mut stack)?;
                if items.len() % 2 != 0 {
                    return Err(bad(path, "odd number of dict items"));
                }
                if op == b'd' {
                    stack.push(Value::Dict(Items::new(items)));
                } else {
                    match stack.last_mut() {
                        Some(Value::Dict(d)) => d.extend(items),
                        _ => return Err(bad(path, "SETITEMS on a non-dict")),
                    }
                }
            }
            b's' => {
                let v = pop(&mut stack)?;
                let k = pop(&mut stack)?;
                match stack.last_mut() {
                    Some(Value::Dict(d)) => d.extend([k, v]),
                    _ => return Err(bad(path, "SETITEM on a non-dict")),
                }
            }
            b'a' | b'e' => {
                let items = if op == b'a' {
                    vec![pop(&mut stack)?]
                } else {
                    pop_mark(&mut stack)?
                };
                match stack.last_mut() {
                    Some(Value::List(l)) => l.extend(items),
                    _ => return Err(bad(path, "APPEND on a non-list")),
                }
            }
            b'R' | 0x81 => {
                let args = pop(&mut stack)?;
                pop(&mut stack)?;
                stack.push(Value::Opaque(Items::new(vec![args]))); // REDUCE / NEWOBJ: recorded, never called
            }
            b'b' => {
                let state = pop(&mut stack)?;
                match stack.last_mut() {
                    Some(Value::Opaque(parts)) => parts.extend([state]),
                    _ => return Err(bad(path, "BUILD on an unexpected object")),
                }
            }
            other => {
                return Err(bad(
                    path,
                    format!(
                        "unsupported pickle opcode 0x{other:02x} at byte {}",
                        pos - 1
                    ),
                ))
            }
        }
    }
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'X');
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Writes `mapping` as numpy would save the dict (`numpy.save(path, mapping)`), atomically.
pub fn write_label_mapping(path: &Path, mapping: &BTreeMap<i64, String>) -> Result<()> {
    let mut p: Vec<u8> = vec![0x80, 0x02];
    p.extend_from_slice(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n");
    p.extend_from_slice(b"K\x00\x85U\x01b\x87R(K\x01)cnumpy\ndtype\n");
    push_str(&mut p, "O8");
    p.extend_from_slice(b"\x89\x88\x87R(K\x03");
    push_str(&mut p, "|");
    p.extend_from_slice(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x3ftb\x89]}(");
    for (k, v) in mapping {
        p.push(b'J');
        p.extend_from_slice(&(*k as i32).to_le_bytes());
        push_str(&mut p, v);
    }
    p.extend_from_slice(b"uatb.");
    // `U` (SHORT_BINSTRING) is the protocol-2 spelling of the one-byte dtype code b'b'.
    let out = super::npy::with_header("{'descr': '|O', 'fortran_order': False, 'shape': (), }", &p);
    write_atomic(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("mapping_prf-visualrois.npy");
        let m = BTreeMap::from([
            (0, "Unknown".to_string()),
            (1, "V1v".to_string()),
            (300, "hV4".to_string()),
        ]);
        write_label_mapping(&path, &m).unwrap();
        assert_eq!(read_label_mapping(&path).unwrap(), m);
    }

    #[test]
    fn garbage_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("m.npy");
        std::fs::write(&path, b"\x93NUMPY\x01\x00\x46\x00{'descr': '|O', 'fortran_order': False, 'shape': (), }          \n\xff").unwrap();
        assert!(read_label_mapping(&path).is_err());
    }
}
