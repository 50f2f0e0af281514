//! The filter matcher: a query document compiled once, then matched against documents.
use std::cmp::Ordering;

use bson::raw::RawDocument;
use bson::{Bson, Document};

use crate::aggregate::expr;
use crate::engine::record::{Record, elements, raw_field, scalar};
use crate::error::{CmdResult, CommandError};
use crate::query::path::{self, Leaf};
use crate::value::{self, as_f64, compare, type_rank, values_equal};

/// A compiled query filter.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    root: Node,
}

/// One node of a compiled filter.
#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Nor(Vec<Node>),
    Field { path: String, parts: Vec<String>, pred: Pred },
    Expr(Bson, Option<Box<expr::Vars>>),
}

/// A predicate on the values at one path.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    Eq(Bson),
    Cmp(Ordering, bool, Bson),
    In(Vec<Pred>),
    Exists(bool),
    Type(Vec<TypeSel>),
    Size(i64),
    ElemValue(Vec<Pred>),
    ElemDoc(Box<Filter>),
    Regex(Box<regex::Regex>),
    Mod(i64, i64),
    Not(Box<Pred>),
    And(Vec<Pred>),
}

/// A `$type` selector.
#[derive(Debug, Clone)]
pub(crate) enum TypeSel {
    Code(i32),
    Number,
}

impl Filter {
    /// Compiles a query document.
    pub(crate) fn new(query: &Document) -> CmdResult<Self> {
        Ok(Self { root: parse_doc(query, None)? })
    }

    /// Compiles a query document without its top-level string equalities `{field: "text"}`
    /// for which `holds(field, text)` says every document satisfies them: the result selects
    /// the same documents and does not check what is known to hold.
    pub(crate) fn new_without(query: &Document, holds: Holds<'_>) -> CmdResult<Self> {
        Ok(Self { root: parse_doc(query, Some(holds))? })
    }

    /// Compiles a query document whose `$expr` parts see the variables `vars` (`let`).
    pub(crate) fn with_vars(query: &Document, vars: &expr::Vars) -> CmdResult<Self> {
        let mut root = parse_doc(query, None)?;
        if !vars.is_empty() {
            attach_vars(&mut root, vars);
        }
        Ok(Self { root })
    }

    /// A filter matching everything.
    pub(crate) fn all() -> Self {
        Self { root: Node::And(Vec::new()) }
    }

    /// Whether `doc` matches.
    pub(crate) fn matches(&self, doc: &Document) -> bool {
        matches_node(&self.root, doc)
    }

    /// Whether a stored document matches, decided from its bytes when the filter allows it, so
    /// that a scan decodes only the documents it returns. The bytes are tried first even when
    /// the decoded form exists: top-level predicates read them without hashing or allocating.
    pub(crate) fn matches_record(&self, r: &Record) -> bool {
        match matches_raw(&self.root, r) {
            Some(m) => m,
            None => self.matches(r.doc()),
        }
    }

    /// The index of the first element of the array at `array_path` that satisfies the
    /// predicates on that array, as the positional `$` operator needs.
    pub(crate) fn positional_index(&self, doc: &Document, array_path: &str) -> Option<usize> {
        let mut preds = Vec::new();
        collect_conjuncts(&self.root, array_path, &mut preds);
        let Some(Bson::Array(arr)) = path::get(doc, array_path) else { return None };
        if preds.is_empty() {
            return None;
        }
        for (i, elem) in arr.iter().enumerate() {
            let mut probe = doc.clone();
            set_path_simple(&mut probe, array_path, Bson::Array(vec![elem.clone()]))?;
            if preds.iter().all(|n| matches_node(n, &probe)) {
                return Some(i);
            }
        }
        None
    }

    /// The top-level (conjunctive) predicates on each path, for the planner.
    pub(crate) fn top_level_preds(&self) -> Vec<(&str, &Pred)> {
        let mut out = Vec::new();
        collect_top(&self.root, &mut out);
        out
    }
}

fn collect_top<'a>(n: &'a Node, out: &mut Vec<(&'a str, &'a Pred)>) {
    match n {
        Node::And(v) => v.iter().for_each(|c| collect_top(c, out)),
        Node::Field { path, pred, .. } => match pred {
            Pred::And(ps) => ps.iter().for_each(|p| out.push((path.as_str(), p))),
            p => out.push((path.as_str(), p)),
        },
        _ => {}
    }
}

fn collect_conjuncts(n: &Node, prefix: &str, out: &mut Vec<Node>) {
    match n {
        Node::And(v) => v.iter().for_each(|c| collect_conjuncts(c, prefix, out)),
        Node::Field { path, .. } if path == prefix || path.starts_with(&format!("{prefix}.")) => {
            out.push(n.clone())
        }
        _ => {}
    }
}

fn set_path_simple(doc: &mut Document, p: &str, v: Bson) -> Option<()> {
    let parts: Vec<&str> = p.split('.').collect();
    let (last, init) = parts.split_last()?;
    let mut cur = doc;
    for part in init {
        cur = match cur.get_mut(*part)? {
            Bson::Document(d) => d,
            _ => return None,
        };
    }
    cur.insert(last.to_string(), v);
    Some(())
}

/// Says whether every document holds a string in a top-level field.
pub(crate) type Holds<'a> = &'a dyn Fn(&str, &str) -> bool;

/// Compiles a query document; `known` (top level only) names string equalities to leave out.
fn parse_doc(query: &Document, known: Option<Holds<'_>>) -> CmdResult<Node> {
    let mut nodes = Vec::new();
    for (k, v) in query {
        if let (Some(holds), Bson::String(text)) = (known, v)
            && !k.starts_with('$')
            && holds(k, text)
        {
            continue;
        }
        if let Some(op) = k.strip_prefix('$') {
            match op {
                "and" | "or" | "nor" => {
                    let Bson::Array(arr) = v else {
                        return Err(CommandError::bad_value(format!("${op} must be an array")));
                    };
                    if arr.is_empty() {
                        return Err(CommandError::bad_value(
                            "$and/$or/$nor must be a nonempty array".to_string(),
                        ));
                    }
                    let mut children = Vec::new();
                    for e in arr {
                        let Bson::Document(d) = e else {
                            return Err(CommandError::bad_value(format!(
                                "${op} argument's entries must be objects"
                            )));
                        };
                        children.push(parse_doc(d, None)?);
                    }
                    nodes.push(match op {
                        "and" => Node::And(children),
                        "or" => Node::Or(children),
                        _ => Node::Nor(children),
                    });
                }
                "expr" => nodes.push(Node::Expr(v.clone(), None)),
                "comment" => {}
                "where" => {
                    return Err(CommandError::bad_value(
                        "$where is not supported: mdbr-lite does not execute JavaScript",
                    ));
                }
                "text" => {
                    return Err(CommandError::new(
                        crate::error::code::NOT_IMPLEMENTED,
                        "$text is not supported by mdbr-lite",
                    ));
                }
                "alwaysTrue" => {}
                "alwaysFalse" => nodes.push(Node::Or(Vec::new())),
                _ => {
                    return Err(CommandError::bad_value(format!(
                        "unknown top level operator: {k}"
                    )));
                }
            }
        } else {
            nodes.push(Node::Field {
                path: k.clone(),
                parts: path::split(k),
                pred: parse_value(v)?,
            });
        }
    }
    Ok(if nodes.len() == 1 { nodes.remove(0) } else { Node::And(nodes) })
}

fn is_operator_doc(d: &Document) -> bool {
    d.keys()
        .next()
        .is_some_and(|k| k.starts_with('$') && !matches!(k.as_str(), "$ref" | "$id" | "$db"))
}

/// Parses the value side of `{path: value}`.
pub(crate) fn parse_value(v: &Bson) -> CmdResult<Pred> {
    match v {
        Bson::Document(d) if is_operator_doc(d) => parse_ops(d),
        Bson::RegularExpression(r) => {
            Ok(Pred::Regex(Box::new(compile_regex(r.pattern.as_str(), r.options.as_str())?)))
        }
        other => Ok(Pred::Eq(other.clone())),
    }
}

fn compile_regex(pattern: &str, options: &str) -> CmdResult<regex::Regex> {
    let mut b = regex::RegexBuilder::new(pattern);
    for c in options.chars() {
        match c {
            'i' => {
                b.case_insensitive(true);
            }
            'm' => {
                b.multi_line(true);
            }
            's' => {
                b.dot_matches_new_line(true);
            }
            'x' => {
                b.ignore_whitespace(true);
            }
            'u' | 'l' => {}
            other => {
                return Err(CommandError::bad_value(format!(
                    "invalid flag in regex options: {other}"
                )));
            }
        }
    }
    b.build().map_err(|e| CommandError::bad_value(format!("Regular expression is invalid: {e}")))
}

fn parse_ops(d: &Document) -> CmdResult<Pred> {
    let mut preds = Vec::new();
    let options = d.get("$options").map(|o| match o {
        Bson::String(s) => Ok(s.clone()),
        _ => Err(CommandError::bad_value("$options has to be a string")),
    });
    let options = match options {
        Some(r) => Some(r?),
        None => None,
    };
    for (op, arg) in d {
        let p = match op.as_str() {
            "$eq" => Pred::Eq(arg.clone()),
            "$ne" => Pred::Not(Box::new(Pred::Eq(arg.clone()))),
            "$gt" => Pred::Cmp(Ordering::Greater, false, arg.clone()),
            "$gte" => Pred::Cmp(Ordering::Greater, true, arg.clone()),
            "$lt" => Pred::Cmp(Ordering::Less, false, arg.clone()),
            "$lte" => Pred::Cmp(Ordering::Less, true, arg.clone()),
            "$in" | "$nin" => {
                let Bson::Array(a) = arg else {
                    return Err(CommandError::bad_value(format!("{op} needs an array")));
                };
                let mut alts = Vec::new();
                for e in a {
                    alts.push(match e {
                        Bson::RegularExpression(r) => Pred::Regex(Box::new(compile_regex(
                            r.pattern.as_str(),
                            r.options.as_str(),
                        )?)),
                        Bson::Document(x) if is_operator_doc(x) => {
                            return Err(CommandError::bad_value("cannot nest $ under $in"));
                        }
                        other => Pred::Eq(other.clone()),
                    });
                }
                if op == "$in" { Pred::In(alts) } else { Pred::Not(Box::new(Pred::In(alts))) }
            }
            "$exists" => Pred::Exists(value::truthy(arg)),
            "$type" => {
                let sels = match arg {
                    Bson::Array(a) => a.iter().map(type_sel).collect::<CmdResult<Vec<_>>>()?,
                    other => vec![type_sel(other)?],
                };
                Pred::Type(sels)
            }
            "$size" => {
                let n = value::as_i64(arg)
                    .ok_or_else(|| CommandError::bad_value("$size needs a number"))?;
                if n < 0 {
                    return Err(CommandError::bad_value("$size may not be negative"));
                }
                Pred::Size(n)
            }
            "$all" => {
                let Bson::Array(a) = arg else {
                    return Err(CommandError::bad_value("$all needs an array"));
                };
                if a.is_empty() {
                    Pred::In(Vec::new())
                } else {
                    let mut ps = Vec::new();
                    for e in a {
                        ps.push(match e {
                            Bson::Document(x)
                                if x.keys().next().map(String::as_str) == Some("$elemMatch") =>
                            {
                                parse_ops(x)?
                            }
                            other => parse_value(other)?,
                        });
                    }
                    Pred::And(ps)
                }
            }
            "$elemMatch" => {
                let Bson::Document(inner) = arg else {
                    return Err(CommandError::bad_value("$elemMatch needs an Object"));
                };
                let value_form = !inner.is_empty()
                    && inner.keys().all(|k| {
                        k.starts_with('$')
                            && !matches!(k.as_str(), "$and" | "$or" | "$nor" | "$expr" | "$where")
                    });
                if value_form {
                    match parse_ops(inner)? {
                        Pred::And(ps) => Pred::ElemValue(ps),
                        p => Pred::ElemValue(vec![p]),
                    }
                } else {
                    Pred::ElemDoc(Box::new(Filter::new(inner)?))
                }
            }
            "$regex" => match arg {
                Bson::String(s) => {
                    Pred::Regex(Box::new(compile_regex(s, options.as_deref().unwrap_or(""))?))
                }
                Bson::RegularExpression(r) => {
                    let opts = options.clone().unwrap_or_else(|| r.options.to_string());
                    Pred::Regex(Box::new(compile_regex(r.pattern.as_str(), &opts)?))
                }
                _ => return Err(CommandError::bad_value("$regex has to be a string")),
            },
            "$options" => {
                if !d.contains_key("$regex") {
                    return Err(CommandError::bad_value("$options needs a $regex"));
                }
                continue;
            }
            "$mod" => {
                let Bson::Array(a) = arg else {
                    return Err(CommandError::bad_value("malformed mod, needs to be an array"));
                };
                if a.len() != 2 {
                    return Err(CommandError::bad_value("malformed mod, not enough elements"));
                }
                let div = as_f64(&a[0]).ok_or_else(|| {
                    CommandError::bad_value("malformed mod, divisor not a number")
                })?;
                let rem = as_f64(&a[1]).ok_or_else(|| {
                    CommandError::bad_value("malformed mod, remainder not a number")
                })?;
                let div = div.trunc() as i64;
                if div == 0 {
                    return Err(CommandError::bad_value("divisor cannot be 0"));
                }
                Pred::Mod(div, rem.trunc() as i64)
            }
            "$not" => match arg {
                Bson::Document(x) if is_operator_doc(x) => Pred::Not(Box::new(parse_ops(x)?)),
                Bson::RegularExpression(r) => Pred::Not(Box::new(Pred::Regex(Box::new(
                    compile_regex(r.pattern.as_str(), r.options.as_str())?,
                )))),
                _ => return Err(CommandError::bad_value("$not needs a regex or a document")),
            },
            "$comment" => continue,
            other => return Err(CommandError::bad_value(format!("unknown operator: {other}"))),
        };
        preds.push(p);
    }
    Ok(if preds.len() == 1 { preds.remove(0) } else { Pred::And(preds) })
}

fn type_sel(v: &Bson) -> CmdResult<TypeSel> {
    if let Some(n) = value::as_i64(v) {
        return Ok(TypeSel::Code(n as i32));
    }
    let Bson::String(s) = v else {
        return Err(CommandError::bad_value("type must be represented as a number or a string"));
    };
    let code = match s.as_str() {
        "number" => return Ok(TypeSel::Number),
        "double" => 1,
        "string" => 2,
        "object" => 3,
        "array" => 4,
        "binData" => 5,
        "undefined" => 6,
        "objectId" => 7,
        "bool" => 8,
        "date" => 9,
        "null" => 10,
        "regex" => 11,
        "dbPointer" => 12,
        "javascript" => 13,
        "symbol" => 14,
        "javascriptWithScope" => 15,
        "int" => 16,
        "timestamp" => 17,
        "long" => 18,
        "decimal" => 19,
        "minKey" => -1,
        "maxKey" => 127,
        other => return Err(CommandError::bad_value(format!("Unknown type name alias: {other}"))),
    };
    Ok(TypeSel::Code(code))
}

fn attach_vars(n: &mut Node, vars: &expr::Vars) {
    match n {
        Node::And(v) | Node::Or(v) | Node::Nor(v) => {
            v.iter_mut().for_each(|c| attach_vars(c, vars));
        }
        Node::Expr(_, slot) => *slot = Some(Box::new(vars.clone())),
        Node::Field { .. } => {}
    }
}

/// Most predicates a conjunction may have to be matched in one walk of the stored bytes.
const ONE_WALK: usize = 8;

/// Matches a conjunction of predicates on top-level fields against a record's BSON bytes;
/// `None` when a part needs the decoded document (an array value, a dotted path, `$or`,
/// `$expr`).
fn matches_raw(n: &Node, r: &Record) -> Option<bool> {
    let raw = r.raw();
    let top_field = |c: &Node| matches!(c, Node::Field { parts, .. } if parts.len() == 1);
    match n {
        // One walk of the document finds every field the conjunction names.
        Node::And(v) if v.len() <= ONE_WALK && v.iter().all(top_field) => {
            let mut found: [Option<(u8, &[u8])>; ONE_WALK] = [None; ONE_WALK];
            let mut missing = v.len();
            for (t, key, value) in elements(raw.as_bytes()) {
                for (slot, c) in found.iter_mut().zip(v) {
                    if let Node::Field { parts, .. } = c
                        && parts.first().is_some_and(|p| p.as_bytes() == key)
                    {
                        if slot.is_none() {
                            missing -= 1;
                        }
                        // The last occurrence wins, as in the decoded document.
                        *slot = Some((t, value));
                    }
                }
                // Without repeated fields, the first occurrences are the last ones.
                if missing == 0 && r.unique_keys() {
                    break;
                }
            }
            for (c, el) in v.iter().zip(found) {
                let Node::Field { parts, pred, .. } = c else { return None };
                if !field_matches_raw(raw, parts.first()?, el, pred)? {
                    return Some(false);
                }
            }
            Some(true)
        }
        Node::And(v) => {
            for c in v {
                if !matches_raw(c, r)? {
                    return Some(false);
                }
            }
            Some(true)
        }
        Node::Field { parts, pred, .. } => {
            let [only] = parts.as_slice() else { return None };
            field_matches_raw(raw, only, r.element(only), pred)
        }
        _ => None,
    }
}

/// A predicate on top-level field `key`, decided from its element in the stored bytes (`el`:
/// type and value bytes, `None` when missing); `None` when it needs the decoded document.
fn field_matches_raw(
    raw: &RawDocument,
    key: &str,
    el: Option<(u8, &[u8])>,
    pred: &Pred,
) -> Option<bool> {
    // Equality with a string (the app filter of every scoped query) compares bytes.
    if let Pred::Eq(Bson::String(target)) = pred {
        return match el {
            // A missing field equals only null.
            None => Some(false),
            Some((0x02, v)) => Some(v.get(4..v.len().checked_sub(1)?)? == target.as_bytes()),
            // An array matches by its elements, a symbol by its text: the general path.
            Some((0x04 | 0x0E, _)) => None,
            // Any other type never equals a string.
            Some(_) => Some(false),
        };
    }
    // One top-level field that is not an array reaches exactly one leaf, where `match_path`
    // is `match_leaf` (as in its own fast path).
    match el {
        None => Some(match_leaf(Leaf::Missing, pred)),
        Some((0x04, _)) => None,
        Some((t, v)) => {
            let value = match scalar(t, v) {
                Some(value) => value,
                None => raw_field(raw, key).ok()??,
            };
            Some(match_leaf(Leaf::Value(&value, false), pred))
        }
    }
}

fn matches_node(n: &Node, doc: &Document) -> bool {
    match n {
        Node::And(v) => v.iter().all(|c| matches_node(c, doc)),
        Node::Or(v) => v.iter().any(|c| matches_node(c, doc)),
        Node::Nor(v) => !v.iter().any(|c| matches_node(c, doc)),
        Node::Field { parts, pred, .. } => match_path(doc, parts, pred),
        Node::Expr(e, vars) => {
            let none = expr::Vars::default();
            expr::eval(e, doc, vars.as_deref().unwrap_or(&none))
                .map(|v| value::truthy(&v))
                .unwrap_or(false)
        }
    }
}

fn match_path(doc: &Document, parts: &[String], pred: &Pred) -> bool {
    match pred {
        Pred::Not(p) => !match_path(doc, parts, p),
        Pred::And(ps) => ps.iter().all(|p| match_path(doc, parts, p)),
        Pred::Exists(want) => {
            let any = path::leaves(doc, parts).iter().any(|l| matches!(l, Leaf::Value(..)));
            any == *want
        }
        p => {
            // Fast path: a top-level field holding a scalar or a document reaches exactly
            // one leaf, so the general walk (and its allocation) is not needed.
            if let [only] = parts {
                match doc.get(only) {
                    None => return match_leaf(Leaf::Missing, p),
                    Some(v) if !matches!(v, Bson::Array(_)) => {
                        return match_leaf(Leaf::Value(v, false), p);
                    }
                    Some(_) => {}
                }
            }
            path::leaves(doc, parts).iter().any(|l| match_leaf(*l, p))
        }
    }
}

/// Whether a bare value satisfies a predicate (used by `$elemMatch` and `$pull`).
pub(crate) fn match_value(v: &Bson, pred: &Pred) -> bool {
    match pred {
        Pred::Not(p) => !match_value(v, p),
        Pred::And(ps) => ps.iter().all(|p| match_value(v, p)),
        Pred::Exists(want) => *want,
        p => path::value_leaves(v).iter().any(|l| match_leaf(*l, p)),
    }
}

fn match_leaf(leaf: Leaf<'_>, pred: &Pred) -> bool {
    match pred {
        Pred::Eq(target) => match leaf {
            Leaf::Missing => matches!(target, Bson::Null),
            Leaf::Value(v, _) => match target {
                Bson::Null => matches!(v, Bson::Null),
                t => values_equal(v, t),
            },
        },
        Pred::Cmp(ord, or_equal, target) => match leaf {
            Leaf::Missing => *or_equal && matches!(target, Bson::Null),
            Leaf::Value(v, _) => {
                if matches!(target, Bson::MinKey | Bson::MaxKey) {
                    let o = compare(v, target);
                    return o == *ord || (*or_equal && o == Ordering::Equal);
                }
                if type_rank(v) != type_rank(target) {
                    return false;
                }
                // NaN is only ever equal to NaN: it is neither greater nor less than anything.
                let nan = |x: &Bson| value::is_number(x) && as_f64(x).is_some_and(f64::is_nan);
                if nan(v) || nan(target) {
                    return *or_equal && nan(v) && nan(target);
                }
                let o = compare(v, target);
                o == *ord || (*or_equal && o == Ordering::Equal)
            }
        },
        Pred::In(alts) => alts.iter().any(|a| match_leaf(leaf, a)),
        Pred::Exists(want) => matches!(leaf, Leaf::Value(..)) == *want,
        Pred::Type(sels) => match leaf {
            Leaf::Missing => false,
            Leaf::Value(v, _) => sels.iter().any(|s| match s {
                TypeSel::Number => value::is_number(v),
                TypeSel::Code(c) => value::type_code(v) == *c,
            }),
        },
        Pred::Size(n) => match leaf {
            Leaf::Value(Bson::Array(a), false) => a.len() as i64 == *n,
            _ => false,
        },
        Pred::ElemValue(ps) => match leaf {
            Leaf::Value(Bson::Array(a), false) => {
                a.iter().any(|e| ps.iter().all(|p| match_value(e, p)))
            }
            _ => false,
        },
        Pred::ElemDoc(f) => match leaf {
            Leaf::Value(Bson::Array(a), false) => a.iter().any(|e| match e {
                Bson::Document(d) => f.matches(d),
                _ => false,
            }),
            _ => false,
        },
        Pred::Regex(re) => match leaf {
            Leaf::Value(Bson::String(s) | Bson::Symbol(s), _) => re.is_match(s),
            Leaf::Value(Bson::RegularExpression(r), _) => r.pattern.as_str() == re.as_str(),
            _ => false,
        },
        Pred::Mod(div, rem) => match leaf {
            Leaf::Value(v, _) if value::is_number(v) => {
                let x = as_f64(v).unwrap_or(f64::NAN);
                x.is_finite() && (x.trunc() as i64).wrapping_rem(*div) == *rem
            }
            _ => false,
        },
        Pred::Not(p) => !match_leaf(leaf, p),
        Pred::And(ps) => ps.iter().all(|p| match_leaf(leaf, p)),
    }
}

#[cfg(test)]
mod tests {
    use bson::raw::RawDocumentBuf;
    use bson::{Bson, doc};

    use super::*;

    #[test]
    fn matching_stored_bytes_agrees_with_matching_documents() {
        let docs = [
            doc! { "_id": 1, "a": 1, "s": "x", "n": Bson::Null },
            doc! { "_id": 2, "a": 2.5, "s": "y", "d": { "e": 1 } },
            doc! { "_id": 3, "a": [1, 2], "s": "x" },
            doc! { "_id": 4, "a": "1", "b": true, "t": bson::DateTime::from_millis(5) },
            doc! { "_id": 5, "a": f64::NAN, "a2": 1_i64 },
            doc! { "_id": 6 },
            doc! { "_id": 7, "s": ["y", "x"] },
            doc! { "_id": 8, "s": Bson::Symbol("x".into()), "a": "x" },
            doc! { "_id": 9, "s": "x", "s2": "", "a": Bson::Null },
        ];
        let filters = [
            doc! {},
            doc! { "a": 1 },
            doc! { "a": 1.0, "s": "x" },
            doc! { "s": "x" },
            doc! { "s": "y", "_id": 2 },
            doc! { "s2": "" },
            doc! { "a": "x" },
            doc! { "missing": "x" },
            doc! { "d": { "e": 1 }, "_id": 2 },
            doc! { "_id": { "$gte": 2 }, "s": "x", "a": { "$exists": true } },
            doc! { "a": { "$gt": 1 } },
            doc! { "a": { "$gte": 1, "$lt": 3 } },
            doc! { "a": { "$ne": 1 } },
            doc! { "a": { "$in": [1, "1"] } },
            doc! { "a": { "$exists": false } },
            doc! { "n": Bson::Null },
            doc! { "missing": Bson::Null },
            doc! { "missing": { "$gte": Bson::Null } },
            doc! { "a": { "$lt": Bson::MaxKey } },
            doc! { "d": { "e": 1 } },
            doc! { "d.e": 1 },
            doc! { "s": { "$regex": "^x" } },
            doc! { "a": { "$type": "number" } },
            doc! { "a": f64::NAN },
            doc! { "a2": { "$gte": 1 } },
            doc! { "b": true, "t": { "$gt": bson::DateTime::from_millis(1) } },
            doc! { "$or": [{ "a": 1 }, { "s": "y" }] },
        ];
        for f in &filters {
            let filter = Filter::new(f).unwrap();
            for d in &docs {
                let raw = RawDocumentBuf::try_from(d).unwrap();
                let record = Record::from_raw(raw);
                assert_eq!(filter.matches_record(&record), filter.matches(d), "{f} on {d}");
                // Once read, the record also holds its decoded form; the answer is the same.
                record.doc();
                assert_eq!(filter.matches_record(&record), filter.matches(d), "{f} on {d}, read");
            }
        }
        // Stored bytes may repeat a field; as in the decoded document, the last one counts.
        let mut repeated = RawDocumentBuf::new();
        repeated.append(bson::raw::cstr!("_id"), 10);
        repeated.append(bson::raw::cstr!("s"), "y");
        repeated.append(bson::raw::cstr!("n"), 1);
        repeated.append(bson::raw::cstr!("s"), "x");
        let decoded = Document::try_from(repeated.as_ref()).unwrap();
        let record = Record::from_raw(repeated);
        for f in [
            doc! { "s": "x" },
            doc! { "s": "y" },
            doc! { "s": "x", "n": 1 },
            doc! { "n": 1, "s": "y" },
        ] {
            let filter = Filter::new(&f).unwrap();
            assert_eq!(filter.matches_record(&record), filter.matches(&decoded), "{f}");
        }
    }
}
