//! Aggregation expressions: field paths, variables, literals and operators.
use std::cmp::Ordering;
use std::collections::HashMap;

use bson::{Bson, Document};

use crate::error::{CmdResult, CommandError};
use crate::value::{self, add_numbers, as_f64, as_i64, compare, mul_numbers, truthy};

/// Variables visible to an expression (`$$ROOT`, `$$CURRENT`, `$$NOW`, `let` bindings).
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    vars: HashMap<String, Bson>,
}

impl Vars {
    /// Whether no variable is bound.
    pub(crate) fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Binds `name` in place.
    pub(crate) fn set(&mut self, name: &str, v: Bson) {
        self.vars.insert(name.to_string(), v);
    }

    /// A copy with one more binding.
    pub(crate) fn with(&self, name: &str, v: Bson) -> Self {
        let mut c = self.clone();
        c.vars.insert(name.to_string(), v);
        c
    }
}

/// The hidden field carrying a document's `{$meta: "vectorSearchScore"}` through a pipeline.
pub(crate) const VECTOR_SCORE: &str = "$__mdbrVectorSearchScore";
/// The hidden field carrying a document's `{$meta: "searchScore"}` through a pipeline.
pub(crate) const SEARCH_SCORE: &str = "$__mdbrSearchScore";

/// Removes the hidden metadata fields from a pipeline's output.
pub(crate) fn strip_meta(docs: &mut [Document]) {
    for d in docs {
        if d.contains_key(VECTOR_SCORE) {
            d.remove(VECTOR_SCORE);
        }
        if d.contains_key(SEARCH_SCORE) {
            d.remove(SEARCH_SCORE);
        }
    }
}

/// A marker for `$$REMOVE`: evaluating to this removes a field.
pub(crate) fn is_remove(v: &Bson) -> bool {
    matches!(v, Bson::Undefined)
}

/// Evaluates an expression against `doc` (the current document).
pub(crate) fn eval(e: &Bson, doc: &Document, vars: &Vars) -> CmdResult<Bson> {
    match e {
        Bson::String(s) if s.starts_with("$$") => var(&s[2..], doc, vars),
        Bson::String(s) if s.starts_with('$') => Ok(field(doc, &s[1..])),
        Bson::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                let v = eval(x, doc, vars)?;
                out.push(if is_remove(&v) { Bson::Null } else { v });
            }
            Ok(Bson::Array(out))
        }
        Bson::Document(d) => {
            if let Some(first) = d.keys().next()
                && first.starts_with('$')
            {
                if d.len() != 1 {
                    return Err(CommandError::new(
                        15983,
                        format!(
                            "an expression specification must contain exactly one field, the name of the expression. Found {} fields",
                            d.len()
                        ),
                    ));
                }
                let arg = d.get(first).unwrap_or(&Bson::Null);
                return operator(first, arg, doc, vars);
            }
            let mut out = Document::new();
            for (k, v) in d {
                let r = eval(v, doc, vars)?;
                if !is_remove(&r) {
                    out.insert(k.clone(), r);
                }
            }
            Ok(Bson::Document(out))
        }
        other => Ok(other.clone()),
    }
}

fn var(name: &str, doc: &Document, vars: &Vars) -> CmdResult<Bson> {
    let (head, rest) = match name.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (name, None),
    };
    let base = match head {
        "ROOT" | "CURRENT" => {
            vars.vars.get(head).cloned().unwrap_or_else(|| Bson::Document(doc.clone()))
        }
        "NOW" => Bson::DateTime(bson::DateTime::now()),
        "REMOVE" => Bson::Undefined,
        other => vars.vars.get(other).cloned().ok_or_else(|| {
            CommandError::new(17276, format!("Use of undefined variable: {other}"))
        })?,
    };
    Ok(match rest {
        None => base,
        Some(r) => match &base {
            Bson::Document(d) => field(d, r),
            _ => Bson::Undefined,
        },
    })
}

/// The value of a field path in an expression (arrays map over their elements).
pub(crate) fn field(doc: &Document, p: &str) -> Bson {
    let parts: Vec<&str> = p.split('.').collect();
    match doc.get(parts[0]) {
        None => Bson::Undefined,
        Some(v) => field_in(v, &parts[1..]),
    }
}

fn field_in(v: &Bson, parts: &[&str]) -> Bson {
    let Some((first, rest)) = parts.split_first() else { return v.clone() };
    match v {
        Bson::Document(d) => match d.get(*first) {
            None => Bson::Undefined,
            Some(c) => field_in(c, rest),
        },
        Bson::Array(a) => Bson::Array(
            a.iter()
                .filter(|e| matches!(e, Bson::Document(_) | Bson::Array(_)))
                .map(|e| field_in(e, parts))
                .filter(|x| !is_remove(x))
                .collect(),
        ),
        _ => Bson::Undefined,
    }
}

pub(crate) fn args(arg: &Bson, doc: &Document, vars: &Vars) -> CmdResult<Vec<Bson>> {
    match arg {
        Bson::Array(a) => a.iter().map(|x| eval(x, doc, vars)).collect(),
        other => Ok(vec![eval(other, doc, vars)?]),
    }
}

pub(crate) fn nullish(v: &Bson) -> bool {
    matches!(v, Bson::Null | Bson::Undefined)
}

pub(crate) fn expect_n(op: &str, a: &[Bson], n: usize) -> CmdResult<()> {
    if a.len() != n {
        return Err(CommandError::new(
            16020,
            format!("Expression {op} takes exactly {n} arguments. {} were passed in.", a.len()),
        ));
    }
    Ok(())
}

fn operator(op: &str, arg: &Bson, doc: &Document, vars: &Vars) -> CmdResult<Bson> {
    match op {
        "$literal" => Ok(arg.clone()),
        "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$cmp" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            let l = if is_remove(&a[0]) { Bson::Null } else { a[0].clone() };
            let r = if is_remove(&a[1]) { Bson::Null } else { a[1].clone() };
            let o = compare(&l, &r);
            Ok(match op {
                "$eq" => Bson::Boolean(o == Ordering::Equal),
                "$ne" => Bson::Boolean(o != Ordering::Equal),
                "$gt" => Bson::Boolean(o == Ordering::Greater),
                "$gte" => Bson::Boolean(o != Ordering::Less),
                "$lt" => Bson::Boolean(o == Ordering::Less),
                "$lte" => Bson::Boolean(o != Ordering::Greater),
                _ => Bson::Int32(match o {
                    Ordering::Less => -1,
                    Ordering::Equal => 0,
                    Ordering::Greater => 1,
                }),
            })
        }
        "$and" => {
            for x in args_raw(arg) {
                if !truthy(&eval(x, doc, vars)?) {
                    return Ok(Bson::Boolean(false));
                }
            }
            Ok(Bson::Boolean(true))
        }
        "$or" => {
            for x in args_raw(arg) {
                if truthy(&eval(x, doc, vars)?) {
                    return Ok(Bson::Boolean(true));
                }
            }
            Ok(Bson::Boolean(false))
        }
        "$not" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            Ok(Bson::Boolean(!truthy(&a[0])))
        }
        "$add" => {
            let a = args(arg, doc, vars)?;
            let mut acc = Bson::Int32(0);
            let mut date: Option<i64> = None;
            for x in &a {
                if nullish(x) {
                    return Ok(Bson::Null);
                }
                if let Bson::DateTime(d) = x {
                    date = Some(d.timestamp_millis());
                    continue;
                }
                acc = add_numbers(&acc, x).ok_or_else(|| {
                    CommandError::type_mismatch(format!(
                        "$add only supports numeric or date types, not {}",
                        value::type_alias(x)
                    ))
                })?;
            }
            Ok(match date {
                Some(ms) => Bson::DateTime(bson::DateTime::from_millis(
                    ms.saturating_add(as_f64(&acc).unwrap_or(0.0) as i64),
                )),
                None => acc,
            })
        }
        "$multiply" => {
            let a = args(arg, doc, vars)?;
            let mut acc = Bson::Int32(1);
            for x in &a {
                if nullish(x) {
                    return Ok(Bson::Null);
                }
                acc = mul_numbers(&acc, x).ok_or_else(|| {
                    CommandError::type_mismatch(format!(
                        "$multiply only supports numeric types, not {}",
                        value::type_alias(x)
                    ))
                })?;
            }
            Ok(acc)
        }
        "$subtract" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            if nullish(&a[0]) || nullish(&a[1]) {
                return Ok(Bson::Null);
            }
            match (&a[0], &a[1]) {
                (Bson::DateTime(x), Bson::DateTime(y)) => {
                    Ok(Bson::Int64(x.timestamp_millis().saturating_sub(y.timestamp_millis())))
                }
                (Bson::DateTime(x), n) => Ok(Bson::DateTime(bson::DateTime::from_millis(
                    x.timestamp_millis().saturating_sub(as_f64(n).unwrap_or(0.0) as i64),
                ))),
                (x, y) => {
                    let neg = mul_numbers(y, &Bson::Int32(-1));
                    neg.and_then(|n| add_numbers(x, &n)).ok_or_else(|| {
                        CommandError::type_mismatch("$subtract only supports numeric or date types")
                    })
                }
            }
        }
        "$divide" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            if nullish(&a[0]) || nullish(&a[1]) {
                return Ok(Bson::Null);
            }
            let (x, y) = (
                as_f64(&a[0]).ok_or_else(|| {
                    CommandError::type_mismatch("$divide only supports numeric types")
                })?,
                as_f64(&a[1]).ok_or_else(|| {
                    CommandError::type_mismatch("$divide only supports numeric types")
                })?,
            );
            if y == 0.0 {
                return Err(CommandError::bad_value("can't $divide by zero"));
            }
            Ok(Bson::Double(x / y))
        }
        "$mod" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            if nullish(&a[0]) || nullish(&a[1]) {
                return Ok(Bson::Null);
            }
            match (as_i64(&a[0]), as_i64(&a[1]), &a[0], &a[1]) {
                (_, Some(0), _, _) => Err(CommandError::bad_value("can't $mod by zero")),
                (Some(x), Some(y), Bson::Int32(_), Bson::Int32(_)) => {
                    Ok(Bson::Int32(x.wrapping_rem(y) as i32))
                }
                (
                    Some(x),
                    Some(y),
                    Bson::Int32(_) | Bson::Int64(_),
                    Bson::Int32(_) | Bson::Int64(_),
                ) => Ok(Bson::Int64(x.wrapping_rem(y))),
                _ => {
                    let x = as_f64(&a[0]).ok_or_else(|| {
                        CommandError::type_mismatch("$mod only supports numeric types")
                    })?;
                    let y = as_f64(&a[1]).ok_or_else(|| {
                        CommandError::type_mismatch("$mod only supports numeric types")
                    })?;
                    Ok(Bson::Double(x % y))
                }
            }
        }
        "$abs" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            Ok(match &a[0] {
                Bson::Int32(i) => i.checked_abs().map_or(Bson::Int64(-i64::from(*i)), Bson::Int32),
                Bson::Int64(i) => Bson::Int64(i.wrapping_abs()),
                Bson::Double(d) => Bson::Double(d.abs()),
                x if nullish(x) => Bson::Null,
                _ => return Err(CommandError::type_mismatch("$abs only supports numeric types")),
            })
        }
        "$cond" => {
            let (c, t, f) = match arg {
                Bson::Array(a) if a.len() == 3 => (&a[0], &a[1], &a[2]),
                Bson::Document(d) => (
                    d.get("if").ok_or_else(|| {
                        CommandError::bad_value("Missing 'if' parameter to $cond")
                    })?,
                    d.get("then").ok_or_else(|| {
                        CommandError::bad_value("Missing 'then' parameter to $cond")
                    })?,
                    d.get("else").ok_or_else(|| {
                        CommandError::bad_value("Missing 'else' parameter to $cond")
                    })?,
                ),
                _ => return Err(CommandError::bad_value("$cond takes 3 arguments")),
            };
            if truthy(&eval(c, doc, vars)?) { eval(t, doc, vars) } else { eval(f, doc, vars) }
        }
        "$ifNull" => {
            let raw = args_raw(arg);
            let n = raw.len();
            for (i, x) in raw.into_iter().enumerate() {
                let v = eval(x, doc, vars)?;
                if !nullish(&v) || i + 1 == n {
                    return Ok(v);
                }
            }
            Ok(Bson::Null)
        }
        "$concat" => {
            let a = args(arg, doc, vars)?;
            let mut s = String::new();
            for x in &a {
                match x {
                    Bson::String(p) => s.push_str(p),
                    x if nullish(x) => return Ok(Bson::Null),
                    _ => {
                        return Err(CommandError::new(
                            16702,
                            format!("$concat only supports strings, not {}", value::type_alias(x)),
                        ));
                    }
                }
            }
            Ok(Bson::String(s))
        }
        "$toLower" | "$toUpper" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            let s = match &a[0] {
                Bson::String(s) => s.clone(),
                x if nullish(x) => String::new(),
                other => other.to_string(),
            };
            Ok(Bson::String(if op == "$toLower" { s.to_lowercase() } else { s.to_uppercase() }))
        }
        "$size" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            match &a[0] {
                Bson::Array(x) => Ok(Bson::Int32(x.len() as i32)),
                other => Err(CommandError::new(
                    17124,
                    format!(
                        "The argument to $size must be an array. Type of argument: {}",
                        value::type_alias(other)
                    ),
                )),
            }
        }
        "$in" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            match &a[1] {
                Bson::Array(x) => {
                    Ok(Bson::Boolean(x.iter().any(|e| compare(e, &a[0]) == Ordering::Equal)))
                }
                _ => Err(CommandError::new(40081, "$in requires an array as a second argument")),
            }
        }
        "$arrayElemAt" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            if nullish(&a[0]) || nullish(&a[1]) {
                return Ok(Bson::Null);
            }
            let Bson::Array(arr) = &a[0] else {
                return Err(CommandError::new(
                    28689,
                    "$arrayElemAt's first argument must be an array",
                ));
            };
            let i = as_i64(&a[1]).ok_or_else(|| {
                CommandError::new(28690, "$arrayElemAt's second argument must be a numeric value")
            })?;
            let idx = if i < 0 { arr.len() as i64 + i } else { i };
            Ok(if idx >= 0 {
                arr.get(idx as usize).cloned().unwrap_or(Bson::Undefined)
            } else {
                Bson::Undefined
            })
        }
        "$type" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            Ok(Bson::String(if is_remove(&a[0]) {
                "missing".to_string()
            } else {
                value::type_alias(&a[0]).to_string()
            }))
        }
        "$isArray" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            Ok(Bson::Boolean(matches!(a[0], Bson::Array(_))))
        }
        "$toString" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            Ok(match &a[0] {
                Bson::String(s) => Bson::String(s.clone()),
                x if nullish(x) => Bson::Null,
                Bson::ObjectId(o) => Bson::String(o.to_hex()),
                Bson::Int32(i) => Bson::String(i.to_string()),
                Bson::Int64(i) => Bson::String(i.to_string()),
                Bson::Double(d) => Bson::String(d.to_string()),
                Bson::Boolean(b) => Bson::String(b.to_string()),
                Bson::DateTime(d) => Bson::String(d.try_to_rfc3339_string().unwrap_or_default()),
                other => Bson::String(other.to_string()),
            })
        }
        "$let" => {
            let Bson::Document(d) = arg else {
                return Err(CommandError::bad_value(
                    "$let only supports an object as its argument",
                ));
            };
            let mut inner = vars.clone();
            if let Some(Bson::Document(vs)) = d.get("vars") {
                for (k, v) in vs {
                    let val = eval(v, doc, vars)?;
                    inner = inner.with(k, val);
                }
            }
            eval(d.get("in").unwrap_or(&Bson::Null), doc, &inner)
        }
        "$min" | "$max" => {
            let a = args(arg, doc, vars)?;
            let flat: Vec<Bson> = if a.len() == 1 {
                match &a[0] {
                    Bson::Array(x) => x.clone(),
                    o => vec![o.clone()],
                }
            } else {
                a
            };
            let mut best: Option<Bson> = None;
            for v in flat.into_iter().filter(|v| !nullish(v)) {
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = compare(&v, &b);
                        if (op == "$min" && o == Ordering::Less)
                            || (op == "$max" && o == Ordering::Greater)
                        {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            Ok(best.unwrap_or(Bson::Null))
        }
        "$sum" | "$avg" => {
            let a = args(arg, doc, vars)?;
            let flat: Vec<Bson> = if a.len() == 1 {
                match &a[0] {
                    Bson::Array(x) => x.clone(),
                    o => vec![o.clone()],
                }
            } else {
                a
            };
            let nums: Vec<&Bson> = flat.iter().filter(|v| value::is_number(v)).collect();
            let mut acc = Bson::Int32(0);
            for n in &nums {
                acc = add_numbers(&acc, n).unwrap_or(acc);
            }
            if op == "$avg" {
                if nums.is_empty() {
                    return Ok(Bson::Null);
                }
                return Ok(Bson::Double(as_f64(&acc).unwrap_or(0.0) / nums.len() as f64));
            }
            Ok(acc)
        }
        "$meta" => Ok(match arg {
            Bson::String(m) if m == "vectorSearchScore" => {
                doc.get(VECTOR_SCORE).cloned().unwrap_or(Bson::Null)
            }
            Bson::String(m) if m == "searchScore" => {
                doc.get(SEARCH_SCORE).cloned().unwrap_or(Bson::Null)
            }
            _ => Bson::Null,
        }),
        "$mergeObjects" => {
            let mut out = Document::new();
            for v in args(arg, doc, vars)? {
                match v {
                    Bson::Document(d) => out.extend(d),
                    x if nullish(&x) => {}
                    other => {
                        return Err(CommandError::new(
                            40400,
                            format!(
                                "$mergeObjects requires object inputs, but input {other} is of type {}",
                                value::type_alias(&other)
                            ),
                        ));
                    }
                }
            }
            Ok(Bson::Document(out))
        }
        "$concatArrays" => {
            let mut out = Vec::new();
            for v in args(arg, doc, vars)? {
                match v {
                    Bson::Array(a) => out.extend(a),
                    x if nullish(&x) => return Ok(Bson::Null),
                    other => {
                        return Err(CommandError::new(
                            28664,
                            format!(
                                "$concatArrays only supports arrays, not {}",
                                value::type_alias(&other)
                            ),
                        ));
                    }
                }
            }
            Ok(Bson::Array(out))
        }
        "$filter" | "$map" => {
            let Bson::Document(spec) = arg else {
                return Err(CommandError::new(
                    28646,
                    format!("{op} only supports an object as its argument"),
                ));
            };
            let input = eval(spec.get("input").unwrap_or(&Bson::Null), doc, vars)?;
            let name = spec.get_str("as").unwrap_or("this");
            let body = if op == "$filter" { spec.get("cond") } else { spec.get("in") };
            let body =
                body.ok_or_else(|| CommandError::new(28648, format!("Missing parameter to {op}")))?;
            let items = match input {
                Bson::Array(a) => a,
                x if nullish(&x) => return Ok(Bson::Null),
                other => {
                    return Err(CommandError::new(
                        28651,
                        format!("input to {op} must be an array not {}", value::type_alias(&other)),
                    ));
                }
            };
            let mut out = Vec::new();
            for item in items {
                let v = eval(body, doc, &vars.with(name, item.clone()))?;
                if op == "$map" {
                    out.push(if is_remove(&v) { Bson::Null } else { v });
                } else if truthy(&v) {
                    out.push(item);
                }
            }
            Ok(Bson::Array(out))
        }
        "$objectToArray" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            match &a[0] {
                Bson::Document(d) => Ok(Bson::Array(
                    d.iter()
                        .map(|(k, v)| Bson::Document(bson::doc! { "k": k.clone(), "v": v.clone() }))
                        .collect(),
                )),
                x if nullish(x) => Ok(Bson::Null),
                other => Err(CommandError::new(
                    40390,
                    format!(
                        "$objectToArray requires a document input, found: {}",
                        value::type_alias(other)
                    ),
                )),
            }
        }
        "$arrayToObject" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            let Bson::Array(items) = &a[0] else {
                return if nullish(&a[0]) {
                    Ok(Bson::Null)
                } else {
                    Err(CommandError::new(40386, "$arrayToObject requires an array input"))
                };
            };
            let mut out = Document::new();
            for it in items {
                match it {
                    Bson::Document(d) => {
                        if let (Ok(k), Some(v)) = (d.get_str("k"), d.get("v")) {
                            out.insert(k.to_string(), v.clone());
                        }
                    }
                    Bson::Array(pair) if pair.len() == 2 => {
                        if let Bson::String(k) = &pair[0] {
                            out.insert(k.clone(), pair[1].clone());
                        }
                    }
                    _ => {
                        return Err(CommandError::new(
                            40398,
                            "Unrecognised input type format for $arrayToObject",
                        ));
                    }
                }
            }
            Ok(Bson::Document(out))
        }
        "$toInt" | "$toLong" | "$toDouble" | "$toBool" | "$toObjectId" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            let v = &a[0];
            if nullish(v) {
                return Ok(Bson::Null);
            }
            let bad = || {
                CommandError::new(
                    241,
                    format!("Unsupported conversion from {} in {op}", value::type_alias(v)),
                )
            };
            let num = || -> Option<f64> {
                match v {
                    Bson::String(s) => s.trim().parse::<f64>().ok(),
                    Bson::Boolean(b) => Some(if *b { 1.0 } else { 0.0 }),
                    Bson::DateTime(d) => Some(d.timestamp_millis() as f64),
                    other => as_f64(other),
                }
            };
            Ok(match op {
                "$toInt" => Bson::Int32(num().ok_or_else(bad)?.trunc() as i32),
                "$toLong" => Bson::Int64(num().ok_or_else(bad)?.trunc() as i64),
                "$toDouble" => Bson::Double(num().ok_or_else(bad)?),
                "$toBool" => Bson::Boolean(truthy(v)),
                _ => match v {
                    Bson::ObjectId(o) => Bson::ObjectId(*o),
                    Bson::String(s) => {
                        Bson::ObjectId(bson::oid::ObjectId::parse_str(s).map_err(|_| bad())?)
                    }
                    _ => return Err(bad()),
                },
            })
        }
        "$substr" | "$substrCP" | "$substrBytes" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 3)?;
            let s = match &a[0] {
                Bson::String(s) => s.clone(),
                x if nullish(x) => return Ok(Bson::String(String::new())),
                other => other.to_string(),
            };
            let start = as_i64(&a[1]).unwrap_or(0).max(0) as usize;
            let len = as_i64(&a[2]).unwrap_or(-1);
            let chars: Vec<char> = s.chars().collect();
            let end = if len < 0 {
                chars.len()
            } else {
                start.saturating_add(len as usize).min(chars.len())
            };
            Ok(Bson::String(
                chars
                    .get(start.min(chars.len())..end.max(start.min(chars.len())))
                    .map(|c| c.iter().collect())
                    .unwrap_or_default(),
            ))
        }
        "$strLenCP" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            match &a[0] {
                Bson::String(s) => Ok(Bson::Int32(s.chars().count() as i32)),
                other => Err(CommandError::new(
                    34471,
                    format!(
                        "$strLenCP requires a string argument, found: {}",
                        value::type_alias(other)
                    ),
                )),
            }
        }
        "$split" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            match (&a[0], &a[1]) {
                (Bson::String(s), Bson::String(sep)) if !sep.is_empty() => Ok(Bson::Array(
                    s.split(sep.as_str()).map(|p| Bson::String(p.to_string())).collect(),
                )),
                (x, _) if nullish(x) => Ok(Bson::Null),
                _ => Err(CommandError::new(
                    40085,
                    "$split requires a string and a non-empty string delimiter",
                )),
            }
        }
        other => crate::aggregate::operators::eval_more(other, arg, doc, vars),
    }
}

fn args_raw(arg: &Bson) -> Vec<&Bson> {
    match arg {
        Bson::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}
