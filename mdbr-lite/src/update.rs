//! Updates: operator updates (`$set`, `$inc`, `$push`, ...), replacements, pipeline-form updates,
//! positional paths (`$`, `$[]`, `$[id]`) and upsert seeding from a filter.
use std::collections::HashMap;

use bson::{Bson, Document};

use crate::aggregate::stage;
use crate::engine::check_field_names;
use crate::error::{CmdResult, CommandError, code};
use crate::query::filter::{self, Filter};
use crate::sort::SortSpec;
use crate::value::{self, add_numbers, compare, mul_numbers, values_equal};

pub(crate) mod bytes;

/// A parsed update.
#[derive(Debug, Clone)]
pub(crate) enum Update {
    /// A whole new document.
    Replacement(Document),
    /// Update operators, each with its `{path: argument}` document.
    Operators(Vec<(String, Document)>),
    /// An aggregation pipeline of `$set`/`$unset`/`$project`/`$replaceRoot` stages.
    Pipeline(Vec<Document>),
}

/// What an update needs besides the document: the query (for `$`) and `arrayFilters`.
#[derive(Debug, Default)]
pub(crate) struct UpdateContext<'a> {
    pub(crate) query: Option<&'a Filter>,
    pub(crate) array_filters: HashMap<String, Filter>,
    pub(crate) is_insert: bool,
}

const OPERATORS: &[&str] = &[
    "$set",
    "$unset",
    "$inc",
    "$mul",
    "$min",
    "$max",
    "$rename",
    "$currentDate",
    "$setOnInsert",
    "$push",
    "$addToSet",
    "$pop",
    "$pull",
    "$pullAll",
];

impl Update {
    /// Parses the `u` of an update statement.
    pub(crate) fn parse(u: &Bson) -> CmdResult<Self> {
        match u {
            Bson::Array(stages) => {
                let mut out = Vec::new();
                for s in stages {
                    let Bson::Document(d) = s else {
                        return Err(CommandError::failed_to_parse(
                            "each pipeline stage must be an object",
                        ));
                    };
                    let name = d.keys().next().map(String::as_str).unwrap_or("");
                    if !matches!(
                        name,
                        "$set"
                            | "$addFields"
                            | "$unset"
                            | "$project"
                            | "$replaceRoot"
                            | "$replaceWith"
                    ) {
                        return Err(CommandError::new(
                            code::INVALID_OPTIONS,
                            format!("{name} is not allowed to be used within an update"),
                        ));
                    }
                    out.push(d.clone());
                }
                Ok(Update::Pipeline(out))
            }
            Bson::Document(d) => {
                let first_dollar = d.keys().next().is_some_and(|k| k.starts_with('$'));
                if !first_dollar {
                    check_field_names(d, 0)?;
                    return Ok(Update::Replacement(d.clone()));
                }
                let mut ops = Vec::new();
                for (k, v) in d {
                    if !k.starts_with('$') {
                        return Err(CommandError::failed_to_parse(format!(
                            "Unknown modifier: {k}. Expected a valid update modifier or pipeline-style update specified as an array"
                        )));
                    }
                    if !OPERATORS.contains(&k.as_str()) {
                        return Err(CommandError::failed_to_parse(format!(
                            "Unknown modifier: {k}. Expected a valid update modifier or pipeline-style update specified as an array"
                        )));
                    }
                    let Bson::Document(args) = v else {
                        return Err(CommandError::failed_to_parse(format!(
                            "Modifiers operate on fields but we found type {} instead. For example: {{$mod: {{<field>: ...}}}} not {{{k}: {v}}}",
                            value::type_alias(v)
                        )));
                    };
                    for (p, _) in args {
                        if p.is_empty() || p.split('.').any(str::is_empty) {
                            return Err(CommandError::new(
                                56,
                                format!(
                                    "An update path '{p}' contains an empty field name, which is not allowed."
                                ),
                            ));
                        }
                    }
                    ops.push((k.clone(), args.clone()));
                }
                check_conflicts(&ops)?;
                Ok(Update::Operators(ops))
            }
            _ => Err(CommandError::failed_to_parse(
                "Update argument must be either an object or an array",
            )),
        }
    }

    /// Whether this update replaces the document.
    pub(crate) fn is_replacement(&self) -> bool {
        matches!(self, Update::Replacement(_))
    }

    /// Applies the update to `doc` and returns the new document.
    pub(crate) fn apply(&self, doc: &Document, ctx: &UpdateContext<'_>) -> CmdResult<Document> {
        let out = match self {
            Update::Replacement(r) => {
                let mut out = Document::new();
                if let Some(id) = doc.get("_id") {
                    out.insert("_id", id.clone());
                }
                for (k, v) in r {
                    if k == "_id"
                        && let Some(old) = doc.get("_id")
                        && (!values_equal(old, v) || value::type_rank(old) != value::type_rank(v))
                    {
                        return Err(immutable(v));
                    }
                    out.insert(k.clone(), v.clone());
                }
                out
            }
            Update::Operators(ops) => {
                let mut root = Bson::Document(doc.clone());
                for (op, args) in ops {
                    apply_op(op, args, &mut root, doc, ctx)?;
                }
                let Bson::Document(out) = root else {
                    return Err(CommandError::new(
                        code::INTERNAL_ERROR,
                        "update produced a non-document",
                    ));
                };
                out
            }
            Update::Pipeline(stages) => {
                let mut cur = doc.clone();
                for s in stages {
                    cur = stage::apply_doc_stage(s, &cur)?;
                }
                if let Some(old) = doc.get("_id") {
                    match cur.get("_id") {
                        Some(new) if values_equal(old, new) => {}
                        Some(new) => return Err(immutable(new)),
                        None => {
                            if !ctx.is_insert {
                                let mut with_id = Document::new();
                                with_id.insert("_id", old.clone());
                                with_id.extend(cur);
                                cur = with_id;
                            }
                        }
                    }
                }
                cur
            }
        };
        if !ctx.is_insert || !matches!(self, Update::Replacement(_)) {
            match (doc.get("_id"), out.get("_id")) {
                (Some(a), Some(b))
                    if !(values_equal(a, b) && value::type_rank(a) == value::type_rank(b)) =>
                {
                    return Err(immutable(b));
                }
                (Some(_), None) => {
                    return Err(CommandError::new(
                        code::IMMUTABLE_FIELD,
                        "Performing an update on the path '_id' would modify the immutable field '_id'",
                    ));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

fn immutable(v: &Bson) -> CommandError {
    CommandError::new(
        code::IMMUTABLE_FIELD,
        format!(
            "After applying the update, the (immutable) field '_id' was found to have been altered to _id: {v}"
        ),
    )
}

fn check_conflicts(ops: &[(String, Document)]) -> CmdResult<()> {
    let mut paths: Vec<String> = Vec::new();
    for (op, args) in ops {
        for (p, v) in args {
            paths.push(p.clone());
            if op == "$rename"
                && let Bson::String(dest) = v
            {
                paths.push(dest.clone());
            }
        }
    }
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
            if short == long || long.starts_with(&format!("{short}.")) {
                return Err(CommandError::new(
                    code::CONFLICTING_UPDATE_OPERATORS,
                    format!("Updating the path '{long}' would create a conflict at '{short}'"),
                ));
            }
        }
    }
    Ok(())
}

/// Parses `arrayFilters`.
pub(crate) fn parse_array_filters(list: Option<&Bson>) -> CmdResult<HashMap<String, Filter>> {
    let mut out = HashMap::new();
    let Some(list) = list else { return Ok(out) };
    let Bson::Array(a) = list else {
        return Err(CommandError::type_mismatch("arrayFilters must be an array"));
    };
    for f in a {
        let Bson::Document(d) = f else {
            return Err(CommandError::type_mismatch("arrayFilters entries must be objects"));
        };
        let mut ident: Option<String> = None;
        for k in d.keys() {
            let id = k.split('.').next().unwrap_or("").to_string();
            if let Some(prev) = &ident
                && prev != &id
            {
                return Err(CommandError::failed_to_parse(format!(
                    "Error parsing array filter :: caused by :: Expected a single top-level field name, found '{prev}' and '{id}'"
                )));
            }
            ident = Some(id);
        }
        let Some(id) = ident else {
            return Err(CommandError::failed_to_parse(
                "Cannot use an expression without a top-level field name in arrayFilters",
            ));
        };
        if out.contains_key(&id) {
            return Err(CommandError::failed_to_parse(format!(
                "Found multiple array filters with the same top-level field name {id}"
            )));
        }
        out.insert(id, Filter::new(d)?);
    }
    Ok(out)
}

/// Builds the document an upsert starts from: the filter's equality predicates.
pub(crate) fn seed_from_filter(query: &Document) -> CmdResult<Document> {
    let mut root = Bson::Document(Document::new());
    seed_into(query, &mut root)?;
    let Bson::Document(d) = root else { return Ok(Document::new()) };
    Ok(d)
}

fn seed_into(query: &Document, root: &mut Bson) -> CmdResult<()> {
    for (k, v) in query {
        // A one-clause `$or`/`$nor`-free `$or` is its clause, as mongod normalises it.
        let single_or = k == "$or" && matches!(v, Bson::Array(a) if a.len() == 1);
        if k == "$and" || single_or {
            if let Bson::Array(a) = v {
                for e in a {
                    if let Bson::Document(d) = e {
                        seed_into(d, root)?;
                    }
                }
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        let val = match v {
            Bson::Document(d) if d.keys().next().is_some_and(|x| x.starts_with('$')) => {
                // `$in` with a single value is an equality, as mongod normalises it.
                let single_in = match d.get("$in") {
                    Some(Bson::Array(a)) if a.len() == 1 && d.len() == 1 => match &a[0] {
                        Bson::RegularExpression(_) => None,
                        x => Some(x),
                    },
                    _ => None,
                };
                match d.get("$eq").or(single_in) {
                    Some(Bson::Document(inner))
                        if inner.keys().next().is_some_and(|x| x.starts_with('$')) =>
                    {
                        continue;
                    }
                    Some(e) => e.clone(),
                    None => continue,
                }
            }
            Bson::RegularExpression(_) => continue,
            other => other.clone(),
        };
        let parts: Vec<String> = k.split('.').map(str::to_string).collect();
        if get_in(root, &parts).is_some() {
            return Err(CommandError::new(
                54,
                format!("cannot infer query fields to set, path '{k}' is matched twice"),
            ));
        }
        set_in(root, &parts, val)?;
    }
    Ok(())
}

fn get_in<'a>(cur: &'a Bson, parts: &[String]) -> Option<&'a Bson> {
    let Some((first, rest)) = parts.split_first() else { return Some(cur) };
    let child = match cur {
        Bson::Document(d) => d.get(first)?,
        Bson::Array(a) => a.get(first.parse::<usize>().ok()?)?,
        _ => return None,
    };
    get_in(child, rest)
}

fn path_not_viable(part: &str, cur: &Bson) -> CommandError {
    CommandError::new(
        code::PATH_NOT_VIABLE,
        format!("Cannot create field '{part}' in element {{{cur}}}"),
    )
}

fn set_in(cur: &mut Bson, parts: &[String], val: Bson) -> CmdResult<()> {
    let Some((first, rest)) = parts.split_first() else {
        *cur = val;
        return Ok(());
    };
    match cur {
        Bson::Document(d) => {
            if rest.is_empty() {
                d.insert(first.clone(), val);
                return Ok(());
            }
            if !d.contains_key(first) {
                d.insert(first.clone(), Bson::Document(Document::new()));
            }
            match d.get_mut(first) {
                Some(child) => set_in(child, rest, val),
                None => Err(CommandError::new(code::INTERNAL_ERROR, "path vanished")),
            }
        }
        Bson::Array(a) => {
            let Ok(idx) = first.parse::<usize>() else {
                return Err(path_not_viable(first, &Bson::Array(a.clone())));
            };
            if idx > a.len() + 1_500_000 {
                return Err(CommandError::bad_value(
                    "can't backfill array to larger than 1500000 elements",
                ));
            }
            while a.len() <= idx {
                a.push(Bson::Null);
            }
            if rest.is_empty() {
                a[idx] = val;
                return Ok(());
            }
            if matches!(a[idx], Bson::Null) && !a.is_empty() {
                a[idx] = Bson::Document(Document::new());
            }
            set_in(&mut a[idx], rest, val)
        }
        other => Err(path_not_viable(first, other)),
    }
}

fn unset_in(cur: &mut Bson, parts: &[String]) {
    let Some((first, rest)) = parts.split_first() else { return };
    match cur {
        Bson::Document(d) => {
            if rest.is_empty() {
                d.remove(first);
            } else if let Some(child) = d.get_mut(first) {
                unset_in(child, rest);
            }
        }
        Bson::Array(a) => {
            if let Ok(idx) = first.parse::<usize>()
                && idx < a.len()
            {
                if rest.is_empty() {
                    a[idx] = Bson::Null;
                } else {
                    unset_in(&mut a[idx], rest);
                }
            }
        }
        _ => {}
    }
}

/// Expands positional parts (`$`, `$[]`, `$[id]`) of a path into concrete paths.
fn expand(
    root: &Bson,
    original: &Document,
    path: &str,
    ctx: &UpdateContext<'_>,
) -> CmdResult<Vec<Vec<String>>> {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    let mut out = Vec::new();
    expand_rec(Some(root), &parts, Vec::new(), original, ctx, &mut out)?;
    Ok(out)
}

fn expand_rec(
    cur: Option<&Bson>,
    parts: &[String],
    prefix: Vec<String>,
    original: &Document,
    ctx: &UpdateContext<'_>,
    out: &mut Vec<Vec<String>>,
) -> CmdResult<()> {
    let Some((first, rest)) = parts.split_first() else {
        out.push(prefix);
        return Ok(());
    };
    if first == "$" {
        let array_path = prefix.join(".");
        let idx = ctx
            .query
            .filter(|_| !ctx.is_insert)
            .and_then(|q| q.positional_index(original, &array_path))
            .ok_or_else(|| {
                CommandError::bad_value(
                    "The positional operator did not find the match needed from the query.",
                )
            })?;
        let child = match cur {
            Some(Bson::Array(a)) => a.get(idx),
            _ => None,
        };
        let mut p = prefix;
        p.push(idx.to_string());
        return expand_rec(child, rest, p, original, ctx, out);
    }
    if let Some(inner) = first.strip_prefix("$[").and_then(|s| s.strip_suffix(']')) {
        let filter = if inner.is_empty() {
            None
        } else {
            Some(ctx.array_filters.get(inner).ok_or_else(|| {
                CommandError::bad_value(format!(
                    "No array filter found for identifier '{inner}' in path '{}'",
                    {
                        let mut all = prefix.clone();
                        all.extend(parts.iter().cloned());
                        all.join(".")
                    }
                ))
            })?)
        };
        let Some(Bson::Array(a)) = cur else {
            if cur.is_none() {
                if ctx.is_insert {
                    return Ok(());
                }
                return Err(CommandError::bad_value(format!(
                    "The path '{}' must exist in the document in order to apply array updates.",
                    prefix.join(".")
                )));
            }
            return Err(CommandError::bad_value(format!(
                "Cannot apply array updates to non-array element {}",
                prefix.join(".")
            )));
        };
        for (i, e) in a.iter().enumerate() {
            if let Some(f) = filter {
                let mut probe = Document::new();
                probe.insert(inner.to_string(), e.clone());
                if !f.matches(&probe) {
                    continue;
                }
            }
            let mut p = prefix.clone();
            p.push(i.to_string());
            expand_rec(Some(e), rest, p, original, ctx, out)?;
        }
        return Ok(());
    }
    let child = match cur {
        Some(Bson::Document(d)) => d.get(first),
        Some(Bson::Array(a)) => first.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    };
    let mut p = prefix;
    p.push(first.clone());
    expand_rec(child, rest, p, original, ctx, out)
}

fn id_text(original: &Document) -> String {
    original.get("_id").map(|v| format!("{{_id: {v}}}")).unwrap_or_default()
}

fn apply_op(
    op: &str,
    args: &Document,
    root: &mut Bson,
    original: &Document,
    ctx: &UpdateContext<'_>,
) -> CmdResult<()> {
    if op == "$setOnInsert" && !ctx.is_insert {
        return Ok(());
    }
    let mut entries: Vec<(&String, &Bson)> = args.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (path, arg) in entries {
        if op == "$rename" {
            rename(root, path, arg)?;
            continue;
        }
        let targets = expand(root, original, path, ctx)?;
        for parts in targets {
            let dotted = parts.join(".");
            let current = get_in(root, &parts).cloned();
            match op {
                "$set" | "$setOnInsert" => {
                    if let Bson::Document(d) = arg {
                        check_field_names(d, 0)?;
                    }
                    set_in(root, &parts, arg.clone())?;
                }
                "$unset" => unset_in(root, &parts),
                "$inc" | "$mul" => {
                    if !value::is_number(arg) {
                        return Err(CommandError::type_mismatch(format!(
                            "Cannot {} with non-numeric argument: {{{path}: {arg}}}",
                            if op == "$inc" { "increment" } else { "multiply" }
                        )));
                    }
                    let new = match &current {
                        None => {
                            if op == "$inc" {
                                arg.clone()
                            } else {
                                mul_numbers(arg, &Bson::Int32(0)).unwrap_or(Bson::Int32(0))
                            }
                        }
                        Some(c) if value::is_number(c) => {
                            let r = if op == "$inc" {
                                add_numbers(c, arg)
                            } else {
                                mul_numbers(c, arg)
                            };
                            let r =
                                r.ok_or_else(|| CommandError::type_mismatch("numeric overflow"))?;
                            let integral = |v: &Bson| matches!(v, Bson::Int32(_) | Bson::Int64(_));
                            if integral(c) && integral(arg) && !integral(&r) {
                                return Err(CommandError::bad_value(format!(
                                    "Failed to apply {op} operations to current value ({c}) for document {}",
                                    id_text(original)
                                )));
                            }
                            r
                        }
                        Some(c) => {
                            return Err(CommandError::type_mismatch(format!(
                                "Cannot apply {op} to a value of non-numeric type. {} has the field '{dotted}' of non-numeric type {}",
                                id_text(original),
                                value::type_alias(c)
                            )));
                        }
                    };
                    set_in(root, &parts, new)?;
                }
                "$min" | "$max" => {
                    let replace = match &current {
                        None => true,
                        Some(c) => {
                            let o = compare(arg, c);
                            if op == "$min" {
                                o == std::cmp::Ordering::Less
                            } else {
                                o == std::cmp::Ordering::Greater
                            }
                        }
                    };
                    if replace {
                        set_in(root, &parts, arg.clone())?;
                    }
                }
                "$currentDate" => {
                    let ts = match arg {
                        Bson::Boolean(true) => false,
                        Bson::Document(d) => match d.get_str("$type") {
                            Ok("date") => false,
                            Ok("timestamp") => true,
                            _ => {
                                return Err(CommandError::bad_value(
                                    "The '$type' string field is required to be 'date' or 'timestamp'",
                                ));
                            }
                        },
                        _ => false,
                    };
                    let now = bson::DateTime::now();
                    let v = if ts {
                        Bson::Timestamp(bson::Timestamp {
                            time: (now.timestamp_millis() / 1000) as u32,
                            increment: 1,
                        })
                    } else {
                        Bson::DateTime(now)
                    };
                    set_in(root, &parts, v)?;
                }
                "$push" | "$addToSet" => {
                    let mut arr = match current {
                        None => Vec::new(),
                        Some(Bson::Array(a)) => a,
                        Some(other) => {
                            return Err(CommandError::bad_value(format!(
                                "The field '{dotted}' must be an array but is of type {} in document {}",
                                value::type_alias(&other),
                                id_text(original)
                            )));
                        }
                    };
                    if op == "$push" {
                        push(&mut arr, arg)?;
                    } else {
                        let items = match arg {
                            Bson::Document(d) if d.contains_key("$each") => match d.get("$each") {
                                Some(Bson::Array(e)) => e.clone(),
                                _ => {
                                    return Err(CommandError::type_mismatch(
                                        "The argument to $each in $addToSet must be an array",
                                    ));
                                }
                            },
                            other => vec![other.clone()],
                        };
                        for it in items {
                            if !arr.iter().any(|x| {
                                values_equal(x, &it) && value::type_rank(x) == value::type_rank(&it)
                            }) {
                                arr.push(it);
                            }
                        }
                    }
                    set_in(root, &parts, Bson::Array(arr))?;
                }
                "$pop" => {
                    let first = match value::as_f64(arg) {
                        Some(1.0) => false,
                        Some(-1.0) => true,
                        _ => {
                            return Err(CommandError::failed_to_parse(format!(
                                "$pop expects 1 or -1, found: {arg}"
                            )));
                        }
                    };
                    match current {
                        None => {}
                        Some(Bson::Array(mut a)) => {
                            if !a.is_empty() {
                                if first {
                                    a.remove(0);
                                } else {
                                    a.pop();
                                }
                            }
                            set_in(root, &parts, Bson::Array(a))?;
                        }
                        Some(other) => {
                            return Err(CommandError::type_mismatch(format!(
                                "Path '{dotted}' contains an element of non-array type '{}'",
                                value::type_alias(&other)
                            )));
                        }
                    }
                }
                "$pull" | "$pullAll" => match current {
                    None => {}
                    Some(Bson::Array(a)) => {
                        let kept: Vec<Bson> = if op == "$pullAll" {
                            let Bson::Array(vals) = arg else {
                                return Err(CommandError::bad_value(format!(
                                    "$pullAll requires an array argument but was given a {}",
                                    value::type_alias(arg)
                                )));
                            };
                            a.into_iter()
                                .filter(|x| !vals.iter().any(|v| values_equal(x, v)))
                                .collect()
                        } else {
                            let m = PullMatcher::new(arg)?;
                            a.into_iter().filter(|x| !m.matches(x)).collect()
                        };
                        set_in(root, &parts, Bson::Array(kept))?;
                    }
                    Some(_) => {
                        return Err(CommandError::bad_value(
                            "Cannot apply $pull to a non-array value",
                        ));
                    }
                },
                other => {
                    return Err(CommandError::failed_to_parse(format!(
                        "Unknown modifier: {other}"
                    )));
                }
            }
        }
    }
    Ok(())
}

fn rename(root: &mut Bson, from: &str, to: &Bson) -> CmdResult<()> {
    let Bson::String(to) = to else {
        return Err(CommandError::bad_value(format!(
            "The 'to' field for $rename must be a string: {from}: {to}"
        )));
    };
    if from.contains('$') || to.contains('$') {
        return Err(CommandError::bad_value(
            "The source and target field for $rename must not contain positional operators",
        ));
    }
    if from == to {
        return Err(CommandError::bad_value(format!(
            "The source and target field for $rename must differ: {from}: \"{to}\""
        )));
    }
    let fp: Vec<String> = from.split('.').map(str::to_string).collect();
    let tp: Vec<String> = to.split('.').map(str::to_string).collect();
    for i in 1..fp.len() {
        if let Some(Bson::Array(_)) = get_in(root, &fp[..i]) {
            return Err(CommandError::bad_value(format!(
                "The source field cannot be an array element, '{from}' in doc"
            )));
        }
    }
    for i in 1..tp.len() {
        if let Some(Bson::Array(_)) = get_in(root, &tp[..i]) {
            return Err(CommandError::bad_value(format!(
                "The destination field cannot be an array element, '{to}' in doc"
            )));
        }
    }
    let Some(v) = get_in(root, &fp).cloned() else { return Ok(()) };
    unset_in(root, &fp);
    set_in(root, &tp, v)
}

fn push(arr: &mut Vec<Bson>, arg: &Bson) -> CmdResult<()> {
    let Bson::Document(d) = arg else {
        arr.push(arg.clone());
        return Ok(());
    };
    if !d.contains_key("$each") {
        arr.push(arg.clone());
        return Ok(());
    }
    let each = match d.get("$each") {
        Some(Bson::Array(e)) => e.clone(),
        _ => {
            return Err(CommandError::bad_value("The argument to $each in $push must be an array"));
        }
    };
    for k in d.keys() {
        if !matches!(k.as_str(), "$each" | "$slice" | "$sort" | "$position") {
            return Err(CommandError::bad_value(format!("Unrecognized clause in $push: {k}")));
        }
    }
    let pos = match d.get("$position") {
        None => arr.len(),
        Some(p) => {
            let p = value::as_i64(p).ok_or_else(|| {
                CommandError::bad_value("The value for $position must be an integer value")
            })?;
            if p < 0 { (arr.len() as i64 + p).max(0) as usize } else { (p as usize).min(arr.len()) }
        }
    };
    for (i, e) in each.into_iter().enumerate() {
        arr.insert(pos + i, e);
    }
    if let Some(s) = d.get("$sort") {
        match s {
            Bson::Document(spec) => {
                let spec = SortSpec::parse(spec)?;
                arr.sort_by(|a, b| {
                    let ka = match a {
                        Bson::Document(x) => spec.key(x),
                        _ => vec![Bson::Null; spec.fields.len()],
                    };
                    let kb = match b {
                        Bson::Document(x) => spec.key(x),
                        _ => vec![Bson::Null; spec.fields.len()],
                    };
                    spec.compare_keys(&ka, &kb)
                });
            }
            other => {
                let dir = value::as_f64(other).ok_or_else(|| CommandError::bad_value("The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields"))?;
                if dir == 1.0 {
                    arr.sort_by(compare);
                } else if dir == -1.0 {
                    arr.sort_by(|a, b| compare(b, a));
                } else {
                    return Err(CommandError::bad_value(
                        "The $sort element value must be either 1 or -1",
                    ));
                }
            }
        }
    }
    if let Some(s) = d.get("$slice") {
        let n = value::as_i64(s).ok_or_else(|| {
            CommandError::bad_value("The value for $slice must be an integer value")
        })?;
        if n >= 0 {
            arr.truncate(n as usize);
        } else {
            let keep = n.unsigned_abs() as usize;
            if arr.len() > keep {
                let drop = arr.len() - keep;
                arr.drain(..drop);
            }
        }
    }
    Ok(())
}

/// The condition of a `$pull`.
enum PullMatcher {
    Value(filter::Pred),
    Doc(Filter),
}

impl PullMatcher {
    fn new(arg: &Bson) -> CmdResult<Self> {
        match arg {
            Bson::Document(d)
                if d.keys().next().is_some_and(|k| k.starts_with('$'))
                    && !d.contains_key("$and")
                    && !d.contains_key("$or") =>
            {
                Ok(PullMatcher::Value(filter::parse_value(arg)?))
            }
            Bson::Document(d) => Ok(PullMatcher::Doc(Filter::new(d)?)),
            other => Ok(PullMatcher::Value(filter::parse_value(other)?)),
        }
    }

    fn matches(&self, v: &Bson) -> bool {
        match self {
            PullMatcher::Value(p) => filter::match_value(v, p),
            PullMatcher::Doc(f) => match v {
                Bson::Document(d) => f.matches(d),
                _ => false,
            },
        }
    }
}
