//! More expression operators: math, strings, arrays, sets, dates, conversions and control flow.
use std::cmp::Ordering;

use bson::{Bson, Document};
use chrono::{Datelike, TimeZone, Timelike, Utc};

use crate::aggregate::expr::{Vars, args, eval, expect_n, nullish};
use crate::error::{CmdResult, CommandError};
use crate::value::{self, as_f64, as_i64, compare, truthy, values_equal};

fn num_err(op: &str, v: &Bson) -> CommandError {
    CommandError::new(
        28765,
        format!("{op} only supports numeric types, not {}", value::type_alias(v)),
    )
}

/// A double result keeping integers integral where MongoDB does.
fn float(x: f64) -> Bson {
    Bson::Double(x)
}

fn one_num(op: &str, arg: &Bson, doc: &Document, vars: &Vars) -> CmdResult<Option<Bson>> {
    let a = args(arg, doc, vars)?;
    expect_n(op, &a, 1)?;
    let v = a.into_iter().next().unwrap_or(Bson::Null);
    if nullish(&v) {
        return Ok(None);
    }
    if !value::is_number(&v) {
        return Err(num_err(op, &v));
    }
    Ok(Some(v))
}

fn spec<'a>(op: &str, arg: &'a Bson) -> CmdResult<&'a Document> {
    match arg {
        Bson::Document(d) => Ok(d),
        _ => Err(CommandError::failed_to_parse(format!("{op} requires an object as an argument"))),
    }
}

fn string_of(op: &str, v: &Bson) -> CmdResult<Option<String>> {
    match v {
        Bson::String(s) => Ok(Some(s.clone())),
        x if nullish(x) => Ok(None),
        other => Err(CommandError::new(
            16020,
            format!("{op} requires a string, found: {}", value::type_alias(other)),
        )),
    }
}

fn array_of(op: &str, v: Bson) -> CmdResult<Option<Vec<Bson>>> {
    match v {
        Bson::Array(a) => Ok(Some(a)),
        x if nullish(&x) => Ok(None),
        other => Err(CommandError::new(
            28689,
            format!("{op}'s argument must be an array, but is {}", value::type_alias(&other)),
        )),
    }
}

fn date_of(op: &str, v: &Bson) -> CmdResult<Option<chrono::DateTime<Utc>>> {
    let ms = match v {
        Bson::DateTime(d) => d.timestamp_millis(),
        Bson::Timestamp(t) => i64::from(t.time) * 1000,
        Bson::ObjectId(o) => o.timestamp().timestamp_millis(),
        x if nullish(x) => return Ok(None),
        other => {
            return Err(CommandError::new(
                16006,
                format!("{op}: can't convert from BSON type {} to Date", value::type_alias(other)),
            ));
        }
    };
    Ok(Utc.timestamp_millis_opt(ms).single())
}

/// The date argument of a date part operator: a date, or `{date, timezone}` (UTC only).
fn date_arg(
    op: &str,
    arg: &Bson,
    doc: &Document,
    vars: &Vars,
) -> CmdResult<Option<chrono::DateTime<Utc>>> {
    let e = match arg {
        Bson::Document(d) if d.contains_key("date") => d.get("date").unwrap_or(&Bson::Null),
        Bson::Array(a) if a.len() == 1 => &a[0],
        other => other,
    };
    let v = eval(e, doc, vars)?;
    date_of(op, &v)
}

/// Evaluates the operators not handled in `expr`; unknown names are an error.
pub(crate) fn eval_more(op: &str, arg: &Bson, doc: &Document, vars: &Vars) -> CmdResult<Bson> {
    match op {
        "$ceil" | "$floor" | "$sqrt" | "$exp" | "$ln" | "$log10" => {
            let Some(v) = one_num(op, arg, doc, vars)? else { return Ok(Bson::Null) };
            if matches!(op, "$ceil" | "$floor") && !matches!(v, Bson::Double(_)) {
                return Ok(v);
            }
            let x = as_f64(&v).unwrap_or(0.0);
            Ok(float(match op {
                "$ceil" => x.ceil(),
                "$floor" => x.floor(),
                "$sqrt" => {
                    if x < 0.0 {
                        return Err(CommandError::new(
                            28714,
                            "$sqrt's argument must be greater than or equal to 0",
                        ));
                    }
                    x.sqrt()
                }
                "$exp" => x.exp(),
                "$ln" => x.ln(),
                _ => x.log10(),
            }))
        }
        "$pow" | "$log" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            if a.iter().any(nullish) {
                return Ok(Bson::Null);
            }
            let (Some(x), Some(y)) = (as_f64(&a[0]), as_f64(&a[1])) else {
                return Err(num_err(op, &a[0]));
            };
            if op == "$log" {
                return Ok(float(x.ln() / y.ln()));
            }
            let ints = !matches!(a[0], Bson::Double(_)) && !matches!(a[1], Bson::Double(_));
            let r = x.powf(y);
            if ints && y >= 0.0 && r.abs() < 9.0e15 {
                let n = r as i64;
                return Ok(
                    if matches!((&a[0], &a[1]), (Bson::Int32(_), Bson::Int32(_)))
                        && i32::try_from(n).is_ok()
                    {
                        Bson::Int32(n as i32)
                    } else {
                        Bson::Int64(n)
                    },
                );
            }
            Ok(float(r))
        }
        "$round" | "$trunc" => {
            let a = args(arg, doc, vars)?;
            if a.is_empty() || a.len() > 2 {
                return Err(CommandError::new(28667, format!("{op} takes 1 or 2 arguments")));
            }
            if nullish(&a[0]) {
                return Ok(Bson::Null);
            }
            let place = a.get(1).and_then(as_i64).unwrap_or(0);
            match &a[0] {
                Bson::Int32(_) | Bson::Int64(_) if place >= 0 => Ok(a[0].clone()),
                v => {
                    let x = as_f64(v).ok_or_else(|| num_err(op, v))?;
                    let m = 10f64.powi(place as i32);
                    let scaled = x * m;
                    let r = if op == "$trunc" {
                        scaled.trunc()
                    } else {
                        // Round half to even, as MongoDB does.
                        let f = scaled.floor();
                        let diff = scaled - f;
                        if (diff - 0.5).abs() < 1e-9 {
                            if f % 2.0 == 0.0 { f } else { f + 1.0 }
                        } else {
                            scaled.round()
                        }
                    };
                    let out = r / m;
                    Ok(match v {
                        Bson::Int32(_) => Bson::Int32(out as i32),
                        Bson::Int64(_) => Bson::Int64(out as i64),
                        _ => float(out),
                    })
                }
            }
        }
        "$switch" => {
            let d = spec(op, arg)?;
            let Some(Bson::Array(branches)) = d.get("branches") else {
                return Err(CommandError::new(40061, "$switch requires at least one branch"));
            };
            for b in branches {
                let Bson::Document(b) = b else {
                    return Err(CommandError::new(
                        40062,
                        "$switch expected each branch to be an object",
                    ));
                };
                let (Some(case), Some(then)) = (b.get("case"), b.get("then")) else {
                    return Err(CommandError::new(
                        40064,
                        "$switch requires each branch have a 'case' and 'then'",
                    ));
                };
                if truthy(&eval(case, doc, vars)?) {
                    return eval(then, doc, vars);
                }
            }
            match d.get("default") {
                Some(e) => eval(e, doc, vars),
                None => Err(CommandError::new(
                    40066,
                    "$switch could not find a matching branch for an input, and no default was specified.",
                )),
            }
        }
        "$reduce" => {
            let d = spec(op, arg)?;
            let input = eval(d.get("input").unwrap_or(&Bson::Null), doc, vars)?;
            let Some(items) = array_of(op, input)? else { return Ok(Bson::Null) };
            let mut acc = eval(d.get("initialValue").unwrap_or(&Bson::Null), doc, vars)?;
            let body = d.get("in").unwrap_or(&Bson::Null);
            for x in items {
                let mut v = vars.clone();
                v.set("value", acc);
                v.set("this", x);
                acc = eval(body, doc, &v)?;
            }
            Ok(acc)
        }
        "$slice" => {
            let a = args(arg, doc, vars)?;
            if a.len() != 2 && a.len() != 3 {
                return Err(CommandError::new(28667, "$slice takes 2 or 3 arguments"));
            }
            let Some(arr) = array_of(op, a[0].clone())? else { return Ok(Bson::Null) };
            let len = arr.len() as i64;
            let (start, count) = if a.len() == 2 {
                let n = as_i64(&a[1]).ok_or_else(|| num_err(op, &a[1]))?;
                if n >= 0 { (0, n) } else { ((len + n).max(0), -n) }
            } else {
                let p = as_i64(&a[1]).ok_or_else(|| num_err(op, &a[1]))?;
                let n = as_i64(&a[2]).ok_or_else(|| num_err(op, &a[2]))?;
                if n <= 0 {
                    return Err(CommandError::new(
                        28729,
                        "$slice: third argument must be positive",
                    ));
                }
                let s = if p < 0 { (len + p).max(0) } else { p.min(len) };
                (s, n)
            };
            Ok(Bson::Array(arr.into_iter().skip(start as usize).take(count as usize).collect()))
        }
        "$reverseArray" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            let Some(mut arr) = array_of(op, a[0].clone())? else { return Ok(Bson::Null) };
            arr.reverse();
            Ok(Bson::Array(arr))
        }
        "$first" | "$last" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            let Some(arr) = array_of(op, a[0].clone())? else { return Ok(Bson::Null) };
            let v = if op == "$first" { arr.first() } else { arr.last() };
            Ok(v.cloned().unwrap_or(Bson::Undefined))
        }
        "$range" => {
            let a = args(arg, doc, vars)?;
            if a.len() != 2 && a.len() != 3 {
                return Err(CommandError::new(28667, "$range takes 2 or 3 arguments"));
            }
            let s = as_i64(&a[0]).ok_or_else(|| num_err(op, &a[0]))?;
            let e = as_i64(&a[1]).ok_or_else(|| num_err(op, &a[1]))?;
            let step = a.get(2).map_or(Some(1), as_i64).unwrap_or(1);
            if step == 0 {
                return Err(CommandError::new(34449, "$range requires a non-zero step value"));
            }
            let mut out = Vec::new();
            let mut i = s;
            while (step > 0 && i < e) || (step < 0 && i > e) {
                out.push(Bson::Int32(i as i32));
                i += step;
            }
            Ok(Bson::Array(out))
        }
        "$indexOfArray" => {
            let a = args(arg, doc, vars)?;
            if a.len() < 2 {
                return Err(CommandError::new(28667, "$indexOfArray takes 2 to 4 arguments"));
            }
            let Some(arr) = array_of(op, a[0].clone())? else { return Ok(Bson::Null) };
            let start = a.get(2).and_then(as_i64).unwrap_or(0).max(0) as usize;
            let end =
                a.get(3).and_then(as_i64).map_or(arr.len(), |e| (e.max(0) as usize).min(arr.len()));
            let pos = (start..end).find(|i| values_equal(&arr[*i], &a[1]));
            Ok(Bson::Int32(pos.map_or(-1, |p| p as i32)))
        }
        "$allElementsTrue" | "$anyElementTrue" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            let Bson::Array(arr) = &a[0] else {
                return Err(CommandError::new(17040, format!("{op}'s argument must be an array")));
            };
            Ok(Bson::Boolean(if op == "$allElementsTrue" {
                arr.iter().all(truthy)
            } else {
                arr.iter().any(truthy)
            }))
        }
        "$setUnion" | "$setIntersection" | "$setDifference" | "$setEquals" | "$setIsSubset" => {
            let a = args(arg, doc, vars)?;
            let mut sets: Vec<Vec<Bson>> = Vec::with_capacity(a.len());
            for x in a {
                match array_of(op, x)? {
                    Some(v) => sets.push(dedup(v)),
                    None => return Ok(Bson::Null),
                }
            }
            let has = |s: &[Bson], x: &Bson| s.iter().any(|y| values_equal(x, y));
            Ok(match op {
                "$setUnion" => Bson::Array(dedup(sets.into_iter().flatten().collect())),
                "$setIntersection" => {
                    let mut it = sets.into_iter();
                    let first = it.next().unwrap_or_default();
                    let rest: Vec<Vec<Bson>> = it.collect();
                    Bson::Array(
                        first.into_iter().filter(|x| rest.iter().all(|s| has(s, x))).collect(),
                    )
                }
                "$setDifference" => {
                    if sets.len() != 2 {
                        return Err(CommandError::new(
                            16020,
                            "$setDifference takes exactly 2 arguments",
                        ));
                    }
                    Bson::Array(sets[0].iter().filter(|x| !has(&sets[1], x)).cloned().collect())
                }
                "$setEquals" => Bson::Boolean(sets.windows(2).all(|w| {
                    w[0].iter().all(|x| has(&w[1], x)) && w[1].iter().all(|x| has(&w[0], x))
                })),
                _ => {
                    if sets.len() != 2 {
                        return Err(CommandError::new(
                            16020,
                            "$setIsSubset takes exactly 2 arguments",
                        ));
                    }
                    Bson::Boolean(sets[0].iter().all(|x| has(&sets[1], x)))
                }
            })
        }
        "$sortArray" => {
            let d = spec(op, arg)?;
            let input = eval(d.get("input").unwrap_or(&Bson::Null), doc, vars)?;
            let Some(mut arr) = array_of(op, input)? else { return Ok(Bson::Null) };
            match d.get("sortBy") {
                Some(Bson::Document(by)) => {
                    let s = crate::sort::SortSpec::parse(by)?;
                    arr.sort_by(|x, y| match (x, y) {
                        (Bson::Document(a), Bson::Document(b)) => {
                            s.compare_keys(&s.key(a), &s.key(b))
                        }
                        _ => compare(x, y),
                    });
                }
                Some(v) => {
                    let desc = as_i64(v) == Some(-1);
                    arr.sort_by(|x, y| if desc { compare(y, x) } else { compare(x, y) });
                }
                None => return Err(CommandError::failed_to_parse("$sortArray requires 'sortBy'")),
            }
            Ok(Bson::Array(arr))
        }
        "$isNumber" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            Ok(Bson::Boolean(value::is_number(&a[0])))
        }
        "$trim" | "$ltrim" | "$rtrim" => {
            let d = spec(op, arg)?;
            let input = eval(d.get("input").unwrap_or(&Bson::Null), doc, vars)?;
            let Some(s) = string_of(op, &input)? else { return Ok(Bson::Null) };
            let chars: Option<Vec<char>> = match d.get("chars") {
                None => None,
                Some(e) => string_of(op, &eval(e, doc, vars)?)?.map(|c| c.chars().collect()),
            };
            let pred = |c: char| match &chars {
                Some(set) => set.contains(&c),
                None => c.is_whitespace() || c == '\0',
            };
            Ok(Bson::String(match op {
                "$trim" => s.trim_matches(pred).to_string(),
                "$ltrim" => s.trim_start_matches(pred).to_string(),
                _ => s.trim_end_matches(pred).to_string(),
            }))
        }
        "$indexOfCP" | "$indexOfBytes" => {
            let a = args(arg, doc, vars)?;
            if a.len() < 2 {
                return Err(CommandError::new(28667, format!("{op} takes 2 to 4 arguments")));
            }
            let Some(s) = string_of(op, &a[0])? else { return Ok(Bson::Null) };
            let Some(sub) = string_of(op, &a[1])? else {
                return Err(CommandError::new(
                    40092,
                    format!("{op} requires a string as the second argument"),
                ));
            };
            let chars: Vec<char> = s.chars().collect();
            let subc: Vec<char> = sub.chars().collect();
            let start = a.get(2).and_then(as_i64).unwrap_or(0).max(0) as usize;
            let end = a
                .get(3)
                .and_then(as_i64)
                .map_or(chars.len(), |e| (e.max(0) as usize).min(chars.len()));
            let mut found = -1;
            let mut i = start;
            while i + subc.len() <= end {
                if chars[i..i + subc.len()] == subc[..] {
                    found = i as i32;
                    break;
                }
                i += 1;
            }
            Ok(Bson::Int32(found))
        }
        "$strcasecmp" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 2)?;
            let s = |v: &Bson| match v {
                Bson::String(s) => s.to_lowercase(),
                x if nullish(x) => String::new(),
                other => other.to_string().to_lowercase(),
            };
            Ok(Bson::Int32(match s(&a[0]).cmp(&s(&a[1])) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            }))
        }
        "$strLenBytes" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            match &a[0] {
                Bson::String(s) => Ok(Bson::Int32(s.len() as i32)),
                other => Err(CommandError::new(
                    34473,
                    format!(
                        "$strLenBytes requires a string argument, found: {}",
                        value::type_alias(other)
                    ),
                )),
            }
        }
        "$regexMatch" | "$regexFind" => {
            let d = spec(op, arg)?;
            let input = eval(d.get("input").unwrap_or(&Bson::Null), doc, vars)?;
            let (pattern, mut options) =
                match eval(d.get("regex").unwrap_or(&Bson::Null), doc, vars)? {
                    Bson::String(p) => (p, String::new()),
                    Bson::RegularExpression(r) => (r.pattern.to_string(), r.options.to_string()),
                    _ => {
                        return Err(CommandError::new(
                            51105,
                            format!("{op} needs 'regex' to be of type string or regex"),
                        ));
                    }
                };
            if let Some(Bson::String(o)) = d.get("options") {
                options.push_str(o);
            }
            let mut b = regex::RegexBuilder::new(&pattern);
            b.case_insensitive(options.contains('i'))
                .multi_line(options.contains('m'))
                .dot_matches_new_line(options.contains('s'))
                .ignore_whitespace(options.contains('x'));
            let re = b
                .build()
                .map_err(|e| CommandError::new(51111, format!("Invalid Regex in {op}: {e}")))?;
            let Some(s) = string_of(op, &input)? else {
                return Ok(if op == "$regexMatch" { Bson::Boolean(false) } else { Bson::Null });
            };
            if op == "$regexMatch" {
                return Ok(Bson::Boolean(re.is_match(&s)));
            }
            Ok(match re.captures(&s) {
                None => Bson::Null,
                Some(c) => {
                    let m = c.get(0).map_or("", |m| m.as_str());
                    let idx = c.get(0).map_or(0, |m| s[..m.start()].chars().count());
                    let caps: Vec<Bson> = c
                        .iter()
                        .skip(1)
                        .map(|g| g.map_or(Bson::Null, |g| Bson::String(g.as_str().to_string())))
                        .collect();
                    Bson::Document(bson::doc! { "match": m, "idx": idx as i32, "captures": caps })
                }
            })
        }
        "$replaceOne" | "$replaceAll" => {
            let d = spec(op, arg)?;
            let get = |k: &str| -> CmdResult<Option<String>> {
                string_of(op, &eval(d.get(k).unwrap_or(&Bson::Null), doc, vars)?)
            };
            let (Some(input), Some(find), Some(rep)) =
                (get("input")?, get("find")?, get("replacement")?)
            else {
                return Ok(Bson::Null);
            };
            Ok(Bson::String(if op == "$replaceOne" {
                input.replacen(&find, &rep, 1)
            } else {
                input.replace(&find, &rep)
            }))
        }
        "$getField" => {
            let (field, input) = match arg {
                Bson::Document(d) if d.contains_key("field") => (
                    eval(d.get("field").unwrap_or(&Bson::Null), doc, vars)?,
                    match d.get("input") {
                        Some(e) => eval(e, doc, vars)?,
                        None => Bson::Document(doc.clone()),
                    },
                ),
                other => (eval(other, doc, vars)?, Bson::Document(doc.clone())),
            };
            let Bson::String(f) = field else {
                return Err(CommandError::new(
                    5654602,
                    "$getField requires 'field' to evaluate to a string",
                ));
            };
            Ok(match input {
                Bson::Document(d) => d.get(&f).cloned().unwrap_or(Bson::Undefined),
                _ => Bson::Null,
            })
        }
        "$year" | "$month" | "$dayOfMonth" | "$hour" | "$minute" | "$second" | "$millisecond"
        | "$dayOfWeek" | "$dayOfYear" | "$week" | "$isoWeek" | "$isoWeekYear" | "$isoDayOfWeek" => {
            let Some(t) = date_arg(op, arg, doc, vars)? else { return Ok(Bson::Null) };
            Ok(Bson::Int32(match op {
                "$year" => t.year(),
                "$month" => t.month() as i32,
                "$dayOfMonth" => t.day() as i32,
                "$hour" => t.hour() as i32,
                "$minute" => t.minute() as i32,
                "$second" => t.second() as i32,
                "$millisecond" => (t.timestamp_subsec_millis()) as i32,
                "$dayOfWeek" => t.weekday().number_from_sunday() as i32,
                "$dayOfYear" => t.ordinal() as i32,
                "$week" => week_of_year(&t),
                "$isoWeek" => t.iso_week().week() as i32,
                "$isoWeekYear" => t.iso_week().year(),
                _ => t.weekday().number_from_monday() as i32,
            }))
        }
        "$dateToString" => {
            let d = spec(op, arg)?;
            let date = eval(d.get("date").unwrap_or(&Bson::Null), doc, vars)?;
            let Some(t) = date_of(op, &date)? else {
                return match d.get("onNull") {
                    Some(e) => eval(e, doc, vars),
                    None => Ok(Bson::Null),
                };
            };
            let fmt = match d.get("format") {
                Some(e) => match eval(e, doc, vars)? {
                    Bson::String(s) => s,
                    _ => {
                        return Err(CommandError::new(
                            18533,
                            "$dateToString requires that 'format' be a string",
                        ));
                    }
                },
                None => "%Y-%m-%dT%H:%M:%S.%LZ".to_string(),
            };
            Ok(Bson::String(format_date(&t, &fmt)?))
        }
        "$dateFromString" => {
            let d = spec(op, arg)?;
            let s = eval(d.get("dateString").unwrap_or(&Bson::Null), doc, vars)?;
            let Some(s) = string_of(op, &s)? else {
                return match d.get("onNull") {
                    Some(e) => eval(e, doc, vars),
                    None => Ok(Bson::Null),
                };
            };
            match parse_date(&s) {
                Some(ms) => Ok(Bson::DateTime(bson::DateTime::from_millis(ms))),
                None => match d.get("onError") {
                    Some(e) => eval(e, doc, vars),
                    None => Err(CommandError::new(241, format!("Error parsing date string '{s}'"))),
                },
            }
        }
        "$dateAdd" | "$dateSubtract" => {
            let d = spec(op, arg)?;
            let start = eval(d.get("startDate").unwrap_or(&Bson::Null), doc, vars)?;
            let Some(t) = date_of(op, &start)? else { return Ok(Bson::Null) };
            let unit = eval(d.get("unit").unwrap_or(&Bson::Null), doc, vars)?;
            let amount = eval(d.get("amount").unwrap_or(&Bson::Null), doc, vars)?;
            let Some(mut n) = as_i64(&amount) else { return Ok(Bson::Null) };
            if op == "$dateSubtract" {
                n = -n;
            }
            let ms = t.timestamp_millis();
            let unit_ms: i64 = match unit.as_str().unwrap_or("") {
                "millisecond" => 1,
                "second" => 1000,
                "minute" => 60_000,
                "hour" => 3_600_000,
                "day" => 86_400_000,
                "week" => 604_800_000,
                "month" | "quarter" | "year" => {
                    let months = match unit.as_str().unwrap_or("") {
                        "month" => n,
                        "quarter" => n * 3,
                        _ => n * 12,
                    };
                    let shifted = if months >= 0 {
                        t.checked_add_months(chrono::Months::new(months as u32))
                    } else {
                        t.checked_sub_months(chrono::Months::new((-months) as u32))
                    };
                    return Ok(shifted.map_or(Bson::Null, |x| {
                        Bson::DateTime(bson::DateTime::from_millis(x.timestamp_millis()))
                    }));
                }
                other => {
                    return Err(CommandError::bad_value(format!(
                        "unknown time unit value: {other}"
                    )));
                }
            };
            Ok(Bson::DateTime(bson::DateTime::from_millis(
                ms.saturating_add(n.saturating_mul(unit_ms)),
            )))
        }
        "$toDate" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            to_date(&a[0])
        }
        "$toDecimal" => {
            let a = args(arg, doc, vars)?;
            expect_n(op, &a, 1)?;
            // No decimal arithmetic here: the value converts to a double.
            match &a[0] {
                x if nullish(x) => Ok(Bson::Null),
                Bson::String(s) => s.trim().parse::<f64>().map(Bson::Double).map_err(|_| {
                    CommandError::new(241, format!("Failed to parse number '{s}' in $convert"))
                }),
                v => as_f64(v).map(Bson::Double).ok_or_else(|| num_err(op, v)),
            }
        }
        "$convert" => {
            let d = spec(op, arg)?;
            let input = eval(d.get("input").unwrap_or(&Bson::Null), doc, vars)?;
            if nullish(&input) {
                return match d.get("onNull") {
                    Some(e) => eval(e, doc, vars),
                    None => Ok(Bson::Null),
                };
            }
            let to = eval(d.get("to").unwrap_or(&Bson::Null), doc, vars)?;
            let target = match &to {
                Bson::String(s) => s.clone(),
                Bson::Document(t) => t.get_str("type").unwrap_or("").to_string(),
                n => match as_i64(n) {
                    Some(1) => "double".into(),
                    Some(2) => "string".into(),
                    Some(7) => "objectId".into(),
                    Some(8) => "bool".into(),
                    Some(9) => "date".into(),
                    Some(16) => "int".into(),
                    Some(18) => "long".into(),
                    Some(19) => "decimal".into(),
                    _ => String::new(),
                },
            };
            let inner = match target.as_str() {
                "double" => "$toDouble",
                "string" => "$toString",
                "objectId" => "$toObjectId",
                "bool" => "$toBool",
                "date" => "$toDate",
                "int" => "$toInt",
                "long" => "$toLong",
                "decimal" => "$toDecimal",
                other => {
                    return Err(CommandError::bad_value(format!("Unknown type name: {other}")));
                }
            };
            let lit = Bson::Document(bson::doc! { inner: { "$literal": input } });
            match eval(&lit, doc, vars) {
                Ok(v) => Ok(v),
                Err(e) => match d.get("onError") {
                    Some(x) => eval(x, doc, vars),
                    None => Err(e),
                },
            }
        }
        other => Err(CommandError::new(168, format!("Unrecognized expression '{other}'"))),
    }
}

fn dedup(v: Vec<Bson>) -> Vec<Bson> {
    let mut out: Vec<Bson> = Vec::with_capacity(v.len());
    for x in v {
        if !out.iter().any(|y| values_equal(&x, y)) {
            out.push(x);
        }
    }
    out
}

/// `$week`: weeks start on Sunday; days before the year's first Sunday are week 0.
fn week_of_year(t: &chrono::DateTime<Utc>) -> i32 {
    let yday = t.ordinal0() as i32;
    let wday = t.weekday().num_days_from_sunday() as i32;
    (yday + 7 - wday) / 7
}

fn to_date(v: &Bson) -> CmdResult<Bson> {
    Ok(match v {
        x if nullish(x) => Bson::Null,
        Bson::DateTime(d) => Bson::DateTime(*d),
        Bson::ObjectId(o) => Bson::DateTime(o.timestamp()),
        Bson::Timestamp(t) => Bson::DateTime(bson::DateTime::from_millis(i64::from(t.time) * 1000)),
        Bson::String(s) => match parse_date(s) {
            Some(ms) => Bson::DateTime(bson::DateTime::from_millis(ms)),
            None => return Err(CommandError::new(241, format!("Error parsing date string '{s}'"))),
        },
        n if value::is_number(n) => {
            Bson::DateTime(bson::DateTime::from_millis(as_f64(n).unwrap_or(0.0) as i64))
        }
        other => {
            return Err(CommandError::new(
                241,
                format!("Unsupported conversion from {} to date", value::type_alias(other)),
            ));
        }
    })
}

/// Milliseconds since the epoch of an ISO-8601 date string (a date alone is midnight UTC).
fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
    {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), f) {
            return Some(n.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc().timestamp_millis())
}

fn format_date(t: &chrono::DateTime<Utc>, fmt: &str) -> CmdResult<String> {
    let mut out = String::new();
    let mut it = fmt.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = it.next() else {
            return Err(CommandError::new(18535, "Unmatched '%' at end of format string"));
        };
        match spec {
            'Y' => out.push_str(&format!("{:04}", t.year())),
            'm' => out.push_str(&format!("{:02}", t.month())),
            'd' => out.push_str(&format!("{:02}", t.day())),
            'H' => out.push_str(&format!("{:02}", t.hour())),
            'M' => out.push_str(&format!("{:02}", t.minute())),
            'S' => out.push_str(&format!("{:02}", t.second())),
            'L' => out.push_str(&format!("{:03}", t.timestamp_subsec_millis())),
            'j' => out.push_str(&format!("{:03}", t.ordinal())),
            'w' => out.push_str(&t.weekday().number_from_sunday().to_string()),
            'u' => out.push_str(&t.weekday().number_from_monday().to_string()),
            'U' => out.push_str(&format!("{:02}", week_of_year(t))),
            'V' => out.push_str(&format!("{:02}", t.iso_week().week())),
            'G' => out.push_str(&format!("{:04}", t.iso_week().year())),
            'b' => out.push_str(&t.format("%b").to_string()),
            'B' => out.push_str(&t.format("%B").to_string()),
            'z' => out.push_str("+0000"),
            'Z' => out.push('0'),
            '%' => out.push('%'),
            other => {
                return Err(CommandError::new(
                    18536,
                    format!("Invalid format character '%{other}' in format string"),
                ));
            }
        }
    }
    Ok(out)
}
